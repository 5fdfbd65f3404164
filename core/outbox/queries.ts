/**
 * The relay side of the outbox: what the workers read and write. Every decision about time uses the
 * database clock (`now()`), never the worker's, so a skewed worker host can run a job late but never
 * early. Row ids travel as decimal strings (they end up in BullMQ job data).
 */
import type { Db, Executor, Row, Tx } from '../db/executor.js';
import type { JsonValue } from '../db/wire.js';

export type OutboxState = 'pending' | 'done' | 'cancelled' | 'dead';

export type OutboxPayload = { [key: string]: JsonValue };

/** A row handed to BullMQ: the job is delayed by `delayMs` (due_at − now() by the database clock, ≥ 0). */
export interface RelayedRow {
  id: string;
  key: string;
  kind: string;
  delayMs: number;
  /** due_at in ms since the epoch. */
  dueMs: number;
}

/** A row as a job sees it before acting. */
export interface OutboxRow {
  id: string;
  key: string;
  kind: string;
  payload: OutboxPayload;
  state: OutboxState;
  dueAt: Date;
  /** due_at − now() in ms by the database clock: ≤ 0 once due. */
  dueInMs: number;
  /** The database clock when the row was read, in ms since the epoch. */
  nowMs: number;
  attempts: number;
}

/** A pending, due row locked by the caller's transaction. */
export interface ClaimedRow {
  id: string;
  key: string;
  kind: string;
  payload: OutboxPayload;
  dueAt: Date;
}

const ms = (interval: string): string => `(extract(epoch FROM ${interval}) * 1000)::float8`;
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const payloadOf = (v: unknown): OutboxPayload => (typeof v === 'string' ? JSON.parse(v) : v) as OutboxPayload; // jsonb arrives parsed from pg and PGlite

const toRelayed = (r: Row): RelayedRow => ({
  id: String(r.id),
  key: String(r.key),
  kind: String(r.kind),
  delayMs: Math.max(0, Math.ceil(Number(r.delay_ms))),
  dueMs: Number(r.due_ms),
});

const toRow = (r: Row): OutboxRow => ({
  id: String(r.id),
  key: String(r.key),
  kind: String(r.kind),
  payload: payloadOf(r.payload),
  state: r.state as OutboxState,
  dueAt: date(r.due_at),
  dueInMs: Number(r.due_in_ms),
  nowMs: Number(r.now_ms),
  attempts: Number(r.attempts),
});

const toClaimed = (r: Row): ClaimedRow => ({
  id: String(r.id),
  key: String(r.key),
  kind: String(r.kind),
  payload: payloadOf(r.payload),
  dueAt: date(r.due_at),
});

/**
 * "Due by the database clock", as a filter the planner cannot turn into an index condition: lookups by
 * id or person then always go by their own index, even on a table not yet analyzed (a burst of 100k
 * fresh rows would otherwise be scanned through the due-time index).
 */
const DUE = '(due_at <= now()) IS TRUE';

const ROW_COLUMNS = `id, key, kind, payload, state, due_at, attempts, ${ms('due_at - now()')} AS due_in_ms, ${ms('now()')} AS now_ms`;

/**
 * Marks up to `limit` pending rows of `kinds` due within `lookaheadMs` and never enqueued as enqueued,
 * and returns them for the relay to add to BullMQ. One statement, so no lock outlives it: a job that
 * starts at once never waits on the relay. A crash before the jobs are added leaves rows marked but
 * without a job; the sweeper re-adds them after its grace period.
 */
export async function takeForRelay(
  exec: Executor,
  query: { kinds: readonly string[]; lookaheadMs: number; limit: number },
): Promise<RelayedRow[]> {
  const r = await exec.query(
    `UPDATE outbox SET enqueued_at = now()
      WHERE id IN (SELECT id FROM outbox
                    WHERE state = 'pending' AND enqueued_at IS NULL AND kind = ANY($1::text[])
                      AND due_at <= now() + $2 * interval '1 millisecond'
                    ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING id, key, kind, ${ms('due_at - now()')} AS delay_ms, (extract(epoch FROM due_at) * 1000)::float8 AS due_ms`,
    [query.kinds, query.lookaheadMs, query.limit],
  );
  return r.rows.map(toRelayed).sort((a, b) => a.delayMs - b.delayMs);
}

/**
 * Pending rows of `kinds` due within `lookaheadMs` that were enqueued more than `graceMs` ago (or whose
 * enqueue was never recorded): their job may have vanished with Redis. Oldest first; `after` pages.
 */
export async function sweepCandidates(
  exec: Executor,
  query: { kinds: readonly string[]; lookaheadMs: number; graceMs: number; limit: number; after?: string },
): Promise<RelayedRow[]> {
  const r = await exec.query(
    `SELECT id, key, kind, ${ms('due_at - now()')} AS delay_ms, (extract(epoch FROM due_at) * 1000)::float8 AS due_ms FROM outbox
      WHERE state = 'pending' AND kind = ANY($1::text[])
        AND due_at <= now() + $2 * interval '1 millisecond'
        AND enqueued_at < now() - $3 * interval '1 millisecond'
        AND id > $5
      ORDER BY id LIMIT $4`,
    [query.kinds, query.lookaheadMs, query.graceMs, query.limit, query.after ?? '0'],
  );
  return r.rows.map(toRelayed);
}

/** Records that the sweeper checked (or re-added) these rows' jobs; rows locked by a running job are skipped. */
export async function touchEnqueued(exec: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await exec.query(
    `UPDATE outbox SET enqueued_at = now()
      WHERE id IN (SELECT id FROM outbox WHERE id = ANY($1::bigint[]) AND state = 'pending' FOR UPDATE SKIP LOCKED)`,
    [ids],
  );
}

/** The rows as they stand now (no locks), with their due time against the database clock. */
export async function inspect(exec: Executor, ids: readonly string[]): Promise<OutboxRow[]> {
  if (ids.length === 0) return [];
  const r = await exec.query(`SELECT ${ROW_COLUMNS} FROM outbox WHERE id = ANY($1::bigint[])`, [ids]);
  return r.rows.map(toRow);
}

/**
 * Locks the row for the caller's transaction when it is pending and due by the database clock.
 * Undefined when it is not (done, cancelled, dead, not due yet) or when another transaction holds it:
 * `inspect` tells which.
 */
export async function claimDue(tx: Tx, id: string): Promise<ClaimedRow | undefined> {
  const r = await tx.query(
    `SELECT id, key, kind, payload, due_at FROM outbox
      WHERE id = $1 AND state = 'pending' AND ${DUE} FOR UPDATE SKIP LOCKED`,
    [id],
  );
  return r.rows[0] ? toClaimed(r.rows[0]) : undefined;
}

/**
 * Locks up to `limit` pending `notify` rows due by the database clock, oldest first, and up to
 * `companions` more due rows of the same people (their digest companions); rows another transaction
 * holds are skipped. The notifications worker drains the outbox with this: one statement per batch,
 * whatever the number of rows.
 */
export async function claimDueNotifications(
  tx: Tx,
  query: { limit: number; companions: number },
): Promise<{ rows: ClaimedRow[]; nowMs: number }> {
  const r = await tx.query(
    `WITH due AS (
       SELECT id, key, kind, payload, due_at FROM outbox
        WHERE kind = 'notify' AND state = 'pending' AND due_at <= now()
        ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED),
     companions AS (
       SELECT id, key, kind, payload, due_at FROM outbox
        WHERE payload ->> 'personId' = ANY (ARRAY(SELECT DISTINCT payload ->> 'personId' FROM due))
          AND kind = 'notify' AND state = 'pending' AND ${DUE}
          AND NOT (id = ANY (ARRAY(SELECT id FROM due)))
        ORDER BY payload ->> 'personId', due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     SELECT *, ${ms('now()')} AS now_ms FROM due UNION ALL SELECT *, ${ms('now()')} AS now_ms FROM companions`,
    [query.limit, Math.max(0, query.companions)],
  );
  return { rows: r.rows.map(toClaimed), nowMs: r.rows[0] ? Number(r.rows[0].now_ms) : Date.now() };
}

/**
 * Moves pending `notify` rows to `dueAt` (quiet hours, a chat's pace, a rate limit) and hands them back
 * to the relay, which arms the notifications worker for their new time.
 */
export async function deferNotifications(exec: Executor, ids: readonly string[], dueAt: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await exec.query(
    `UPDATE outbox SET due_at = GREATEST(due_at, $2), enqueued_at = NULL
      WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
    [ids, dueAt.toISOString()],
  );
  return r.rowCount;
}

/**
 * Records a failed delivery of pending `notify` rows. A permanent failure, or the last of `attempts`,
 * makes a row a dead letter; otherwise it is tried again `backoffMs` later, doubled per attempt already
 * made (exponential backoff by the database clock). Returns each row's key, attempts and whether it died.
 */
export async function failNotifications(
  exec: Executor,
  ids: readonly string[],
  failure: { error: string; permanent: boolean; attempts: number; backoffMs: number },
): Promise<Array<{ key: string; attempts: number; dead: boolean }>> {
  if (ids.length === 0) return [];
  const r = await exec.query(
    `WITH failed AS (
       SELECT id, ($3 OR attempts + 1 >= $4) AS dead FROM outbox
        WHERE id = ANY($1::bigint[]) AND state = 'pending')
     UPDATE outbox o SET attempts = o.attempts + 1, last_error = $2,
            state = CASE WHEN f.dead THEN 'dead' ELSE o.state END,
            done_at = CASE WHEN f.dead THEN now() ELSE o.done_at END,
            due_at = CASE WHEN f.dead THEN o.due_at
                          ELSE now() + $5 * power(2, o.attempts) * interval '1 millisecond' END,
            enqueued_at = NULL
       FROM failed f WHERE o.id = f.id
     RETURNING o.key, o.attempts, f.dead`,
    [ids, failure.error.slice(0, 2000), failure.permanent, failure.attempts, failure.backoffMs],
  );
  return r.rows.map((row) => ({ key: String(row.key), attempts: Number(row.attempts), dead: row.dead === true }));
}

/**
 * For a notifications tick armed for `untilMs` (epoch ms): how long until the earliest relayed, pending
 * `notify` row due by then is due by the database clock. Null when none is still to come, so a tick the
 * worker's clock fired early waits for its rows instead of ending without them.
 */
export async function notifyWaitMs(exec: Executor, untilMs: number): Promise<number | null> {
  const r = await exec.query(
    `SELECT ${ms('min(due_at) - now()')} AS wait_ms FROM outbox
      WHERE kind = 'notify' AND state = 'pending' AND enqueued_at IS NOT NULL
        AND due_at > now() AND due_at <= to_timestamp($1::float8 / 1000)`,
    [untilMs],
  );
  const wait = r.rows[0]?.wait_ms;
  return wait === null || wait === undefined ? null : Math.max(1, Math.ceil(Number(wait)));
}

/** Marks pending rows done (`note` kept in last_error, e.g. why a message was not delivered). Returns how many. */
export async function markDone(exec: Executor, ids: readonly string[], note?: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await exec.query(
    `UPDATE outbox SET state = 'done', done_at = now(), attempts = attempts + 1, last_error = COALESCE($2, last_error)
      WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
    [ids, note ?? null],
  );
  return r.rowCount;
}

/** Records a failed attempt; `dead` ends the row (a dead letter: retries exhausted or retrying cannot help). */
export async function recordFailure(
  exec: Executor,
  id: string,
  failure: { error: string; dead: boolean },
): Promise<boolean> {
  const r = await exec.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
            state = CASE WHEN $3 THEN 'dead' ELSE state END,
            done_at = CASE WHEN $3 THEN now() ELSE done_at END
      WHERE id = $1 AND state = 'pending'`,
    [id, failure.error.slice(0, 2000), failure.dead],
  );
  return r.rowCount === 1;
}

/** Moves pending rows to a later due time (quiet hours); their jobs are delayed to match. */
export async function postpone(exec: Executor, ids: readonly string[], dueAt: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await exec.query(
    `UPDATE outbox SET due_at = $2 WHERE id = ANY($1::bigint[]) AND state = 'pending' AND due_at < $2`,
    [ids, dueAt.toISOString()],
  );
  return r.rowCount;
}

export interface SentMessage {
  outboxKey: string;
  platform: string;
  chatId: string;
  messageId: string;
}

/**
 * Records messages handed to a platform and marks their rows done, in one statement of the caller's
 * transaction (the record exists before any job reports success). A row an operator revived and sent
 * again keeps only its latest message.
 */
export async function recordSent(tx: Tx, messages: readonly SentMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.query(
    `WITH done AS (
       UPDATE outbox SET state = 'done', done_at = now(), attempts = attempts + 1
        WHERE key = ANY($1::text[]) AND state = 'pending')
     INSERT INTO sent_messages (outbox_key, platform, chat_id, message_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
     ON CONFLICT (outbox_key) DO UPDATE
        SET platform = excluded.platform, chat_id = excluded.chat_id, message_id = excluded.message_id, sent_at = now()`,
    [
      messages.map((m) => m.outboxKey),
      messages.map((m) => m.platform),
      messages.map((m) => m.chatId),
      messages.map((m) => m.messageId),
    ],
  );
}

/**
 * Records messages the moment the platform took them, in a commit of their own (`db`, not the batch's transaction):
 * a process killed before its batch commits leaves this record behind, and the next batch marks those rows done
 * instead of sending them again (`alreadySent`). Only a kill between the platform call and this one statement can
 * still repeat a message. The batch's `recordSent` writes the same rows again and marks them done.
 */
export async function noteSent(db: Db, messages: readonly SentMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.query(
    `INSERT INTO sent_messages (outbox_key, platform, chat_id, message_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (outbox_key) DO NOTHING`,
    [
      messages.map((m) => m.outboxKey),
      messages.map((m) => m.platform),
      messages.map((m) => m.chatId),
      messages.map((m) => m.messageId),
    ],
  );
}

/** Of `rows`, those a message was already recorded for (sent by a batch that never committed). */
export async function alreadySent(tx: Tx, rows: readonly ClaimedRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const r = await tx.query<{ outbox_key: string }>(
    `SELECT outbox_key FROM sent_messages WHERE outbox_key = ANY($1::text[])`,
    [rows.map((row) => row.key)],
  );
  return new Set(r.rows.map((row) => row.outbox_key));
}

export interface OutboxHealth {
  pending: number;
  /** Pending rows due more than `overdueMs` ago: INV-7 says none should be. */
  overdue: number;
  /** Dead letters: rows that exhausted their retries or were rejected. */
  dead: number;
  /** Age in seconds of the oldest overdue row (0 when none). */
  oldestOverdueSeconds: number;
}

/** Queue completeness at a glance; each count is served by a partial index. */
export async function outboxHealth(exec: Executor, overdueMs: number): Promise<OutboxHealth> {
  const r = await exec.query(
    `SELECT (SELECT count(*) FROM outbox WHERE state = 'pending')::int AS pending,
            (SELECT count(*) FROM outbox WHERE state = 'pending'
                AND due_at < now() - $1 * interval '1 millisecond')::int AS overdue,
            (SELECT ${ms('now() - min(due_at)')} FROM outbox WHERE state = 'pending'
                AND due_at < now() - $1 * interval '1 millisecond') AS oldest_ms,
            (SELECT count(*) FROM outbox WHERE state = 'dead')::int AS dead`,
    [overdueMs],
  );
  const row = r.rows[0] ?? {};
  return {
    pending: Number(row.pending ?? 0),
    overdue: Number(row.overdue ?? 0),
    dead: Number(row.dead ?? 0),
    oldestOverdueSeconds: Number(row.oldest_ms ?? 0) / 1000,
  };
}

export interface DeadLetter {
  key: string;
  kind: string;
  attempts: number;
  lastError: string | null;
  dueAt: Date;
  deadAt: Date | null;
}

/** The most recent dead letters, newest first (operators: what failed for good, and why). */
export async function deadLetters(exec: Executor, limit: number): Promise<DeadLetter[]> {
  const r = await exec.query(
    `SELECT key, kind, attempts, last_error, due_at, done_at FROM outbox WHERE state = 'dead'
      ORDER BY done_at DESC NULLS LAST LIMIT $1`,
    [limit],
  );
  return r.rows.map((row) => ({
    key: String(row.key),
    kind: String(row.kind),
    attempts: Number(row.attempts),
    lastError: typeof row.last_error === 'string' ? row.last_error : null,
    dueAt: date(row.due_at),
    deadAt: row.done_at === null || row.done_at === undefined ? null : date(row.done_at),
  }));
}
