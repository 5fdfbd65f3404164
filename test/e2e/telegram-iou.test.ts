/**
 * IOUs through the real app (`chipin start`) and the fake Bot API: a loan offered in a group reaches the borrower in
 * a DM with a Confirm button; one tap moves the money; a partial /repay goes back and the lender is told; /ious shows
 * what is still owed on both sides.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { answerOf, balanceOf, editsIn, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('IOUs through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_561_818, type: 'supergroup', title: 'Flatmates' };
  let ann: TgUser;
  let ben: TgUser;
  let cai: TgUser;

  beforeAll(async () => {
    ({ database, fake } = world);
    ann = fake.user(5_618_001, 'Ann', { username: 'ann_iou', language_code: 'en' });
    ben = fake.user(5_618_002, 'Ben', { username: 'ben_iou', language_code: 'en' });
    cai = fake.user(5_618_003, 'Cai', { username: 'cai_iou', language_code: 'en' });
    for (const who of [ann, ben, cai]) {
      await post(fake.message(who, fake.privateChat(who), '/faucet 100'));
      await waitForSent(fake, who.id, (m) => m.text.includes('100.00 USD'));
    }
  });

  it('offer in the group → the borrower confirms with one tap → a partial /repay → /ious on both sides', async () => {
    await post(fake.message(ann, group, '/iou @ben_iou 40 in 2 weeks pizza'));
    // The lender's answer is private: the card read back with the due date as a date.
    const [card] = await waitForSent(fake, ann.id, (m) => m.text.includes('Ann lends Ben 40.00 USD'));
    expect(card!.text).toMatch(/to repay by \w{3} \d{4}-\d{2}-\d{2}\./);

    const [offer] = await waitForSent(fake, ben.id, (m) => m.text.includes('Ann offers to lend you 40.00 USD'));
    const confirm = offer!.buttons.find((b) => b.text === 'Confirm')!;
    const tap = fake.callback(ben, fake.privateChat(ben), confirm.messageId ?? 0, confirm.data);
    await post(tap);
    await answerOf(fake, tap);
    await waitForSent(fake, ann.id, (m) => m.text.startsWith('✅ Ben confirmed the IOU: 40.00 USD'));
    // A second tap on the same button moves nothing more.
    const again = fake.callback(ben, fake.privateChat(ben), confirm.messageId ?? 0, confirm.data);
    await post(again);
    await answerOf(fake, again);
    expect((await balanceOf(database.db, ann.id)).available).toBe(60_00n);
    expect((await balanceOf(database.db, ben.id)).available).toBe(140_00n);

    await post(fake.message(ben, group, '/repay @ann_iou 15'));
    await waitForSent(fake, ben.id, (m) => m.text === '✅ You repaid Ann 15.00 USD. Still owed: 25.00 USD.');
    await waitForSent(fake, ann.id, (m) => m.text === '💸 Ben repaid you 15.00 USD. Still owed: 25.00 USD.');

    await post(fake.message(ben, fake.privateChat(ben), '/ious'));
    const [owe] = await waitForSent(fake, ben.id, (m) => m.text.startsWith('You owe:'));
    expect(owe!.text).toContain('• Ann: 25.00 USD');
    expect(owe!.text).toMatch(/#\d+ 25\.00 USD, due \w{3} \d{4}-\d{2}-\d{2}/);
    await post(fake.message(ann, fake.privateChat(ann), '/ious'));
    const [owed] = await waitForSent(fake, ann.id, (m) => m.text.startsWith('You are owed:'));
    expect(owed!.text).toContain('• Ben: 25.00 USD');

    await settled(database.db);
    expect((await balanceOf(database.db, ann.id)).available).toBe(75_00n);
    expect((await balanceOf(database.db, ben.id)).available).toBe(125_00n);
  });

  it('three flatmates settle up in the group: two payments approved by their payers clear every IOU at once', async () => {
    // Ben still owes Ann 25 (the test above); Cai lends Ben 10 and Ann 5.
    for (const [who, name] of [
      [ben, 'Ben'],
      [ann, 'Ann'],
    ] as const) {
      await post(
        fake.message(
          cai,
          group,
          `/iou @${who.username} ${name === 'Ben' ? 10 : 5} friday ${name === 'Ben' ? 'beer' : 'bus'}`,
        ),
      );
      const [offer] = await waitForSent(fake, who.id, (m) => m.text.includes(`Cai offers to lend you`));
      const confirm = offer!.buttons.find((b) => b.text === 'Confirm')!;
      const tap = fake.callback(who, fake.privateChat(who), confirm.messageId ?? 0, confirm.data);
      await post(tap);
      await answerOf(fake, tap);
    }
    await settled(database.db);
    const before = await Promise.all([ann, ben, cai].map(async (u) => (await balanceOf(database.db, u.id)).available));

    // Ann: owed 25, owes 5 → +20; Ben: owes 35 → −35; Cai: owed 15 → +15.
    await post(fake.message(cai, group, '/settle'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.includes('🤝 Settle up: 3 IOUs'));
    expect(card!.text).toContain('• Ben → Ann: 20.00 USD (pizza)');
    expect(card!.text).toContain('• Ben → Cai: 15.00 USD (beer)');
    for (const button of card!.buttons) {
      const tap = fake.callback(ben, group, button.messageId ?? 0, button.data);
      await post(tap);
      await answerOf(fake, tap);
    }
    await fake.waitFor(
      () => editsIn(fake, group.id).some((e) => e.text.includes('✅ Settled up: 3 IOUs cleared')),
      15_000,
      'the card edited to say it is settled',
    );
    await settled(database.db);
    const after = await Promise.all([ann, ben, cai].map(async (u) => (await balanceOf(database.db, u.id)).available));
    expect(after).toEqual([before[0]! + 20_00n, before[1]! - 35_00n, before[2]! + 15_00n]);
    const open = await database.db.query(`SELECT count(*)::int AS n FROM ious WHERE state = 'open'`);
    expect(open.rows[0]?.n).toBe(0);
  });
});
