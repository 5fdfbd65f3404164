/**
 * A group collection through the real app (`chipin start`: webhook, command layer, workers) and the fake Bot API:
 * the collector posts /collect, the card appears in the group with its Pay button, a member pays with one tap, and
 * the live worker edits the card to show them paid ✓.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { answerOf, balanceOf, editsIn, inboxDrained, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('a group collection through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_561_300, type: 'supergroup', title: 'Class 3B' };
  const users: Record<'ann' | 'ben' | 'chen', TgUser> = {} as never;

  beforeAll(async () => {
    ({ database, fake } = world);
    let id = 5_613_100;
    for (const name of ['ann', 'ben', 'chen'] as const) {
      users[name] = fake.user((id += 1), name[0]!.toUpperCase() + name.slice(1), {
        username: `${name}_collect`,
        language_code: 'en',
      });
      await post(fake.message(users[name], fake.privateChat(users[name]), '/faucet 100'));
      await waitForSent(fake, users[name].id, (m) => m.text.includes('100.00 USD'));
      // Seen in the group: the bot knows them there.
      await post(fake.message(users[name], group, `hello from ${name}`));
    }
    await inboxDrained(database.db);
  });

  it('a member pays with one tap and the card shows them paid ✓', async () => {
    const { ann, ben } = users;
    await post(fake.message(ann, group, '/collect 10 class dues'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.startsWith('💰'));
    expect(card?.text).toContain('Ann is collecting for “class dues” → Ann');
    expect(card?.text).toContain('◻ Ben 10.00 USD');
    expect(card?.text).toContain('◻ Chen 10.00 USD');
    expect(card?.buttons.map((b) => b.text)).toEqual(['Pay', 'Remind unpaid', 'Close']);
    const pay = card!.buttons[0]!;

    const tap = fake.callback(ben, group, pay.messageId ?? 0, pay.data);
    await post(tap);
    expect(await answerOf(fake, tap)).toBe('✓ Paid 10.00 USD to Ann for “class dues”.');
    await fake.waitFor(
      () =>
        editsIn(fake, group.id).some(
          (e) => e.messageId === card?.messageId && e.text.includes('✓ Ben 10.00 USD') && e.text.includes('1/2 paid'),
        ),
      15_000,
      'the card edited to show Ben paid',
    );
    expect((await balanceOf(database.db, ben.id)).available).toBe(90_00n);
    expect((await balanceOf(database.db, ann.id)).available).toBe(110_00n);
  });
});
