import type { Db, Tx } from '../db/executor.js';
import { json } from '../db/rows.js';
import { transact } from '../db/retry.js';
import type { Json } from '../db/wire.js';

/** Keys are kept 7 days (SPEC §5: Telegram may reuse update ids after a quiet week). */
export const COMMAND_LOG_RETENTION_MS = 7 * 24 * 3_600_000;

export interface OnceInput {
  /** Idempotency key of the delivery (SPEC §5): `tg:<bot>:<update_id>`, `tgcb:<id>`, `dc:<id>`, `act:<id>`… */
  key: string;
  personId?: bigint | null;
  /** What ran, for operators: "pay", "button", "request.expire". */
  command: string;
  /**
   * No earlier attempt of this delivery can have recorded its key (its first claim from the inbox): the command runs
   * without reading the key first, and its outcome is recorded in the same statement that claims the key — one
   * statement instead of two on the hot path. A twin that recorded the key meanwhile still wins: this run is then
   * rolled back and its outcome replayed.
   */
  fresh?: boolean;
}

export interface OnceResult<T> {
  outcome: T;
  /** True when the key had already been recorded and `fn` did not run. */
  replayed: boolean;
}

/**
 * Runs a command exactly once per key. `fn` and the record of its outcome (success or rejection) commit
 * in one transaction; a repeated key — also a concurrent twin, which waits on the key's primary key
 * until the first commits — returns the stored outcome without running `fn` (with `fresh`, `fn` runs first and a
 * key recorded meanwhile rolls it back before the stored outcome is returned). An exception rolls back
 * everything (nothing is recorded, so a redelivery retries). A connection lost before or during COMMIT runs it again
 * once the database answers (the key decides whether it had committed). The returned outcome is always the JSON
 * round-trip of what `fn` returned, so a first run and a replay look the same.
 */
export async function once<T extends Json>(
  db: Db,
  input: OnceInput,
  fn: (tx: Tx) => Promise<T>,
): Promise<OnceResult<T>> {
  let attempt = 0;
  try {
    return await transact(
      db,
      async (tx) => {
        attempt += 1;
        // A retry (deadlock, lost COMMIT) may follow a run that committed: it reads the key first.
        if (input.fresh === true && attempt === 1) return recordAtEnd(tx, input, fn);
        return claimFirst(tx, input, fn);
      },
      // retry-safe after a lost COMMIT: the key is read first, so a COMMIT that landed replays its recorded outcome.
      { keyed: true },
    );
  } catch (err) {
    if (!(err instanceof RecordedMeanwhile)) throw err;
    const r = await db.query<{ outcome: unknown }>(`SELECT outcome FROM command_log WHERE key = $1`, [input.key]);
    const row = r.rows[0];
    if (!row || row.outcome === null) throw new Error(`command_log ${input.key} has no outcome`);
    return { outcome: json<T>(row.outcome), replayed: true };
  }
}

/** A twin recorded the key while this run ran: roll this run back and replay the twin's outcome. */
class RecordedMeanwhile extends Error {}

/** The key claimed first (a concurrent twin waits on it until this commits), the outcome written at the end. */
async function claimFirst<T extends Json>(
  tx: Tx,
  input: OnceInput,
  fn: (tx: Tx) => Promise<T>,
): Promise<OnceResult<T>> {
  const claimed = await tx.query(
    `INSERT INTO command_log (key, person_id, command) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
    [input.key, input.personId ?? null, input.command],
  );
  if (claimed.rowCount === 0) {
    const stored = await tx.query<{ outcome: unknown }>(`SELECT outcome FROM command_log WHERE key = $1`, [input.key]);
    const row = stored.rows[0];
    if (!row || row.outcome === null) throw new Error(`command_log ${input.key} has no outcome`);
    return { outcome: json<T>(row.outcome), replayed: true };
  }
  const text = JSON.stringify(await fn(tx));
  await tx.query(`UPDATE command_log SET outcome = $2::jsonb WHERE key = $1`, [input.key, text]);
  return { outcome: JSON.parse(text) as T, replayed: false };
}

/** The command first, then key and outcome in one statement; a key taken meanwhile rolls the run back. */
async function recordAtEnd<T extends Json>(
  tx: Tx,
  input: OnceInput,
  fn: (tx: Tx) => Promise<T>,
): Promise<OnceResult<T>> {
  const text = JSON.stringify(await fn(tx));
  const recorded = await tx.query(
    `INSERT INTO command_log (key, person_id, command, outcome) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (key) DO NOTHING`,
    [input.key, input.personId ?? null, input.command, text],
  );
  if (recorded.rowCount === 0) throw new RecordedMeanwhile(`command_log ${input.key} was recorded meanwhile`);
  return { outcome: JSON.parse(text) as T, replayed: false };
}

/** Deletes keys recorded before `olderThan` (default: the 7-day retention). Returns how many. */
export async function pruneCommandLog(db: Db, olderThan?: Date): Promise<number> {
  const before = olderThan ?? new Date(Date.now() - COMMAND_LOG_RETENTION_MS);
  const r = await db.query(`DELETE FROM command_log WHERE created_at < $1`, [before.toISOString()]);
  return r.rowCount;
}
