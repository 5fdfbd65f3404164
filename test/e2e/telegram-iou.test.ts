/**
 * IOUs through the real app (`chipin start`) and the fake Bot API: a loan offered in a group reaches the borrower in
 * a DM with a Confirm button; one tap moves the money; a partial /repay goes back and the lender is told; /ious shows
 * what is still owed on both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../core/ledger/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  answerOf,
  balanceOf,
  settled,
  startApp,
  startFakeTelegram,
  waitForSent,
  type RunningApp,
  type TgUser,
} from '../support/app.js';
import { cleanUp } from '../support/chipin.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('IOUs through the real app', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let app: RunningApp;
  const group = { id: -100_561_818, type: 'supergroup', title: 'Flatmates' };
  let ann: TgUser;
  let ben: TgUser;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram();
    app = await startApp({ databaseUrl: database.url, fake });
    ann = fake.user(5_618_001, 'Ann', { username: 'ann_iou', language_code: 'en' });
    ben = fake.user(5_618_002, 'Ben', { username: 'ben_iou', language_code: 'en' });
    for (const who of [ann, ben]) {
      await post(fake.message(who, fake.privateChat(who), '/faucet 100'));
      await waitForSent(fake, who.id, (m) => m.text.includes('100.00 USD'));
    }
  });

  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    if (database) {
      expect((await audit(database.db)).violations).toEqual([]);
      await database.drop();
    }
  });

  async function post(update: unknown): Promise<void> {
    expect(await app.post(update)).toBe(200);
  }

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
});
