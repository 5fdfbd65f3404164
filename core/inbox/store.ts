/**
 * Inbox persistence (RELIABILITY rules 1–2): every inbound platform delivery is stored under the platform's own
 * id before it is acknowledged, then claimed, processed and marked. Platform-neutral: Telegram updates today,
 * Discord interactions and Stripe events can use the same table. All timestamps are the database's `now()`.
 */
import { createBatcher } from '../db/batch.js';
import type { Db, Executor } from '../db/executor.js';
import type { JsonValue } from '../db/wire.js';

export type InboxState = 'received' | 'done' | 'failed';

export interface InboxRow {
  key: string;
  platform: string;
  payload: JsonValue;
  state: InboxState;
  /** Claims so far, this one included. */
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
}

interface RawRow {
  [column: string]: unknown;
  key: string;
  platform: string;
  payload: JsonValue;
  state: InboxState;
  attempts: number;
  last_error: string | null;
  received_at: Date | string;
}

const COLUMNS = 'key, platform, payload, state, attempts, last_error, received_at';

const toRow = (r: RawRow): InboxRow => ({
  key: r.key,
  platform: r.platform,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  receivedAt: new Date(r.received_at),
});

/** Long enough for any stored error text; keeps a pathological message from bloating the row. */
const MAX_ERROR_LENGTH = 2_000;

export interface InboxDelivery {
  key: string;
  platform: string;
  payload: JsonValue;
}

/**
 * Stores a delivery. `stored: false` means the key was already there (a redelivery): the caller acknowledges it
 * again and does nothing else. Runs in the caller's transaction when given one.
 */
export async function receive(exec: Executor, input: InboxDelivery): Promise<{ stored: boolean }> {
  const [result] = await receiveAll(exec, [input]);
  return result ?? { stored: false };
}

/**
 * How an intake (webhook route, poller, gateway) stores deliveries: `receive` through group commit, so concurrent
 * deliveries share one statement and one fsync. With `holdMs`, each row is stored held (nobody claims it) for that
 * long: the intake `admit`s it once its acknowledgement went out, or marks it done unrun when it did not; a row
 * whose intake died in between becomes claimable only when the hold lapses.
 */
export function createReceiver(
  db: Db,
  options: { holdMs?: number } = {},
): (delivery: InboxDelivery) => Promise<{ stored: boolean }> {
  const batcher = createBatcher((deliveries: InboxDelivery[]) => receiveAll(db, deliveries, options.holdMs));
  return (delivery) => batcher.push(delivery);
}

/**
 * `receive` for many deliveries in one statement (group commit); of two with the same key the first is stored.
 * `holdMs`: stored held for that long (see `createReceiver`).
 */
export async function receiveAll(
  exec: Executor,
  inputs: readonly InboxDelivery[],
  holdMs?: number,
): Promise<Array<{ stored: boolean }>> {
  const r = await exec.query<{ key: string }>(
    `INSERT INTO inbox (key, platform, payload, locked_until)
     SELECT d.key, d.platform, d.payload, now() + $4::bigint * interval '1 millisecond'
       FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS d (key, platform, payload)
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [
      inputs.map((d) => d.key),
      inputs.map((d) => d.platform),
      inputs.map((d) => JSON.stringify(d.payload)),
      holdMs ?? null,
    ],
  );
  const stored = new Set(r.rows.map((row) => row.key));
  return inputs.map((d) => ({ stored: stored.delete(d.key) }));
}

/**
 * Ends the hold of rows stored held (`createReceiver` with `holdMs`) that nobody has claimed yet: they may be
 * processed now. Group commit through `createAdmitter`.
 */
export async function admitAll(exec: Executor, keys: readonly string[]): Promise<boolean[]> {
  const r = await exec.query<{ key: string }>(
    `UPDATE inbox SET locked_until = NULL
      WHERE key = ANY($1::text[]) AND state = 'received' AND attempts = 0
      RETURNING key`,
    [keys],
  );
  const admitted = new Set(r.rows.map((row) => row.key));
  return keys.map((key) => admitted.delete(key));
}

/** `admitAll` through group commit, one key per call. */
export function createAdmitter(db: Db): (key: string) => Promise<boolean> {
  const batcher = createBatcher((keys: string[]) => admitAll(db, keys));
  return (key) => batcher.push(key);
}

/**
 * Claims one row for processing: only a `received` row that nobody holds (no live lease, no pending retry delay).
 * The claim is one conditional UPDATE, so of several processes racing for the same key exactly one wins. Counts an
 * attempt. Returns undefined when the row is done, failed, held by someone else, waiting for a retry, or unknown.
 */
export async function claim(exec: Executor, key: string, leaseMs: number): Promise<InboxRow | undefined> {
  const [row] = await claimAll(exec, [key], leaseMs);
  return row;
}

/** `claim` for many keys in one statement (group commit): one entry per key, in order. */
export async function claimAll(
  exec: Executor,
  keys: readonly string[],
  leaseMs: number,
): Promise<Array<InboxRow | undefined>> {
  const r = await exec.query<RawRow>(
    `UPDATE inbox SET attempts = attempts + 1, locked_until = now() + $2::bigint * interval '1 millisecond'
     WHERE key = ANY($1::text[]) AND state = 'received' AND (locked_until IS NULL OR locked_until <= now())
     RETURNING ${COLUMNS}`,
    [keys, leaseMs],
  );
  const rows = new Map(r.rows.map((row) => [row.key, toRow(row)]));
  return keys.map((key) => {
    const row = rows.get(key);
    rows.delete(key); // a key asked for twice is claimed once
    return row;
  });
}

/** Marks a claimed row processed. Returns false when it was not `received` (already marked elsewhere). */
export async function markDone(exec: Executor, key: string, note?: string): Promise<boolean> {
  const [done] = await markDoneAll(exec, [{ key, note }]);
  return done === true;
}

/** `markDone` for many rows in one statement (group commit): one flag per row, in order. */
export async function markDoneAll(
  exec: Executor,
  rows: ReadonlyArray<{ key: string; note?: string | undefined }>,
): Promise<boolean[]> {
  const r = await exec.query<{ key: string }>(
    `UPDATE inbox SET state = 'done', processed_at = now(), locked_until = NULL, last_error = d.note
       FROM unnest($1::text[], $2::text[]) AS d (key, note)
      WHERE inbox.key = d.key AND inbox.state = 'received'
      RETURNING inbox.key`,
    [rows.map((row) => row.key), rows.map((row) => row.note?.slice(0, MAX_ERROR_LENGTH) ?? null)],
  );
  const done = new Set(r.rows.map((row) => row.key));
  return rows.map((row) => done.delete(row.key));
}

/** Dead-letters a row: processing gave up on it. It stays for inspection (and dedupe) until pruned. */
export async function markFailed(exec: Executor, key: string, error: string): Promise<boolean> {
  const r = await exec.query(
    `UPDATE inbox SET state = 'failed', processed_at = now(), locked_until = NULL, last_error = $2
     WHERE key = $1 AND state = 'received'`,
    [key, error.slice(0, MAX_ERROR_LENGTH)],
  );
  return r.rowCount === 1;
}

/** Extends the leases of rows still being processed, in one statement. Resolves with how many were still `received`. */
export async function renewAll(exec: Executor, keys: readonly string[], leaseMs: number): Promise<number> {
  const r = await exec.query(
    `UPDATE inbox SET locked_until = now() + $2::bigint * interval '1 millisecond'
      WHERE key = ANY($1::text[]) AND state = 'received'`,
    [keys, leaseMs],
  );
  return r.rowCount;
}

/**
 * Gives a claimed row back after a failed attempt; nobody claims it again for `retryInMs`. `uncounted`: the attempt
 * failed through no fault of the row (the database was unreachable), so its claim does not count toward giving up.
 */
export async function release(
  exec: Executor,
  key: string,
  error: string,
  retryInMs: number,
  options: { uncounted?: boolean } = {},
): Promise<boolean> {
  const r = await exec.query(
    `UPDATE inbox SET locked_until = now() + $3::bigint * interval '1 millisecond', last_error = $2,
       attempts = CASE WHEN $4::boolean THEN greatest(attempts - 1, 0) ELSE attempts END
     WHERE key = $1 AND state = 'received'`,
    [key, error.slice(0, MAX_ERROR_LENGTH), retryInMs, options.uncounted === true],
  );
  return r.rowCount === 1;
}

/**
 * Rows a restart or a sweeper must finish: `received`, at least `olderThanMs` old, claimable now (no live lease,
 * no pending retry delay). Oldest first.
 */
export async function pending(
  db: Db,
  options: { olderThanMs: number; platform?: string; limit?: number },
): Promise<InboxRow[]> {
  const r = await db.query<RawRow>(
    `SELECT ${COLUMNS} FROM inbox
     WHERE state = 'received' AND ($2::text IS NULL OR platform = $2)
       AND received_at <= now() - $1::bigint * interval '1 millisecond'
       AND (locked_until IS NULL OR locked_until <= now())
     ORDER BY received_at, key
     LIMIT $3`,
    [options.olderThanMs, options.platform ?? null, options.limit ?? 100],
  );
  return r.rows.map(toRow);
}

/**
 * Deletes processed (done or failed) rows received more than `olderThanMs` ago. Keys must outlive any redelivery
 * (Telegram keeps updates 24 h) but not a quiet week, after which Telegram may reuse update ids (SPEC §5):
 * callers keep 7 days. Rows still `received` are never pruned. Returns the number deleted.
 */
export async function prune(db: Db, olderThanMs: number): Promise<number> {
  const r = await db.query(
    `DELETE FROM inbox WHERE state <> 'received' AND received_at < now() - $1::bigint * interval '1 millisecond'`,
    [olderThanMs],
  );
  return r.rowCount;
}

/** How processing stands (monitoring, tests). */
export async function counts(db: Db, platform?: string): Promise<Record<InboxState, number>> {
  const r = await db.query<{ state: InboxState; n: number }>(
    `SELECT state, count(*)::int AS n FROM inbox WHERE $1::text IS NULL OR platform = $1 GROUP BY state`,
    [platform ?? null],
  );
  const out: Record<InboxState, number> = { received: 0, done: 0, failed: 0 };
  for (const row of r.rows) out[row.state] = row.n;
  return out;
}
