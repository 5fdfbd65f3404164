/**
 * Deadlines as people type them, and commands addressed to this bot, through the real app (`chipin start`: webhook,
 * command layer, outbox, notifications back through the Telegram transport): a Chinese deadline is read in the
 * requester's time zone and leaves the note alone, a request without one says the default was used, an unreadable
 * one is refused naming its words; in a group an unknown `/nosuch@<this bot>` is answered, a bare `/nosuch` is not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDate, t } from '../../bots/i18n/index.js';
import { zonedParts, zonedTimeToInstant } from '../../core/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { inboxDrained, replyTo, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

/** From UTC+14 to UTC−11: at any moment, one of them is before 19:00. */
const ZONES = [
  'Pacific/Kiritimati',
  'Asia/Shanghai',
  'Asia/Kolkata',
  'Europe/London',
  'America/New_York',
  'Pacific/Honolulu',
  'Pacific/Pago_Pago',
];

describe('deadlines and addressed commands through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -1_001_800_000_077, type: 'supergroup', title: 'Tea' };
  let mei: TgUser;
  let alice: TgUser;
  let bob: TgUser;

  beforeAll(async () => {
    ({ database, fake } = world);
    mei = fake.user(5_730_001, '小美', { username: 'mei_deadline', language_code: 'zh-hans' });
    alice = fake.user(5_730_002, 'Alice', { username: 'alice_deadline', language_code: 'en' });
    bob = fake.user(5_730_003, 'Bob', { username: 'bob_deadline', language_code: 'en' });
    for (const user of [mei, alice, bob]) {
      await post(fake.message(user, fake.privateChat(user), '/start'));
      await waitForSent(fake, user.id);
    }
  });

  /** Sends `text` to the group as `who`; resolves with the bot's reply to it. */
  async function inGroup(who: TgUser, text: string) {
    const update = fake.message(who, group, text);
    await post(update);
    await fake.waitFor(() => replyTo(fake, group.id, update).length > 0, 15_000, `the reply to ${text}`);
    return replyTo(fake, group.id, update)[0]!;
  }

  async function dueAtOfLastRequest(): Promise<Date> {
    const r = await database.db.query(`SELECT due_at FROM requests ORDER BY id DESC LIMIT 1`);
    return new Date(r.rows[0]?.due_at as string | Date);
  }

  it('/request @alice 8 奶茶 晚上8点前: due at 20:00 today where the requester is, the note just 奶茶', async () => {
    const zone = ZONES.find((z) => zonedParts(new Date(), z).hour < 19)!;
    await post(fake.message(mei, fake.privateChat(mei), `/settings timezone ${zone}`));
    await waitForSent(fake, mei.id, (m) => m.text.includes(zone));

    const reply = await inGroup(mei, '/request @alice_deadline 8 奶茶 晚上8点前');
    const today = zonedParts(new Date(), zone);
    const eight = zonedTimeToInstant(
      { year: today.year, month: today.month, day: today.day, hour: 20, minute: 0 },
      zone,
    );
    expect(await dueAtOfLastRequest()).toEqual(eight);
    expect(reply.text).toBe(
      `${t('zh-CN', 'request.sent', { name: 'Alice', amount: '8.00 USD', dueAt: formatDate(eight, 'zh-CN', zone) })}\n${t('zh-CN', 'common.note', { note: '奶茶' })}`,
    );
    expect(reply.text).not.toContain('默认');
    // Alice's own card states the same deadline, with no word of a default.
    const [incoming] = await waitForSent(fake, alice.id, (m) => m.text.includes('asks you for 8.00 USD'));
    expect(incoming?.text).not.toContain('default');
  });

  it('/request @alice 8 lunch: both cards say the default deadline was used', async () => {
    const reply = await inGroup(bob, '/request @alice_deadline 8 lunch');
    expect(reply.text).toContain('(default: 24 h;');
    expect(reply.text).toContain(t('en', 'common.note', { note: 'lunch' }));
    const due = await dueAtOfLastRequest();
    expect(Math.abs(due.getTime() - Date.now() - 24 * 3_600_000)).toBeLessThan(60_000);
    const [incoming] = await waitForSent(fake, alice.id, (m) => m.text.includes('Bob asks you for 8.00 USD'));
    expect(incoming?.text).toContain('(default: 24 h)');
  });

  it('/request with a deadline it cannot read is refused naming the words, and nothing is asked', async () => {
    const before = await database.db.query(`SELECT count(*)::int AS n FROM requests`);
    const reply = await inGroup(bob, '/request @alice_deadline 8 lunch by 8pmm');
    expect(reply.text).toBe(t('en', 'parse.BadDeadline', { text: 'by 8pmm' }));
    const zh = await inGroup(mei, '/request @alice_deadline 8 奶茶 晚上25点前');
    expect(zh.text).toBe(t('zh-CN', 'parse.BadDeadline', { text: '晚上25点前' }));
    await inboxDrained(database.db);
    expect((await database.db.query(`SELECT count(*)::int AS n FROM requests`)).rows[0]).toEqual(before.rows[0]);
  });

  it('in a group, an unknown /nosuch@<this bot> is answered and a bare /nosuch is left to other bots', async () => {
    const addressed = await inGroup(bob, `/nosuch@${fake.username}`);
    expect(addressed.text).toBe(t('en', 'parse.unknown', { command: 'nosuch' }));
    const zh = await inGroup(mei, `/nosuch@${fake.username} 1`);
    expect(zh.text).toBe(t('zh-CN', 'parse.unknown', { command: 'nosuch' }));

    const bare = fake.message(bob, group, '/nosuch');
    const elsewhere = fake.message(bob, group, '/nosuch@some_other_bot');
    await post(bare);
    await post(elsewhere);
    await inboxDrained(database.db);
    await settled(database.db);
    expect(replyTo(fake, group.id, bare)).toEqual([]);
    expect(replyTo(fake, group.id, elsewhere)).toEqual([]);
  });
});
