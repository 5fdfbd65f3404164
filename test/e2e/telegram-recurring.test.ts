/**
 * Recurring transfers through the real app (`chipin start`: webhook, command layer, workers) and the fake Bot API:
 * `/every` → the confirm card with the next runs → Activate → `/schedules` lists it → `/cancel` → listed as
 * cancelled; only the payer cancels; a schedule it cannot read is refused in one line naming it; Chinese works.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  answerOf,
  editsIn,
  inboxDrained,
  settled,
  transferCount,
  waitForSent,
  type TgUser,
  telegramWorld,
} from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('recurring transfers through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let alice: TgUser;
  let bob: TgUser;
  let lin: TgUser;

  beforeAll(async () => {
    ({ database, fake } = world);
    alice = fake.user(5_600_101, 'Alice', { username: 'alice_every', language_code: 'en' });
    bob = fake.user(5_600_102, 'Bob', { username: 'bob_every', language_code: 'en' });
    lin = fake.user(5_600_103, '林', { username: 'lin_every', language_code: 'zh-hans' });
    for (const user of [alice, bob, lin]) {
      await post(fake.message(user, fake.privateChat(user), '/faucet 100'));
      await waitForSent(fake, user.id, (m) => m.text.includes('100.00 USD'));
    }
  });

  async function say(user: TgUser, text: string, match: (text: string) => boolean) {
    await post(fake.message(user, fake.privateChat(user), text));
    const [reply] = await waitForSent(fake, user.id, (m) => match(m.text));
    return reply!;
  }

  it('/every → Activate → /schedules → /cancel → listed as cancelled', async () => {
    const transfers = await transferCount(database.db);
    const card = await say(alice, '/every @bob_every 50 monthly on 1 rent', (text) => text.startsWith('🔁 Send'));
    expect(card.text).toContain('50.00 USD');
    expect(card.text).toContain(`Bob (@bob_every, on chipin since `);
    expect(card.text).not.toContain(String(bob.id));
    expect(card.text).toContain('monthly on day 1');
    expect(card.text).toContain(t('en', 'common.note', { note: 'rent' }));
    expect(card.text.split('Next runs: ')[1]?.split('\n')[0]?.split('; ')).toHaveLength(3);
    expect(card.buttons.map((b) => b.text)).toEqual([t('en', 'button.activate')]);

    // Bob cannot press Alice's card; Alice's tap activates it.
    const stranger = fake.callback(
      bob,
      fake.privateChat(alice),
      card.buttons[0]!.messageId ?? 0,
      card.buttons[0]!.data,
    );
    await post(stranger);
    expect(await answerOf(fake, stranger)).toBe(t('en', 'action.NotYours'));
    const tap = fake.callback(alice, fake.privateChat(alice), card.buttons[0]!.messageId ?? 0, card.buttons[0]!.data);
    await post(tap);
    expect(await answerOf(fake, tap)).toBe(t('en', 'action.done'));
    await settled(database.db);
    const [edit] = editsIn(fake, alice.id);
    expect(edit?.text).toMatch(/^✅ Recurring transfer #\d+ is on: 50\.00 USD to Bob\./);
    const id = /#(\d+)/.exec(edit?.text ?? '')?.[1] ?? '';

    const listed = await say(alice, '/schedules', (text) => text.startsWith(t('en', 'schedule.list_title')));
    expect(listed.text).toContain(`#${id} 50.00 USD to Bob, monthly on day 1 — ${t('en', 'schedule.state.active')}`);

    // Only the payer cancels.
    const refused = await say(bob, `/cancel ${id}`, (text) => text === t('en', 'error.NotYourSchedule'));
    expect(refused.text).toBe(t('en', 'error.NotYourSchedule'));
    const cancelled = await say(alice, `/cancel ${id}`, (text) => text.startsWith('🛑'));
    expect(cancelled.text).toBe(t('en', 'schedule.cancelled', { id, amount: '50.00 USD', name: 'Bob' }));
    await post(fake.message(alice, fake.privateChat(alice), '/schedules'));
    const [, again] = await waitForSent(fake, alice.id, (m) => m.text.startsWith(t('en', 'schedule.list_title')), {
      count: 2,
    });
    expect(again?.text).toContain(`#${id} 50.00 USD to Bob, monthly on day 1 — ${t('en', 'schedule.state.cancelled')}`);
    await inboxDrained(database.db);
    expect(await transferCount(database.db)).toBe(transfers);
  });

  it('in Chinese: 每周五 with an end and a time, and a schedule or time it cannot read is refused in one line naming it', async () => {
    const card = await say(lin, '/every @alice_every 10 每周五 共4次 晚上6点半 零花钱', (text) =>
      text.startsWith('🔁'),
    );
    expect(card.text).toContain('每周五，共 4 次');
    expect(card.text).toContain('你当地时间 18:30');
    expect(card.text).toContain(`Alice（@alice_every，`);
    expect(card.text).not.toContain(String(alice.id));
    expect(card.buttons.map((b) => b.text)).toEqual([t('zh-CN', 'button.activate')]);

    const bad = await say(alice, '/every @bob_every 5 fortnightly', (text) => text.includes('fortnightly'));
    expect(bad.text).toBe(t('en', 'parse.BadSchedule', { text: 'fortnightly' }));
    const badZh = await say(lin, '/every @bob_every 5 每月40号', (text) => text.includes('每月40号'));
    expect(badZh.text).toBe(t('zh-CN', 'parse.BadSchedule', { text: '每月40号' }));
    const badTime = await say(alice, '/every @bob_every 5 daily at 25:00', (text) => text.includes('25:00'));
    expect(badTime.text).toBe(t('en', 'parse.BadScheduleTime', { text: 'at 25:00' }));
  });
});
