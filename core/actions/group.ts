/**
 * Group actions: a button bound to a group chat that many people may press. A 'once' button counts each person at
 * most once (claim a share, sign up); a 'vote' records each person's choice among its options, changeable (or taken
 * back) until the action closes. Every press is one atomic statement against the (action, person) primary key —
 * never read-then-write — under a lock on the action held shared by presses and exclusively by a close, so a close
 * waits for the presses in flight and every press after it is refused. Who may press is the feature's business: its handler, registered by kind.
 */
import { randomBytes } from 'node:crypto';
import { big, date, dateOrNull, json, textOrNull } from '../db/rows.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import type { Platform } from '../platform.js';
import type { ActionPayload, Outcome } from './model.js';

/** The id scheme of single-person actions (service.ts ACTION_ID), restated: service.ts binds group buttons too. */
const ACTION_ID = /^[A-Za-z0-9_-]{22}$/;

export type GroupActionMode = 'once' | 'vote';
export type GroupActionState = 'open' | 'closed';

export interface GroupAction {
  /** 16 random bytes, base64url (22 characters), as for single-person actions. */
  id: string;
  ref: string | null;
  kind: string;
  payload: ActionPayload;
  platform: Platform;
  chatId: string;
  /** The message carrying its buttons, once shown (a press must then come from it). */
  messageId: string | null;
  mode: GroupActionMode;
  /** Votes: the number of options; null for 'once'. */
  options: number | null;
  state: GroupActionState;
  expiresAt: Date;
  createdBy: bigint;
  createdAt: Date;
  closedAt: Date | null;
}

/** Most options a vote may have (Telegram polls allow 12). */
export const MAX_VOTE_OPTIONS = 12;

export type NewGroupAction = {
  kind: string;
  payload: ActionPayload;
  platform: Platform;
  chatId: string;
  createdBy: bigint;
  ttlMs: number;
  /** Business reference: creating a group action with a ref that exists returns the existing one. */
  ref?: string;
} & ({ mode: 'once' } | { mode: 'vote'; options: number });

export const GROUP_PRESS_ERRORS = [
  'Unknown',
  'Closed',
  'Expired',
  'NotEligible',
  'AlreadyPressed',
  'WrongChat',
] as const;
export type GroupPressError = (typeof GROUP_PRESS_ERRORS)[number];

/** Counts per choice (index = choice; a 'once' action has one) and who counts, earliest press first. */
export interface Tally {
  counts: number[];
  /** People with a standing press (a vote taken back is not one). */
  pressers: Array<{ personId: bigint; choice: number; at: Date }>;
}

export type GroupPressResult =
  /**
   * `tally`: a vote's counts after this press; null for a 'once' action, whose feature keeps its own count (reading
   * every press on every press would make a 1,000-share red packet's claims quadratic).
   */
  | { ok: true; first: boolean; choice: number | null; tally: Tally | null; action: GroupAction }
  | { ok: false; error: GroupPressError };

/**
 * Whether `personId` may press `action`: true, false ('NotEligible'), or the refusal to report. Runs inside the
 * press's transaction, while no close can happen.
 */
export type Eligibility = (tx: Tx, action: GroupAction, personId: bigint) => Promise<boolean | GroupPressError>;

/** What a feature registers for one kind of group action. */
export interface GroupActionHandler {
  kind: string;
  eligible: Eligibility;
  /**
   * After a press was recorded, in its transaction (the action's lock is held shared: never close it from here —
   * schedule the close, so two presses never wait on each other's lock). `personId` pressed. It may answer with an
   * outcome of its own (the command layer renders it with the renderer registered for the kind); a `rejected` one
   * takes the press back, so the person can press again once they fixed the reason (topped up their wallet).
   */
  pressed?: (tx: Tx, action: GroupAction, tally: Tally | null, personId: bigint) => Promise<Outcome | void>;
}

export interface GroupPress {
  /** The group action's id (not the button data: see `parseGroupButton`). */
  id: string;
  /** Votes: the option pressed, or null to take the vote back. 'once': absent. */
  choice?: number | null;
  personId: bigint;
  platform: Platform;
  chatId: string;
  /** The message the pressed button belongs to, when the platform says. */
  messageId?: string;
  /**
   * The platform's order of this delivery (Telegram update_id, Discord interaction id). A vote whose standing choice
   * came from a later delivery is left as it is: one person's quick Yes → No ends at No whichever is processed last.
   */
  order?: bigint;
}

/** Most a BIGINT holds: an order beyond it is not one we can compare (and is treated as unknown). */
const MAX_ORDER = 2n ** 63n - 1n;

const COLUMNS =
  'id, ref, kind, payload, platform, chat_id, message_id, mode, options, state, expires_at, created_by, created_at, closed_at';

function toGroupAction(r: Row): GroupAction {
  return {
    id: String(r.id),
    ref: textOrNull(r.ref),
    kind: String(r.kind),
    payload: json<ActionPayload>(r.payload),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    messageId: textOrNull(r.message_id),
    mode: r.mode as GroupActionMode,
    options: r.options === null || r.options === undefined ? null : Number(r.options),
    state: r.state as GroupActionState,
    expiresAt: date(r.expires_at),
    createdBy: big(r.created_by),
    createdAt: date(r.created_at),
    closedAt: dateOrNull(r.closed_at),
  };
}

/**
 * Button data of a group action: its id, and for a vote `.<choice>` (at most 25 bytes, well within Telegram's 64
 * and Discord's 100).
 */
export const groupButtonId = (id: string, choice?: number): string => (choice === undefined ? id : `${id}.${choice}`);

const GROUP_BUTTON = /^([A-Za-z0-9_-]{22})(?:\.(\d{1,2}))?$/;

/** Reads button data built by `groupButtonId`; undefined for anything else. */
export function parseGroupButton(data: string): { id: string; choice?: number } | undefined {
  const m = typeof data === 'string' ? GROUP_BUTTON.exec(data) : null;
  if (!m?.[1]) return undefined;
  return m[2] === undefined ? { id: m[1] } : { id: m[1], choice: Number(m[2]) };
}

/** Stores an open group action bound to its chat. With a `ref` that exists, returns the existing one (retry-safe). */
export async function createGroupAction(tx: Tx, input: NewGroupAction): Promise<GroupAction> {
  const options = input.mode === 'vote' ? input.options : null;
  if (options !== null && (!Number.isInteger(options) || options < 1 || options > MAX_VOTE_OPTIONS))
    throw new Error(`a vote has 1 to ${MAX_VOTE_OPTIONS} options, not ${options}`);
  const r = await tx.query(
    `INSERT INTO group_actions (id, ref, kind, payload, platform, chat_id, mode, options, expires_at, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, now() + $9::bigint * interval '1 millisecond', $10)
     ON CONFLICT (ref) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      randomBytes(16).toString('base64url'),
      input.ref ?? null,
      input.kind,
      JSON.stringify(input.payload),
      input.platform,
      input.chatId,
      input.mode,
      options,
      Math.max(1, Math.trunc(input.ttlMs)),
      input.createdBy,
    ],
  );
  const row = r.rows[0] ?? (await tx.query(`SELECT ${COLUMNS} FROM group_actions WHERE ref = $1`, [input.ref])).rows[0];
  if (!row) throw new Error(`group action ${input.ref ?? input.kind} vanished after insert`);
  return toGroupAction(row);
}

export async function getGroupAction(exec: Executor, id: string): Promise<GroupAction | undefined> {
  if (typeof id !== 'string' || !ACTION_ID.test(id)) return undefined;
  const r = await exec.query(`SELECT ${COLUMNS} FROM group_actions WHERE id = $1`, [id]);
  return r.rows[0] ? toGroupAction(r.rows[0]) : undefined;
}

/**
 * Applies one press atomically. Of any number of concurrent presses by one person on a 'once' action exactly one is
 * recorded (the others are 'AlreadyPressed'); a vote keeps the person's last choice, null taking it back.
 */
export async function pressGroupAction(tx: Tx, press: GroupPress, eligible: Eligibility): Promise<GroupPressResult> {
  return (await applyPress(tx, press, eligible)).result;
}

/** `pressGroupAction`, with the action when there is one. */
async function applyPress(
  tx: Tx,
  press: GroupPress,
  eligible: Eligibility,
): Promise<{ action: GroupAction | undefined; result: GroupPressResult }> {
  const refuse = (error: GroupPressError, action?: GroupAction) => ({ action, result: { ok: false as const, error } });
  if (typeof press.id !== 'string' || !ACTION_ID.test(press.id)) return refuse('Unknown');
  await lockAction(tx, press.id, 'shared');
  // Read after the lock, in a snapshot of its own (READ COMMITTED): a close that went first is seen.
  const found = await tx.query(`SELECT ${COLUMNS}, expires_at <= now() AS past FROM group_actions WHERE id = $1`, [
    press.id,
  ]);
  const row = found.rows[0];
  if (!row) return refuse('Unknown');
  const action = toGroupAction(row);
  if (
    action.platform !== press.platform ||
    action.chatId !== press.chatId ||
    (action.messageId !== null && press.messageId !== undefined && action.messageId !== press.messageId)
  )
    return refuse('WrongChat', action);
  if (action.state === 'closed') return refuse('Closed', action);
  if (row.past === true) return refuse('Expired', action);
  const choice = choiceOf(action, press.choice);
  if (choice === undefined) return refuse('Unknown', action);

  const allowed = await eligible(tx, action, press.personId);
  if (allowed !== true) return refuse(allowed === false ? 'NotEligible' : allowed, action);

  // The primary key (action_id, person_id) decides; the state check is repeated in the statement itself.
  const applied =
    action.mode === 'once'
      ? await tx.query(
          `INSERT INTO group_action_presses (action_id, person_id, choice)
           SELECT id, $2, 0 FROM group_actions WHERE id = $1 AND state = 'open'
           ON CONFLICT (action_id, person_id) DO NOTHING
           RETURNING true AS first`,
          [action.id, press.personId],
        )
      : await tx.query(
          // A delivery older than the one the standing choice came from changes nothing (deliveries of unknown
          // order are applied as they come).
          `INSERT INTO group_action_presses AS p (action_id, person_id, choice, seq)
           SELECT id, $2, $3, $4 FROM group_actions WHERE id = $1 AND state = 'open'
           ON CONFLICT (action_id, person_id) DO UPDATE SET choice = EXCLUDED.choice, seq = EXCLUDED.seq, updated_at = now()
             WHERE (p.seq IS NULL OR EXCLUDED.seq IS NULL OR EXCLUDED.seq > p.seq)
               AND (p.choice IS DISTINCT FROM EXCLUDED.choice OR p.seq IS DISTINCT FROM EXCLUDED.seq)
           RETURNING (xmax = 0) AS first`,
          [action.id, press.personId, choice, orderOf(press.order)],
        );
  const recorded = applied.rows[0];
  if (action.mode === 'once' && !recorded) return refuse('AlreadyPressed', action);
  // A vote for the choice already standing changes nothing and is no error.
  const first = recorded?.first === true;
  const counted = action.mode === 'vote' ? await tally(tx, action.id) : null;
  return { action, result: { ok: true, first, choice, tally: counted, action } };
}

const orderOf = (order: bigint | undefined): bigint | null =>
  order !== undefined && order >= 0n && order <= MAX_ORDER ? order : null;

/** Advisory lock space of group actions (the two-key form never meets the one-key locks of migrations). */
const LOCK_SPACE = 727402;

/**
 * Presses hold an action's lock shared until they commit; a close takes it exclusively, so it waits for the presses
 * in flight and the presses arriving meanwhile queue behind it (the lock manager serves waiters in order: a stream
 * of presses cannot starve a close, as it would behind a row's FOR SHARE). Two ids hashing alike only wait needlessly.
 */
async function lockAction(tx: Tx, id: string, mode: 'shared' | 'exclusive'): Promise<void> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await tx.query(`SELECT ${fn}($1::int, hashtext($2))`, [LOCK_SPACE, id]);
}

/** The choice a press stands for: 0 for 'once', the option or null for a vote; undefined when it cannot be. */
function choiceOf(action: GroupAction, choice: number | null | undefined): number | null | undefined {
  if (action.mode === 'once') return choice === undefined ? 0 : undefined;
  if (choice === null) return null;
  if (choice === undefined || !Number.isInteger(choice) || choice < 0 || choice >= (action.options ?? 0))
    return undefined;
  return choice;
}

/** Counts per choice and the people with a standing press, earliest first. */
export async function tally(exec: Executor, actionId: string): Promise<Tally> {
  const r = await exec.query(
    `SELECT g.mode, g.options, p.person_id, p.choice, p.created_at
       FROM group_actions g LEFT JOIN group_action_presses p ON p.action_id = g.id AND p.choice IS NOT NULL
      WHERE g.id = $1
      ORDER BY p.created_at, p.person_id`,
    [actionId],
  );
  const first = r.rows[0];
  const counts: number[] = Array.from({ length: first?.mode === 'vote' ? Number(first.options) : 1 }, () => 0);
  const pressers: Tally['pressers'] = [];
  for (const row of r.rows) {
    if (row.person_id === null || row.person_id === undefined) continue;
    const choice = Number(row.choice);
    counts[choice] = (counts[choice] ?? 0) + 1;
    pressers.push({ personId: big(row.person_id), choice, at: date(row.created_at) });
  }
  return { counts, pressers };
}

/**
 * Holds the action's lock exclusively until the transaction ends: presses in flight have committed, new ones wait.
 * A feature deciding on the final tally (and maybe closing) takes it first.
 */
export async function lockGroupAction(tx: Tx, id: string): Promise<void> {
  if (typeof id === 'string' && ACTION_ID.test(id)) await lockAction(tx, id, 'exclusive');
}

/**
 * Closes an open group action, exactly once: of any number of concurrent closes one gets the action back, the
 * others undefined. It waits for the presses in flight, so a tally read after it in the same transaction is final.
 */
export async function closeGroupAction(tx: Tx, id: string): Promise<GroupAction | undefined> {
  if (typeof id !== 'string' || !ACTION_ID.test(id)) return undefined;
  await lockAction(tx, id, 'exclusive');
  const r = await tx.query(
    `UPDATE group_actions SET state = 'closed', closed_at = now() WHERE id = $1 AND state = 'open' RETURNING ${COLUMNS}`,
    [id],
  );
  return r.rows[0] ? toGroupAction(r.rows[0]) : undefined;
}

/**
 * Takes a 'once' press back: the person may press again (their press was refused by the feature, or the button is
 * one to press repeatedly, such as "remind now").
 */
export async function unpress(tx: Tx, actionId: string, personId: bigint): Promise<void> {
  await tx.query(`DELETE FROM group_action_presses WHERE action_id = $1 AND person_id = $2`, [actionId, personId]);
}

/** What pressing a group button did, for the command layer (`PressOutcome` of core/index.ts). */
export interface GroupPressOutcome {
  type: 'group';
  kind: string;
  result: GroupPressResult;
  /** What the feature's `pressed` hook answered, when it did. */
  outcome?: Outcome;
}

/** The group action kinds of the features, by kind. */
export interface GroupActions {
  /** Adds a feature's handler; a kind registered twice is a wiring bug and throws. */
  register(handler: GroupActionHandler): void;
  has(kind: string): boolean;
  /**
   * A button press, when the button belongs to a group action: undefined when it does not (the caller reports
   * its own refusal). A group action whose kind nobody registered throws: a wiring bug, not a user error.
   */
  press(
    tx: Tx,
    input: {
      actionId: string;
      personId: bigint;
      platform: Platform;
      chatId: string;
      messageId?: string;
      order?: bigint;
    },
  ): Promise<GroupPressOutcome | undefined>;
  /** A vote delivered another way than a button (a native poll answer). */
  vote(tx: Tx, press: GroupPress): Promise<GroupPressOutcome | undefined>;
}

export function createGroupActions(handlers: readonly GroupActionHandler[] = []): GroupActions {
  const byKind = new Map<string, GroupActionHandler>();
  const register = (handler: GroupActionHandler): void => {
    if (byKind.has(handler.kind)) throw new Error(`group action kind ${handler.kind} registered twice`);
    byKind.set(handler.kind, handler);
  };
  handlers.forEach(register);

  const eligible: Eligibility = (tx, action, personId) => {
    const handler = byKind.get(action.kind);
    if (!handler) throw new Error(`no handler for group action kind ${action.kind}`);
    return handler.eligible(tx, action, personId);
  };

  async function run(tx: Tx, press: GroupPress): Promise<GroupPressOutcome | undefined> {
    const { action, result } = await applyPress(tx, press, eligible);
    const hook = result.ok ? byKind.get(result.action.kind)?.pressed : undefined;
    const outcome = result.ok && hook ? await hook(tx, result.action, result.tally, press.personId) : undefined;
    if (result.ok && outcome?.type === 'rejected') await unpress(tx, result.action.id, press.personId);
    if (!action) return undefined;
    return { type: 'group', kind: action.kind, result, ...(outcome ? { outcome } : {}) };
  }

  return {
    register,
    has: (kind) => byKind.has(kind),
    async press(tx, input) {
      const button = parseGroupButton(input.actionId);
      if (!button) return undefined;
      return run(tx, {
        id: button.id,
        ...(button.choice !== undefined ? { choice: button.choice } : {}),
        personId: input.personId,
        platform: input.platform,
        chatId: input.chatId,
        ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
        ...(input.order !== undefined ? { order: input.order } : {}),
      });
    },
    vote: run,
  };
}
