import { describe, expect, it } from 'vitest';
import { parseUpdate, partitionOf, type BotIdentity } from './update.js';

const bot: BotIdentity = { id: '123456', username: 'chipin_bot' };
const bob = { id: 222, is_bot: false, first_name: 'Bob', username: 'bob' };
const bobActor = { platform: 'telegram', userId: '222', username: 'bob', displayName: 'Bob', isBot: false };

/** A poll_answer as the Bot API sends it. */
const answer = (optionIds: number[], extra: Record<string, unknown> = { user: bob }) => ({
  update_id: 95,
  poll_answer: { poll_id: '5432109876543210987', option_ids: optionIds, ...extra },
});

describe('poll_answer updates become votes', () => {
  it('the chosen option is the vote, keyed and ordered like any update', () => {
    const delivery = parseUpdate(answer([2]), bot);
    expect(delivery.event).toEqual({
      type: 'vote',
      key: 'tg:123456:95',
      actor: bobActor,
      platform: 'telegram',
      pollId: '5432109876543210987',
      choice: 2,
      order: '95',
    });
    expect(delivery.origin).toMatchObject({ chat: { chatId: '222', kind: 'private' }, actor: bobActor });
  });

  it('no option is a vote taken back', () => {
    expect(parseUpdate(answer([]), bot).event).toMatchObject({ type: 'vote', choice: null });
  });

  it('anonymous voters (a chat instead of a user) and bots are ignored', () => {
    expect(parseUpdate(answer([0], { voter_chat: { id: -100, type: 'supergroup', title: 'x' } }), bot).event).toBe(
      undefined,
    );
    expect(parseUpdate(answer([0], { user: { ...bob, is_bot: true } }), bot).event).toBeUndefined();
  });

  it('answers to one poll are processed in order', () => {
    expect(partitionOf(answer([1]))).toBe('poll:5432109876543210987');
  });
});
