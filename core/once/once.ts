import type { Db, Tx } from '../db/executor.js';
import { json } from '../db/rows.js';
import { createBatcher, type Batcher } from '../db/batch.js';
import { retrying, transact } from '../db/retry.js';
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
   * without reading the key first, group-committed with the other first deliveries of the moment — one transaction,
   * one statement recording all their keys and outcomes, one COMMIT (see `runBatch`). A twin that recorded the key
   * meanwhile still wins: the batch is rolled back and this command, run again alone, replays the twin's outcome.
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
 * until the first commits — returns the stored outcome without running `fn` (with `fresh`, `fn` runs first, in a
 * shared transaction, and a key recorded meanwhile rolls it back before the stored outcome is returned). An exception
 * rolls back everything (nothing is recorded, so a redelivery retries). A connection lost before or during COMMIT runs it again
 * once the database answers (the key decides whether it had committed). The returned outcome is always the JSON
 * round-trip of what `fn` returned, so a first run and a replay look the same.
 */
export async function once<T extends Json>(
  db: Db,
  input: OnceInput,
  fn: (tx: Tx) => Promise<T>,
): Promise<OnceResult<T>> {
  if (input.fresh === true) {
    const result = await batcherOf(db).push({ input, fn });
    if ('failed' in result) throw result.failed;
    return result as OnceResult<T>;
  }
  return alone(db, input, fn);
}

/** `once` in a transaction of its own, reading the key first. */
function alone<T extends Json>(db: Db, input: OnceInput, fn: (tx: Tx) => Promise<T>): Promise<OnceResult<T>> {
  // retry-safe after a lost COMMIT: the key is read first, so a COMMIT that landed replays its recorded outcome.
  return transact(db, (tx) => claimFirst(tx, input, fn), { keyed: true });
}

interface Batched {
  input: OnceInput;
  fn: (tx: Tx) => Promise<Json>;
}

type Settled = OnceResult<Json> | { failed: unknown };

/** Each caller's result, as a promise: a command sent back to run alone settles on its own, after the batch. */
function batcherOf(db: Db): Batcher<Batched, Promise<Settled>> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = createBatcher((items: Batched[]) => runBatch(db, items), { maxBatch: 64 });
    batchers.set(db, batcher);
  }
  return batcher;
}

const batchers = new WeakMap<Db, Batcher<Batched, Promise<Settled>>>();

/**
 * Group commit of first deliveries: the fresh commands that arrive while a batch runs make the next one — their
 * commands run one after another in one transaction (each sees the writes of those before it, as if they had
 * committed just before), then every outcome is recorded with its key in one statement, and one COMMIT (one fsync)
 * serves them all. A command that throws, a key that a twin recorded meanwhile, or a COMMIT whose outcome is unknown
 * rolls the batch back (or leaves it in doubt) and runs each of its commands again alone, reading its key first: a
 * command never fails its neighbours, and none runs twice to effect.
 */
async function runBatch(db: Db, items: readonly Batched[]): Promise<Array<Promise<Settled>>> {
  // Each alone, reading its key first, outside the batch pipeline (which goes on with the next batch meanwhile).
  const eachAlone = () => items.map((item) => settle(alone(db, { ...item.input, fresh: false }, item.fn)));
  // A key twice in one batch (two first deliveries of one key cannot both be first): the second replays the first.
  if (new Set(items.map((item) => item.input.key)).size < items.length) return eachAlone();
  try {
    const outcomes = await retrying(() =>
      db.transaction(
        async (tx) => {
          const texts: string[] = [];
          for (const item of items) texts.push(JSON.stringify(await item.fn(tx)));
          const recorded = await tx.query(
            `INSERT INTO command_log (key, person_id, command, outcome)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[])
             ON CONFLICT (key) DO NOTHING`,
            [
              items.map((item) => item.input.key),
              items.map((item) => item.input.personId ?? null),
              items.map((item) => item.input.command),
              texts,
            ],
          );
          if (recorded.rowCount !== items.length)
            throw new RecordedMeanwhile('a key of the batch was recorded meanwhile');
          return texts.map((text) => ({ outcome: JSON.parse(text) as Json, replayed: false }));
        },
        { lockTimeoutMs: BATCH_LOCK_WAIT_MS },
      ),
    );
    return outcomes.map((outcome) => Promise.resolve(outcome));
  } catch {
    // Rolled back (a command threw, a lock waited too long, a key was recorded meanwhile), or committed without our
    // knowing (a lost COMMIT): each command again alone, where its own error, if any, reaches its own caller.
    return eachAlone();
  }
}

/**
 * A batch waits this long at most for a row lock (a wallet a slow transaction holds): then it falls back to running
 * its commands alone, so one hot row holds up only the commands that touch it, not every command of the batch.
 */
const BATCH_LOCK_WAIT_MS = 1_000;

const settle = (run: Promise<OnceResult<Json>>): Promise<Settled> => run.catch((failed: unknown) => ({ failed }));

/** A twin recorded a key of the batch while it ran: the batch rolls back and each command runs again alone. */
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

/** Deletes keys recorded before `olderThan` (default: the 7-day retention). Returns how many. */
export async function pruneCommandLog(db: Db, olderThan?: Date): Promise<number> {
  const before = olderThan ?? new Date(Date.now() - COMMAND_LOG_RETENTION_MS);
  const r = await db.query(`DELETE FROM command_log WHERE created_at < $1`, [before.toISOString()]);
  return r.rowCount;
}
