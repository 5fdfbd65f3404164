/**
 * Polls in the command layer: a poll shown as buttons where the platform has no native poll, and the answers to a
 * native poll (Telegram poll_answer) applied to their vote exactly once per delivery.
 */
import { findPoll, groupButtonId, once, type Core } from '../../core/index.js';
import type { Members } from './members.js';
import type { Effect, HandleResult, IncomingEvent, OutMessage } from './types.js';

/** Discord takes at most 5 rows of buttons: up to 5 options get a row each, more share rows evenly. */
const MAX_ROWS = 5;

/** A poll as a message with a button per option: pressing one votes for it, pressing another changes the vote. */
export function pollAsButtons(poll: Extract<Effect, { type: 'poll' }>): OutMessage {
  const buttons = poll.options.map((label, choice) => ({ label, actionId: groupButtonId(poll.pollRef, choice) }));
  const perRow = Math.ceil(buttons.length / MAX_ROWS);
  const rows = Array.from({ length: Math.ceil(buttons.length / perRow) }, (_, r) =>
    buttons.slice(r * perRow, (r + 1) * perRow),
  );
  return { text: poll.question, buttons: rows };
}

/** An answer to a poll this process has not recorded yet (its binding races the answer): worth a retry. */
export class UnknownPollError extends Error {
  override name = 'UnknownPollError';
}

export interface PollVotes {
  onVote(event: Extract<IncomingEvent, { type: 'vote' }>): Promise<HandleResult>;
}

export function createPollVotes(deps: { core: Pick<Core, 'db' | 'groupActions'>; members: Members }): PollVotes {
  const { db, groupActions } = deps.core;
  return {
    async onVote(event) {
      const poll = await findPoll(db, event.platform, event.pollId);
      // Native polls are only ever ours: an unknown one is a binding not stored yet, so the inbox tries again.
      if (!poll) throw new UnknownPollError(`no vote recorded for ${event.platform} poll ${event.pollId}`);
      const chat = { platform: poll.platform, chatId: poll.chatId, kind: 'group' as const };
      const touched = await deps.members.seen({ actor: event.actor, chat });
      if (!touched.ok) return { effects: [] };
      const personId = touched.person.id;
      // The native poll shows the vote itself: nothing to answer. `once`: a re-run after a crash changes nothing.
      await once(db, { key: event.key, personId, command: 'vote' }, async (tx) => {
        const voted = await groupActions.vote(tx, {
          id: poll.actionId,
          choice: event.choice,
          personId,
          platform: poll.platform,
          chatId: poll.chatId,
          ...(event.order !== undefined ? { order: BigInt(event.order) } : {}),
        });
        const result = voted?.result;
        return result === undefined ? 'unknown' : result.ok ? `voted:${String(result.choice)}` : result.error;
      });
      return { effects: [] };
    },
  };
}
