/**
 * The one retry loop for transactions: a serialization failure or a deadlock rolled everything back, so running the
 * whole transaction again is safe. retry-safe: everything `fn` wrote was rolled back with the failed attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sqlState, type Db, type Executor, type Tx } from './executor.js';

const SERIALIZATION_OR_DEADLOCK = ['40001', '40P01'];

export const isSerializationFailure = (err: unknown): boolean =>
  SERIALIZATION_OR_DEADLOCK.includes(sqlState(err) ?? '');

export interface RetryOptions {
  /** Which failures are worth another attempt (default: serialization failures and deadlocks). */
  retryOn?: (err: unknown) => boolean;
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Told before each new attempt (a debug log line). */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Runs `attempt` again, after a short random backoff, while it fails with a retryable error. */
export async function retrying<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retryOn = options.retryOn ?? isSerializationFailure;
  const attempts = options.attempts ?? 5;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryOn(err) || n >= attempts) throw err;
      options.onRetry?.(err, n);
      await sleep(Math.random() * 5 * 2 ** n);
    }
  }
}

/** Runs `fn` in a new transaction, retried on a serialization failure or a deadlock. */
export function transact<T>(db: Db, fn: (tx: Tx) => Promise<T>, options?: RetryOptions): Promise<T> {
  return retrying(() => db.transaction(fn), options);
}

/** Runs `fn` in the caller's transaction when given one, else in a new (retried) transaction. */
export function inTx<T>(exec: Executor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return exec.kind === 'tx' ? fn(exec) : transact(exec, fn);
}
