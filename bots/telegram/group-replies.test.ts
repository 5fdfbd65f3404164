/**
 * Merged group replies against the fake Bot API: replies to one group that wait for its budget (20 a minute) go
 * out as few messages, every text exactly once and in order; a reply with buttons keeps a message of its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../../test/fakes/telegram-api.js';
import { inboxStates, startHarness, TOKEN, type Harness } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';

let t: TestDatabase;
let h: Harness | undefined;

beforeAll(async () => {
  t = await createTestDatabase(8);
});
afterEach(async () => {
  await h?.stop(true);
  h = undefined;
});
afterAll(async () => {
  await t.drop();
});

// Telegram's limits shrunk in time, the same on both sides: 20 messages per 5 s in a group (long enough that the
// commands arrive faster than the group's budget allows, even on a busy machine).
const limits = {
  perChat: { limit: 1, windowMs: 150 },
  perGroup: { limit: 20, windowMs: 5_000 },
  global: { limit: 30, windowMs: 1_000 },
};
const GROUP = { id: -100_4242, type: 'supergroup', title: 'Busy' };

describe('replies waiting for a group', () => {
  it('40 outcome messages are merged into fewer messages, each text once and in order; buttons are never merged', async () => {
    const fake = new FakeTelegramApi({ token: TOKEN, limits });
    await fake.listen();
    h = await startHarness({ db: t.db, mode: 'webhook', fake, publicUrl: false, transport: { limits, safetyMs: 20 } });
    const people = Array.from({ length: 43 }, (_, i) => ({ id: 7_000 + i, is_bot: false, first_name: `P${i}` }));
    const expected: string[] = [];
    for (const [i, person] of people.entries()) {
      // Every 14th command's reply carries a button: it must stay a message of its own.
      const text = i % 14 === 13 ? `/pay ${i}` : `/say ${i}`;
      expected.push(i % 14 === 13 ? `pay: ${i}` : `said ${i}`);
      expect(await h.post(fake.message(person, GROUP, text))).toBe(200);
    }
    const texts = () =>
      fake
        .sent('sendMessage')
        .filter((c) => c.params.chat_id === GROUP.id)
        .flatMap((c) => String(c.params.text).split('\n\n'));
    await fake.waitFor(() => texts().length >= expected.length, 30_000, 'every reply');
    await h.transport.idle();

    const messages = fake.sent('sendMessage').filter((c) => c.params.chat_id === GROUP.id);
    expect(texts()).toEqual(expected); // each exactly once, in the order of the commands
    expect(messages.length).toBeLessThan(expected.length);
    expect(fake.rateLimited).toBe(0);
    const withButtons = messages.filter((c) => c.params.reply_markup !== undefined);
    expect(withButtons.map((c) => c.params.text)).toEqual(['pay: 13', 'pay: 27', 'pay: 41']);
    expect(h.transport.outboundStats()).toMatchObject({ failed: 0, queued: 0 });
    expect(h.transport.outboundStats().merged).toBe(expected.length - messages.length);
    const states = await inboxStates(t.db);
    expect(Object.values(states).filter((s) => s === 'done')).toHaveLength(expected.length);
  }, 60_000);
});
