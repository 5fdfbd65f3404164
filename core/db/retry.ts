/**
 * The one retry loop for transactions. Two kinds of failure are run again:
 * - a serialization failure or a deadlock rolled everything back, so running the whole transaction again is safe;
 * - a connection lost (or never made) before COMMIT was sent: nothing committed, so the transaction is run again
 *   once the database answers, with a growing wait, for at most `outageMs`.
 * A connection lost during COMMIT (`CommitOutcomeUnknown`) is run again only for a `keyed` transaction, which reads
 * its own idempotency key first and so replays the recorded outcome when the lost COMMIT did land.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknown, isConnectionLoss, sqlState, type Db, type Executor, type Tx } from './executor.js';

const SERIALIZATION_OR_DEADLOCK = ['40001', '40P01'];

export const isSerializationFailure = (err: unknown): boolean =>
  SERIALIZATION_OR_DEADLOCK.includes(sqlState(err) ?? '');

/** How long a transaction waits for a lost database by default, before its caller (inbox, queue) takes over. */
export const OUTAGE_RETRY_MS = 30_000;

/** The longest single wait between two attempts against an unreachable database. */
const OUTAGE_STEP_MAX_MS = 2_000;

export interface RetryOptions {
  /** Which failures are worth another attempt (default: serialization failures and deadlocks). */
  retryOn?: (err: unknown) => boolean;
  /** Attempts in all for `retryOn` failures, the first included (default 5). */
  attempts?: number;
  /** Told before each new attempt (a debug log line). */
  onRetry?: (err: unknown, attempt: number) => void;
  /** How long to keep trying while the database is unreachable (default `OUTAGE_RETRY_MS`; 0: never). */
  outageMs?: number;
  /**
   * The attempt is idempotent by a key it checks first (e.g. the command log): after a COMMIT whose outcome is
   * unknown, running it again gives the recorded outcome, never a second effect. Default false.
   */
  keyed?: boolean;
}

/** Runs `attempt` again, after a short random backoff, while it fails with a retryable error. */
export async function retrying<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retryOn = options.retryOn ?? isSerializationFailure;
  const attempts = options.attempts ?? 5;
  const outageMs = options.outageMs ?? OUTAGE_RETRY_MS;
  let outageSince: number | undefined;
  let outageWaits = 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const lost = isConnectionLoss(err) || (options.keyed === true && err instanceof CommitOutcomeUnknown);
      if (lost) {
        outageSince ??= Date.now();
        const waitMs = Math.min(OUTAGE_STEP_MAX_MS, 100 * 2 ** outageWaits++) * (0.5 + Math.random() / 2);
        if (Date.now() + waitMs - outageSince > outageMs) throw err;
        options.onRetry?.(err, n);
        await sleep(waitMs);
        n--; // waiting for the database is not an attempt of the work
        continue;
      }
      if (!retryOn(err) || n >= attempts) throw err;
      options.onRetry?.(err, n);
      await sleep(Math.random() * 5 * 2 ** n);
    }
  }
}

/** Runs `fn` in a new transaction, retried on a serialization failure, a deadlock or a lost connection. */
export function transact<T>(db: Db, fn: (tx: Tx) => Promise<T>, options?: RetryOptions): Promise<T> {
  return retrying(() => db.transaction(fn), options);
}

/** Runs `fn` in the caller's transaction when given one, else in a new (retried) transaction. */
export function inTx<T>(exec: Executor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return exec.kind === 'tx' ? fn(exec) : transact(exec, fn);
}
