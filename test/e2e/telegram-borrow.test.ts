/**
 * Borrow asks through the real app (`chipin start`) and the fake Bot API: /borrow in a group posts a card; two
 * friends lend parts with a tap and the card shows the running total; each part is an IOU in /ious. An ask that
 * runs out of time short of the amount: the chat is reminded at half-time, and the borrower asks the chat again
 * for the rest with one tap in their DM, which posts a new card in the group.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { answerOf, balanceOf, editsIn, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('borrow asks through the real app', () => {
  // Short enough for the second test to see the half-time reminder and the expiry.
  const world = telegramWorld({ env: { BORROW_TTL: '16s' } });
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_561_914, type: 'supergroup', title: 'Climbing club' };
  let bo: TgUser;
  let ann: TgUser;
  let cai: TgUser;

  beforeAll(async () => {
    ({ database, fake } = world);
    bo = fake.user(5_619_001, 'Bo', { username: 'bo_borrow', language_code: 'en' });
    ann = fake.user(5_619_002, 'Ann', { username: 'ann_borrow', language_code: 'en' });
    cai = fake.user(5_619_003, 'Cai', { username: 'cai_borrow', language_code: 'en' });
    for (const who of [ann, cai]) {
      await post(fake.message(who, fake.privateChat(who), '/faucet 100'));
      await waitForSent(fake, who.id, (m) => m.text.includes('100.00 USD'));
    }
  });

  async function tap(who: TgUser, chat: { id: number }, button: { data: string; messageId: number | undefined }) {
    const update = fake.callback(who, chat, button.messageId ?? 0, button.data);
    await post(update);
    return answerOf(fake, update);
  }

  const cardEdited = (text: string) =>
    fake.waitFor(() => editsIn(fake, group.id).some((e) => e.text.includes(text)), 15_000, `the card showing ${text}`);

  it('two friends lend parts with a tap, the card shows the total, and both IOUs are in /ious', async () => {
    await post(fake.message(bo, group, '/borrow 50 in 2 weeks rent'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.includes('Bo asks to borrow 50.00 USD'));
    expect(card!.text).toContain('Record: 0 repaid on time, 0 late, 0 still open.');
    expect(card!.text).toContain('In so far: 0.00 USD of 50.00 USD; 50.00 USD still needed.');
    const half = card!.buttons.find((b) => b.text === 'Lend half')!;
    const all = card!.buttons.find((b) => b.text === 'Lend all')!;

    expect(await tap(ann, group, half)).toMatch(/You lent Bo 25\.00 USD \(IOU #\d+\)\. 25\.00 USD of 50\.00 USD/);
    await cardEdited('In so far: 25.00 USD of 50.00 USD; 25.00 USD still needed.');
    expect(await tap(cai, group, all)).toMatch(/You lent Bo 25\.00 USD .*50\.00 USD of 50\.00 USD is in\./);
    await cardEdited('✅ Fully funded: 50.00 USD of 50.00 USD came in.');
    // Closed: the last edit carries no buttons.
    expect(editsIn(fake, group.id).at(-1)?.buttons).toEqual([]);
    await waitForSent(fake, bo.id, (m) => m.text === 'Your borrow ask is closed: 50.00 USD of 50.00 USD came in.');

    await post(fake.message(bo, fake.privateChat(bo), '/ious'));
    const [owe] = await waitForSent(fake, bo.id, (m) => m.text.startsWith('You owe:'));
    expect(owe!.text).toContain('• Ann: 25.00 USD');
    expect(owe!.text).toContain('• Cai: 25.00 USD');
    await settled(database.db);
    expect((await balanceOf(database.db, bo.id)).available).toBe(50_00n);
  });

  it('short at expiry: the chat hears at half-time, and one tap asks the chat again for the rest', async () => {
    await post(fake.message(bo, group, '/borrow 30 in 2 weeks boots'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.includes('Bo asks to borrow 30.00 USD'));
    const half = card!.buttons.find((b) => b.text === 'Lend half')!;
    await tap(ann, group, half);

    const [reminder] = await waitForSent(fake, group.id, (m) => m.text.startsWith('⏳ Half the time is gone'), {
      timeoutMs: 20_000,
    });
    expect(reminder!.text).toContain('Bo still needs 15.00 USD (15.00 USD of 30.00 USD in');

    const [notice] = await waitForSent(fake, bo.id, (m) => m.text.startsWith('⌛ Your borrow ask closed'), {
      timeoutMs: 25_000,
    });
    expect(notice!.text).toContain('15.00 USD of 30.00 USD in; 15.00 USD did not come in');
    const others = notice!.buttons.find((b) => b.text === 'Ask others')!;
    await tap(bo, fake.privateChat(bo), others);
    // The notice itself becomes the answer.
    await fake.waitFor(
      () => editsIn(fake, bo.id).some((e) => /Asked the chat again for 15\.00 USD \(ask #\d+\)/.test(e.text)),
      15_000,
      'the notice edited',
    );

    // The new card is posted in the same group, for the rest, with the same note, and its buttons work.
    const [again] = await waitForSent(fake, group.id, (m) => m.text.includes('Bo asks to borrow 15.00 USD'));
    expect(again!.text).toContain('Note: boots');
    expect(
      await tap(
        cai,
        group,
        again!.buttons.find((b) => b.text === 'Lend all')!,
      ),
    ).toMatch(/You lent Bo 15\.00 USD .*15\.00 USD of 15\.00 USD is in\./);
    await cardEdited('✅ Fully funded: 15.00 USD of 15.00 USD came in.');
  });
});
