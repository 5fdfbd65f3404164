/**
 * Polls: a 'vote' group action shown as a native poll where the platform has one (Telegram, non-anonymous, so each
 * answer names its voter) and as one button per option elsewhere. A native poll's answers arrive by poll id, with
 * no chat: `bindPoll` records which action (and which message) the poll is, `findPoll` leads an answer back to it.
 */
import type { Executor, Row, Tx } from '../db/executor.js';
import type { Platform } from '../platform.js';
import { schedule } from '../outbox/service.js';
import {
  closeGroupAction,
  createGroupAction,
  MAX_VOTE_OPTIONS,
  type GroupAction,
  type GroupActionHandler,
} from './group.js';

export const POLL_KIND = 'poll';

/**
 * Anyone who can see a poll may vote: only the chat's members see it (and voting records them as present there).
 */
export const POLL_HANDLER: GroupActionHandler = { kind: POLL_KIND, eligible: () => Promise.resolve(true) };

export interface NewPoll {
  platform: Platform;
  chatId: string;
  createdBy: bigint;
  question: string;
  options: readonly string[];
  ttlMs: number;
  ref?: string;
}

/** Telegram's bounds, the strictest of the platforms: question 1-300 characters, 2-12 options of 1-100. */
export const POLL_LIMITS = { question: 300, option: 100, minOptions: 2, maxOptions: MAX_VOTE_OPTIONS } as const;

/** Stores the vote behind a new poll. Malformed polls are a programming error: features build them. */
export async function createPoll(tx: Tx, input: NewPoll): Promise<GroupAction> {
  const { question, options } = input;
  if (question.length < 1 || question.length > POLL_LIMITS.question) throw new RangeError('poll question length');
  if (options.length < POLL_LIMITS.minOptions || options.length > POLL_LIMITS.maxOptions)
    throw new RangeError(`a poll has ${POLL_LIMITS.minOptions} to ${POLL_LIMITS.maxOptions} options`);
  if (options.some((o) => o.length < 1 || o.length > POLL_LIMITS.option)) throw new RangeError('poll option length');
  return createGroupAction(tx, {
    kind: POLL_KIND,
    payload: { question, options: [...options] },
    platform: input.platform,
    chatId: input.chatId,
    createdBy: input.createdBy,
    ttlMs: input.ttlMs,
    mode: 'vote',
    options: options.length,
    ...(input.ref !== undefined ? { ref: input.ref } : {}),
  });
}

export interface PollBinding {
  platform: Platform;
  pollId: string;
  actionId: string;
  chatId: string;
  messageId: string;
}

/**
 * Records the native poll showing a group action, and binds the action to the poll's message. Only an action of
 * that chat is bound; the first poll wins (a resend after a crash leaves the first one in charge).
 */
export async function bindPoll(exec: Executor, poll: PollBinding): Promise<boolean> {
  const r = await exec.query(
    `WITH bound AS (
       UPDATE group_actions SET message_id = coalesce(message_id, $5)
        WHERE id = $3 AND platform = $1 AND chat_id = $4
       RETURNING id
     )
     INSERT INTO polls (platform, poll_id, action_id, chat_id, message_id)
     SELECT $1, $2, id, $4, $5 FROM bound
     ON CONFLICT DO NOTHING`,
    [poll.platform, poll.pollId, poll.actionId, poll.chatId, poll.messageId],
  );
  return r.rowCount > 0;
}

const toBinding = (r: Row): PollBinding => ({
  platform: r.platform as Platform,
  pollId: String(r.poll_id),
  actionId: String(r.action_id),
  chatId: String(r.chat_id),
  messageId: String(r.message_id),
});

/** The poll a native poll answer is about; undefined for a poll that is not ours. */
export async function findPoll(exec: Executor, platform: Platform, pollId: string): Promise<PollBinding | undefined> {
  const r = await exec.query(`SELECT * FROM polls WHERE platform = $1 AND poll_id = $2`, [platform, pollId]);
  return r.rows[0] ? toBinding(r.rows[0]) : undefined;
}

/** The native poll showing a group action (to stop it when the action closes). */
export async function pollOfAction(exec: Executor, actionId: string): Promise<PollBinding | undefined> {
  const r = await exec.query(`SELECT * FROM polls WHERE action_id = $1`, [actionId]);
  return r.rows[0] ? toBinding(r.rows[0]) : undefined;
}

/** The outbox kind that stops a native poll from a worker (workers/live: its platform's editor). */
export const POLL_STOP_KIND = 'live.poll_stop';

/**
 * Closes a vote exactly once (closeGroupAction) and, when a native poll shows it, has a worker stop that poll, so
 * the chat sees it closed. Returns the action when this call closed it.
 */
export async function closeVote(tx: Tx, actionId: string): Promise<GroupAction | undefined> {
  const closed = await closeGroupAction(tx, actionId);
  const poll = closed ? await pollOfAction(tx, actionId) : undefined;
  if (poll)
    await schedule(tx, {
      key: `${POLL_STOP_KIND}:${actionId}`,
      kind: POLL_STOP_KIND,
      dueAt: new Date(0),
      payload: { platform: poll.platform, chatId: poll.chatId, messageId: poll.messageId },
    });
  return closed;
}
