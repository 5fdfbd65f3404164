import { randomBytes } from 'node:crypto';
import { createBatcher } from '../db/batch.js';
import type { Db, Executor, Row, Tx } from '../db/executor.js';
import { big, date, dateOrNull, json, textOrNull } from '../db/rows.js';
import type { Platform } from '../platform.js';
import { parseGroupButton } from './group.js';
import {
  ACTION_END_KIND,
  type Action,
  type ActionPayload,
  type ActionState,
  type ConsumeResult,
  type NewAction,
} from './model.js';

/** The shape of an id we issue; anything else (forged, truncated, oversized) is 'Unknown' without a query. */
export const ACTION_ID = /^[A-Za-z0-9_-]{22}$/;

const COLUMNS =
  'id, ref, person_id, platform, chat_id, message_id, kind, payload, state, expires_at, created_at, consumed_at';

function toAction(r: Row): Action {
  return {
    id: String(r.id),
    ref: textOrNull(r.ref),
    personId: big(r.person_id),
    platform: textOrNull(r.platform) as Platform | null,
    chatId: textOrNull(r.chat_id),
    messageId: textOrNull(r.message_id),
    kind: String(r.kind),
    payload: json<ActionPayload>(r.payload),
    state: r.state as ActionState,
    expiresAt: date(r.expires_at),
    createdAt: date(r.created_at),
    consumedAt: dateOrNull(r.consumed_at),
  };
}

/**
 * Stores a pending action and returns its opaque id. With a `ref` that already
 * exists, returns the existing action instead (retry-safe).
 */
export async function createAction(tx: Tx, input: NewAction): Promise<{ id: string; expiresAt: Date }> {
  const id = randomBytes(16).toString('base64url');
  const r = await tx.query(
    `INSERT INTO actions (id, ref, person_id, platform, chat_id, kind, payload, expires_at, end_view)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now() + $8::bigint * interval '1 millisecond', $9::jsonb)
     ON CONFLICT (ref) DO NOTHING
     RETURNING id, expires_at`,
    [
      id,
      input.ref ?? null,
      input.personId,
      input.platform ?? null,
      input.chatId ?? null,
      input.kind.kind,
      JSON.stringify(input.payload),
      Math.max(1, Math.trunc(input.ttlMs)),
      input.endsAs && input.ref !== undefined ? JSON.stringify(input.endsAs) : null,
    ],
  );
  const row = r.rows[0] ?? (await tx.query(`SELECT id, expires_at FROM actions WHERE ref = $1`, [input.ref])).rows[0];
  if (!row) throw new Error(`action ${input.ref ?? id} vanished after insert`);
  return { id: String(row.id), expiresAt: date(row.expires_at) };
}

export interface ButtonsShown {
  ids: readonly string[];
  chat: { platform: Platform; chatId: string };
  messageId: string;
}

/**
 * Records the messages that carry these actions' buttons, one statement for many (group commit): a press must then
 * come from that message. Only actions bound to the message's chat are bound to it; an action without a chat (a
 * notification, also shown elsewhere) stays pressable wherever its person sees it. The first message wins. An action
 * with an end view gets its `action.end` job here, due when it expires: its message then shows that view.
 */
export async function bindMessages(exec: Executor, shown: readonly ButtonsShown[]): Promise<void> {
  // A group action's vote buttons carry `<id>.<choice>`: bound by their id (core/actions/group.ts).
  const rows = shown.flatMap((s) =>
    s.ids.flatMap((data) => {
      const id = parseGroupButton(data)?.id;
      return id === undefined ? [] : [{ id, ...s }];
    }),
  );
  if (rows.length === 0) return;
  await exec.query(
    `WITH b AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS b (id, platform, chat_id, message_id)
     ), single AS (
       UPDATE actions a SET message_id = b.message_id FROM b
        WHERE a.id = b.id AND a.message_id IS NULL AND a.platform = b.platform AND a.chat_id = b.chat_id
        RETURNING a.ref, a.end_view, a.expires_at
     ), ends AS (
       INSERT INTO outbox (key, kind, payload, due_at)
       SELECT $5 || ':' || ref, $5, jsonb_build_object('ref', ref), expires_at FROM single
        WHERE end_view IS NOT NULL AND ref IS NOT NULL
       ON CONFLICT (key) DO NOTHING
     )
     UPDATE group_actions g SET message_id = b.message_id FROM b
      WHERE g.id = b.id AND g.message_id IS NULL AND g.platform = b.platform AND g.chat_id = b.chat_id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.chat.platform),
      rows.map((r) => r.chat.chatId),
      rows.map((r) => r.messageId),
      ACTION_END_KIND,
    ],
  );
}

/** Binds through group commit: the buttons of messages sent at the same time share one statement. */
export function createButtonBinder(db: Db): (shown: ButtonsShown) => Promise<void> {
  const batcher = createBatcher(async (shown: ButtonsShown[]) => {
    await bindMessages(db, shown);
    return shown.map(() => undefined);
  });
  return (shown) => batcher.push(shown);
}

export async function findActionByRef(exec: Executor, ref: string): Promise<Action | undefined> {
  const r = await exec.query(`SELECT ${COLUMNS} FROM actions WHERE ref = $1`, [ref]);
  return r.rows[0] ? toAction(r.rows[0]) : undefined;
}

export interface Press {
  id: string;
  personId: bigint;
  platform: Platform;
  chatId: string;
  /** The message the pressed button belongs to, when the platform says. */
  messageId?: string;
}

/**
 * Consumes an action for the person pressing it, atomically: of two concurrent presses exactly one
 * gets it. On refusal, says why — 'NotYours' before anything else, so a stranger learns nothing about
 * someone else's action.
 */
export async function consumeAction(tx: Tx, press: Press): Promise<ConsumeResult> {
  if (typeof press.id !== 'string' || !ACTION_ID.test(press.id)) return { ok: false, error: 'Unknown' };
  const r = await tx.query(
    `UPDATE actions SET state = 'consumed', consumed_at = now()
      WHERE id = $1 AND state = 'pending' AND expires_at > now() AND person_id = $2
        AND (platform IS NULL OR platform = $3) AND (chat_id IS NULL OR chat_id = $4)
        AND (message_id IS NULL OR $5::text IS NULL OR message_id = $5)
      RETURNING ${COLUMNS}`,
    [press.id, press.personId, press.platform, press.chatId, press.messageId ?? null],
  );
  if (r.rows[0]) {
    const action = toAction(r.rows[0]);
    if (press.messageId === undefined) return { ok: true, action };
    const pressedIn = { platform: press.platform, chatId: press.chatId, messageId: press.messageId };
    return { ok: true, action: { ...action, pressedIn } };
  }

  const seen = await tx.query(`SELECT ${COLUMNS}, expires_at <= now() AS past FROM actions WHERE id = $1`, [press.id]);
  const row = seen.rows[0];
  if (!row) return { ok: false, error: 'Unknown' };
  const action = toAction(row);
  if (action.personId !== press.personId) return { ok: false, error: 'NotYours' };
  if (action.state === 'consumed') return { ok: false, error: 'AlreadyUsed' };
  if (action.state === 'expired' || row.past === true) return { ok: false, error: 'Expired' };
  return { ok: false, error: 'WrongChat' };
}

/** Puts a consumed action back (the operation was refused for a reason the person can fix, e.g. funds). */
export async function reopenAction(tx: Tx, id: string): Promise<void> {
  await tx.query(`UPDATE actions SET state = 'pending', consumed_at = NULL WHERE id = $1 AND state = 'consumed'`, [id]);
}

/** Expires still-pending actions by ref (the other button of a resolved request, a resolved claim's buttons). */
export async function expireActionsByRef(exec: Executor, refs: readonly string[]): Promise<number> {
  if (refs.length === 0) return 0;
  const r = await exec.query(`UPDATE actions SET state = 'expired' WHERE ref = ANY($1::text[]) AND state = 'pending'`, [
    [...refs],
  ]);
  return r.rowCount;
}

/** Housekeeping: marks pending actions past their deadline as expired and deletes old ones. */
export async function sweepActions(
  exec: Executor,
  deleteOlderThan: Date,
): Promise<{ expired: number; deleted: number }> {
  const expired = await exec.query(
    `UPDATE actions SET state = 'expired' WHERE state = 'pending' AND expires_at <= now()`,
  );
  const deleted = await exec.query(`DELETE FROM actions WHERE state <> 'pending' AND expires_at < $1`, [
    deleteOlderThan.toISOString(),
  ]);
  return { expired: expired.rowCount, deleted: deleted.rowCount };
}
