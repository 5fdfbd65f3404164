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
}

export interface OnceResult<T> {
  outcome: T;
  /** True when the key had already been recorded and `fn` did not run. */
  replayed: boolean;
}

/**
 * Runs a command exactly once per key. `fn` and the record of its outcome (success or rejection) commit
 * in one transaction; a repeated key — also a concurrent twin, which waits on the key's primary key
 * until the first commits — returns the stored outcome without running `fn`. An exception rolls back
 * everything (nothing is recorded, so a redelivery retries). A connection lost before or during COMMIT runs it again
 * once the database answers (the key decides whether it had committed). The returned outcome is always the JSON
 * round-trip of what `fn` returned, so a first run and a replay look the same.
 */
export function once<T extends Json>(db: Db, input: OnceInput, fn: (tx: Tx) => Promise<T>): Promise<OnceResult<T>> {
  return transact(
    db,
    async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO command_log (key, person_id, command) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
        [input.key, input.personId ?? null, input.command],
      );
      if (claimed.rowCount === 0) {
        const stored = await tx.query<{ outcome: unknown }>(`SELECT outcome FROM command_log WHERE key = $1`, [
          input.key,
        ]);
        const row = stored.rows[0];
        if (!row || row.outcome === null) throw new Error(`command_log ${input.key} has no outcome`);
        return { outcome: json<T>(row.outcome), replayed: true };
      }
      const text = JSON.stringify(await fn(tx));
      await tx.query(`UPDATE command_log SET outcome = $2::jsonb WHERE key = $1`, [input.key, text]);
      return { outcome: JSON.parse(text) as T, replayed: false };
    },
    // retry-safe after a lost COMMIT: the key is read first, so a COMMIT that landed replays its recorded outcome.
    { keyed: true },
  );
}

/** Deletes keys recorded before `olderThan` (default: the 7-day retention). Returns how many. */
export async function pruneCommandLog(db: Db, olderThan?: Date): Promise<number> {
  const before = olderThan ?? new Date(Date.now() - COMMAND_LOG_RETENTION_MS);
  const r = await db.query(`DELETE FROM command_log WHERE created_at < $1`, [before.toISOString()]);
  return r.rowCount;
}
