import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, coreFixture, person, type CoreFixture } from '../../test/support/core.js';
import type { Person } from '../people/index.js';
import { bindPoll, createPoll, findPoll, getGroupAction, pollOfAction, tally, type NewPoll } from './index.js';

let f: CoreFixture;
let ann: Person;
beforeAll(async () => {
  f = await coreFixture({}, 4);
  ann = await person(f.core, 'ann_poll');
});
afterAll(async () => {
  await f.t.drop();
});

const newPoll = (overrides: Partial<NewPoll> = {}) =>
  f.db.transaction((tx) =>
    createPoll(tx, {
      ...CHAT,
      createdBy: ann.id,
      question: 'Dinner?',
      options: ['Pizza', 'Sushi'],
      ttlMs: 60_000,
      ...overrides,
    }),
  );

describe('polls', () => {
  it('are votes with one choice per option, the question and options kept with them', async () => {
    const vote = await newPoll();
    expect(vote).toMatchObject({
      kind: 'poll',
      mode: 'vote',
      options: 2,
      state: 'open',
      payload: { question: 'Dinner?', options: ['Pizza', 'Sushi'] },
    });
  });

  it('outside the platforms’ bounds are a programming error', async () => {
    await expect(newPoll({ options: ['Only one'] })).rejects.toThrow(RangeError);
    await expect(newPoll({ options: Array.from({ length: 13 }, (_, i) => `o${i}`) })).rejects.toThrow(RangeError);
    await expect(newPoll({ question: '' })).rejects.toThrow(RangeError);
    await expect(newPoll({ options: ['x'.repeat(101), 'y'] })).rejects.toThrow(RangeError);
  });

  it('a native poll leads its answers back to the vote, and the vote to the poll’s message; the first poll wins', async () => {
    const vote = await newPoll();
    const poll = { platform: CHAT.platform, actionId: vote.id, chatId: CHAT.chatId };
    expect(await bindPoll(f.db, { ...poll, pollId: 'p-1', messageId: '10' })).toBe(true);
    expect(await bindPoll(f.db, { ...poll, pollId: 'p-2', messageId: '11' })).toBe(false);
    expect(await findPoll(f.db, 'telegram', 'p-1')).toMatchObject({ actionId: vote.id, messageId: '10' });
    expect(await findPoll(f.db, 'telegram', 'p-2')).toBeUndefined();
    expect(await pollOfAction(f.db, vote.id)).toMatchObject({ pollId: 'p-1', chatId: CHAT.chatId });
    expect((await getGroupAction(f.db, vote.id))?.messageId).toBe('10');
  });

  it('a poll shown in another chat than its vote’s is not bound', async () => {
    const vote = await newPoll();
    const other = { platform: CHAT.platform, actionId: vote.id, chatId: '-999', pollId: 'p-3', messageId: '1' };
    expect(await bindPoll(f.db, other)).toBe(false);
    expect(await findPoll(f.db, 'telegram', 'p-3')).toBeUndefined();
  });

  it('anyone may vote, the creator too, and change or take back their vote', async () => {
    const vote = await newPoll();
    const ben = await person(f.core, 'ben_poll');
    const cast = (who: Person, choice: number | null) =>
      f.db.transaction((tx) => f.core.groupActions.vote(tx, { id: vote.id, choice, personId: who.id, ...CHAT }));
    expect((await cast(ann, 0))?.result).toMatchObject({ ok: true, first: true });
    expect((await cast(ben, 0))?.result).toMatchObject({ ok: true });
    expect((await cast(ben, 1))?.result).toMatchObject({ ok: true, first: false });
    expect((await tally(f.db, vote.id)).counts).toEqual([1, 1]);
    await cast(ann, null);
    expect((await tally(f.db, vote.id)).counts).toEqual([0, 1]);
  });
});
