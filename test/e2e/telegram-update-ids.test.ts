/**
 * Telegram update ids come back after a quiet week (they restart at random), while the payment keyed by an old id
 * stays in the ledger for ever. Through the real app: a payment, then a week without updates (the inbox and the
 * command log have forgotten it, as they do after 7 days), then a different payment that lands on the same
 * update id — it is a new payment that moves money, never a replay answered "paid" that moves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../core/ledger/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  balanceOf,
  replyingTo,
  settled,
  startApp,
  startFakeTelegram,
  waitForSent,
  type TgUser,
} from '../support/app.js';
import { cleanUp } from '../support/chipin.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

describe('an update id reused after a quiet week', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let ann: TgUser;
  let bob: TgUser;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram();
    ann = fake.user(5_730_001, 'Ann', { username: 'ann_ids' });
    bob = fake.user(5_730_002, 'Bob', { username: 'bob_ids' });
  });

  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    if (database) {
      expect((await audit(database.db)).violations).toEqual([]);
      await database.drop();
    }
  });

  it('is a new payment: money moves again, nobody is told an old outcome', async () => {
    const group = { id: -100_573_000, type: 'supergroup', title: 'Quiet week' };
    const before = await startApp({ databaseUrl: database.url, fake });
    expect(await before.post(fake.message(ann, fake.privateChat(ann), '/faucet 50'))).toBe(200);
    await waitForSent(fake, ann.id, (m) => m.text.includes('50.00 USD'));
    const first = replyingTo(fake, ann, group, '/pay 5 coffee', bob);
    expect(await before.post(first)).toBe(200);
    await waitForSent(fake, bob.id, (m) => m.text.includes('5.00 USD'));
    await settled(database.db);
    await before.stop();

    // A week without updates: the inbox and the command log forget the update (7 days), the ledger keeps its key.
    await database.db.query(`DELETE FROM inbox`);
    await database.db.query(`DELETE FROM command_log`);
    await database.db.query(`UPDATE telegram_epochs SET last_seen_at = now() - interval '8 days'`);

    const after = await startApp({ databaseUrl: database.url, fake });
    // Telegram's ids restarted and this one lands on the old number: a different payment.
    const reused = { ...replyingTo(fake, ann, group, '/pay 7 lunch', bob), update_id: first.update_id };
    expect(await after.post(reused)).toBe(200);
    await waitForSent(fake, bob.id, (m) => m.text.includes('7.00 USD'));
    await settled(database.db);
    expect((await balanceOf(database.db, ann.id)).available).toBe(50_00n - 5_00n - 7_00n);
    expect((await balanceOf(database.db, bob.id)).available).toBe(12_00n);
    const refs = await database.db.query<{ ref: string }>(`SELECT ref FROM transfers WHERE ref LIKE $1 ORDER BY id`, [
      `tg:%:${first.update_id}%`,
    ]);
    expect(refs.rows.map((r) => r.ref.replace(/^tg:\d+:/, ''))).toEqual([`${first.update_id}`, `${first.update_id}~1`]);
    await after.stop();
  });
});
