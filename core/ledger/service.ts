import { retrying } from '../db/retry.js';
import type { Db, Executor } from '../db/executor.js';
import { createBatcher } from '../db/batch.js';
import { silentLog, type Log } from '../log.js';
import { applyUnits, isRetryable, type ApplyHints, type UnitResult } from './engine.js';
import type { Unit } from './model.js';

export interface LedgerDeps {
  db: Db;
  log?: Log;
  /** Most units in one group-commit transaction. */
  maxBatch?: number;
  /** Group-commit transactions in flight at once. */
  maxInFlight?: number;
}

export interface Ledger {
  /**
   * Applies one unit (all legs or none) in the caller's transaction when `exec` is a Tx — so a
   * ledger change commits together with the caller's other writes — or in its own transaction
   * (retried on a deadlock or a concurrent same-ref insert). In the caller's transaction such an error
   * fails that transaction, and the caller retries it whole. `hints` (in the caller's transaction): what it already
   * knows, saving a statement each.
   */
  apply(exec: Executor, unit: Unit, hints?: ApplyHints): Promise<UnitResult>;
  /**
   * Applies one unit through group commit: units arriving while a batch commits are applied together
   * in the next transaction (one lock hold and one fsync for many), each caller getting its own result.
   * A unit refused (insufficient funds, conflict…) never fails its neighbours.
   */
  submit(unit: Unit): Promise<UnitResult>;
  /** Waits for every submitted unit to finish. */
  drain(): Promise<void>;
}

const ATTEMPTS = 6;

/** A unit whose one-by-one fallback threw: only its own caller sees the error. */
interface Failed {
  failed: unknown;
}

export function createLedger(deps: LedgerDeps): Ledger {
  const log = deps.log ?? silentLog;
  const maxBatch = deps.maxBatch ?? 512;
  const maxInFlight = deps.maxInFlight ?? 1;
  // retry-safe: a retried attempt re-reads everything under fresh locks; unique refs make replays no-ops.
  const retried = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    retrying(fn, {
      retryOn: isRetryable,
      attempts: ATTEMPTS,
      onRetry: (err, attempt) => log.debug({ err, attempt, what }, 'ledger transaction retried'),
    });

  async function apply(exec: Executor, unit: Unit, hints?: ApplyHints): Promise<UnitResult> {
    // In the caller's transaction a deadlock or a concurrent insert of the same ref fails that transaction, and its
    // owner retries it whole (transact, the inbox, the job queue): a savepoint per unit would cost two round trips
    // on every command for a case that the retry covers.
    const results =
      exec.kind === 'tx'
        ? await applyUnits(exec, [unit], hints)
        : await retried('apply', () => exec.transaction((tx) => applyUnits(tx, [unit])));
    return results[0] as UnitResult;
  }

  async function flush(units: Unit[]): Promise<Array<UnitResult | Failed>> {
    try {
      return await retried('group', () => deps.db.transaction((tx) => applyUnits(tx, units)));
    } catch (err) {
      if (units.length === 1) return [{ failed: err }];
      // An unexpected error must not fail unrelated units: apply them one by one.
      log.warn({ err, units: units.length }, 'group commit failed; applying units one by one');
      return Promise.all(units.map((unit) => apply(deps.db, unit).catch((e: unknown) => ({ failed: e }))));
    }
  }

  const group = createBatcher(flush, { maxBatch, maxInFlight });

  return {
    apply,
    async submit(unit) {
      const result = await group.push(unit);
      if ('failed' in result) throw result.failed;
      return result;
    },
    drain: () => group.drain(),
  };
}
