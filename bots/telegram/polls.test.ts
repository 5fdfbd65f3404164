import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { closeGroupAction, createCore, createPoll, findPoll, isMember, tally, type Core } from '../../core/index.js';
import { startHarness, type Harness } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createCommandLayer } from '../commands/layer.js';
import type { CommandLayer, HandleResult, IncomingEvent } from '../commands/types.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });

let t: TestDatabase;
let core: Core;
let h: Harness;

/**
 * The real command layer, plus two commands of this test only (no feature sends polls yet): `/poll` shows a new
 * vote as a poll, `/closepoll <id>` closes it.
 */
function withPollCommands(real: CommandLayer): CommandLayer {
  return {
    async handle(event: IncomingEvent): Promise<HandleResult> {
      if (event.type !== 'command' || !['poll', 'closepoll'].includes(event.command)) return real.handle(event);
      if (event.command === 'closepoll') {
        await t.db.transaction((tx) => closeGroupAction(tx, event.args));
        return { effects: [{ type: 'pollClosed', pollRef: event.args }] };
      }
      const creator = await core.people.seen(event.actor);
      if (!creator.ok) throw new Error(creator.error);
      const options = ['Pizza', 'Sushi', 'Tacos'];
      const vote = await t.db.transaction((tx) =>
        createPoll(tx, {
          platform: 'telegram',
          chatId: event.chat.chatId,
          createdBy: creator.person.id,
          question: 'Dinner?',
          options,
          ttlMs: 3_600_000,
        }),
      );
      return { effects: [{ type: 'poll', question: 'Dinner?', options, pollRef: vote.id }] };
    },
  };
}

beforeAll(async () => {
  t = await createTestDatabase(8);
  core = createCore({ db: t.db, config });
  h = await startHarness({
    db: t.db,
    mode: 'webhook',
    commandLayer: withPollCommands(createCommandLayer({ core, config })),
  });
});
afterAll(async () => {
  await h.stop(true);
  await t.drop();
});

const alice = { id: 501, is_bot: false, first_name: 'Alice', username: 'alice_poll' };
const bob = { id: 502, is_bot: false, first_name: 'Bob', username: 'bob_poll' };
const carol = { id: 503, is_bot: false, first_name: 'Carol' };
const group = { id: -100777, type: 'supergroup', title: 'Dinner club' };

/** Posts `/poll` and resolves with the poll Telegram got and the vote it shows. */
async function openPoll(): Promise<{ pollId: string; actionId: string }> {
  const before = h.fake.polls.size;
  expect(await h.post(h.fake.message(alice, group, '/poll'))).toBe(200);
  await h.fake.waitFor(() => h.fake.polls.size > before, 5_000, 'sendPoll');
  await h.transport.idle();
  const poll = [...h.fake.polls.values()].at(-1)!;
  const binding = await findPoll(t.db, 'telegram', poll.id);
  if (!binding) throw new Error('the poll was not recorded');
  return { pollId: poll.id, actionId: binding.actionId };
}

async function deliver(...updates: object[]): Promise<void> {
  for (const update of updates) expect(await h.post(update)).toBe(200);
  await h.transport.idle();
}

const counts = async (actionId: string) => (await tally(t.db, actionId)).counts;

describe('native Telegram polls', () => {
  it('are sent non-anonymous, in the chat of the command, with the vote’s options', async () => {
    const { pollId } = await openPoll();
    const call = h.fake.sent('sendPoll').at(-1)!;
    expect(call.params).toMatchObject({
      chat_id: group.id,
      question: 'Dinner?',
      options: ['Pizza', 'Sushi', 'Tacos'],
      is_anonymous: false,
    });
    expect(h.fake.polls.get(pollId)?.isAnonymous).toBe(false);
  });

  it('a poll_answer delivered twice is counted once, and an old answer redelivered does not undo a newer one', async () => {
    const { pollId, actionId } = await openPoll();
    const sushi = h.fake.pollAnswer(bob, pollId, [1]);
    await deliver(sushi, sushi);
    expect(await counts(actionId)).toEqual([0, 1, 0]);
    const rows = await t.db.query(`SELECT state FROM inbox WHERE key = $1`, [`tg:123456789:${sushi.update_id}`]);
    expect(rows.rows).toEqual([{ state: 'done' }]);

    await deliver(h.fake.pollAnswer(bob, pollId, [0]), sushi);
    expect(await counts(actionId)).toEqual([1, 0, 0]);
    expect((await tally(t.db, actionId)).pressers).toHaveLength(1);
  });

  it('an empty answer takes the vote back; each voter counts, and is then known in the chat', async () => {
    const { pollId, actionId } = await openPoll();
    await deliver(h.fake.pollAnswer(bob, pollId, [2]), h.fake.pollAnswer(carol, pollId, [2]));
    expect(await counts(actionId)).toEqual([0, 0, 2]);
    await deliver(h.fake.pollAnswer(bob, pollId, []));
    expect(await counts(actionId)).toEqual([0, 0, 1]);
    const carolId = (await core.people.findByUserId(t.db, 'telegram', String(carol.id)))?.person.id;
    expect(carolId).toBeDefined();
    expect(await isMember(t.db, { platform: 'telegram', chatId: String(group.id), personId: carolId! })).toBe(true);
  });

  it('closing the vote stops the poll', async () => {
    const { pollId, actionId } = await openPoll();
    await deliver(h.fake.pollAnswer(bob, pollId, [0]));
    await deliver(h.fake.message(alice, group, `/closepoll ${actionId}`));
    expect(h.fake.polls.get(pollId)?.isClosed).toBe(true);
    const stop = h.fake.sent('stopPoll').at(-1)!;
    expect(stop.params).toMatchObject({ chat_id: group.id, message_id: h.fake.polls.get(pollId)?.messageId });
    expect(await counts(actionId)).toEqual([1, 0, 0]);
  });
});
