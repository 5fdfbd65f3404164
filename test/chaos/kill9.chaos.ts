/**
 * kill -9 at random points (RELIABILITY F1), through the real processes:
 * - the worker process (`chipin start --workers`) while it returns escrowed payments whose HOLD_TTL ran out (a void
 *   in the ledger, the sender told) — SIGKILL twenty times, each after a random 0.2–1.5 s, restarted at once;
 * - the bot (`chipin start --bots`, long polling) while it processes the updates it fetched — twenty times.
 * Each hold must be returned exactly once and its sender told once; each update must be handled exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { cleanUp } from '../support/chipin.js';
import {
  replyingTo,
  balanceOf,
  BOT_ID,
  inboxDrained,
  outboxDrained,
  sleep,
  startApp,
  startFakeTelegram,
  type RunningApp,
  type TgUser,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectInvariants } from './invariants.js';
import { scenarioLine } from './report.js';

const KILLS = 20;
const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min));

describe('kill -9 at random points', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram(false);
  });
  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    await database?.drop();
  });

  it('of the worker while it returns expired holds: each hold returned once, each sender told once', async () => {
    const env = { HOLD_TTL: '2s' };
    const front = await startApp({ databaseUrl: database.url, fake, roles: ['http', 'bots'], env });
    const payers: TgUser[] = Array.from({ length: 10 }, (_, i) => fake.user(8_200_000 + i, `Sender${i}`));
    for (const payer of payers)
      expect(await front.post(fake.message(payer, fake.privateChat(payer), '/faucet 100'))).toBe(200);
    await inboxDrained(database.db);

    let worker: RunningApp = await startApp({ databaseUrl: database.url, fake, roles: ['workers'], env });
    const holds: Array<{ payer: TgUser; username: string; amount: string }> = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const payer = payers[i % payers.length]!;
        const hold = { payer, username: `ghost_k9_${i}`, amount: `${(1 + i / 100).toFixed(2)} USD` };
        holds.push(hold);
        const update = fake.message(
          payer,
          fake.privateChat(payer),
          `/pay @${hold.username} ${hold.amount.split(' ')[0]}`,
        );
        expect(await front.post(update)).toBe(200);
        await sleep(150);
      }
    })();
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(between(200, 1_500));
      await worker.kill();
      worker = await startApp({ databaseUrl: database.url, fake, roles: ['workers'], env });
    }
    sending = false;
    await sender;
    await inboxDrained(database.db);
    // Every hold has expired (HOLD_TTL 2 s) and been handled once the outbox drains.
    await sleep(2_500);
    await outboxDrained(database.db, 120_000);

    const open = await database.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM transfers h WHERE h.state = 'pending'
          AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = h.id)`,
    );
    expect(open.rows[0]?.n).toBe('0');
    for (const payer of payers)
      expect(await balanceOf(database.db, payer.id)).toMatchObject({ available: 100_00n, pendingOut: 0n });
    const notices = fake.sent('sendMessage');
    // Each ghost is named twice to its sender: the reply that holds the money, and the notice (alone or in a digest)
    // that it came back.
    const told = holds.map(
      (h) =>
        notices.filter(
          (c) =>
            String(c.params.chat_id) === String(h.payer.id) &&
            new RegExp(`${h.username}(?![0-9])`).test(String(c.params.text)),
        ).length,
    );
    const offender = holds.find((_, i) => told[i] !== 2);
    expect(
      offender &&
        notices
          .filter(
            (c) =>
              String(c.params.chat_id) === String(offender.payer.id) &&
              new RegExp(`${offender.username}(?![0-9])`).test(String(c.params.text)),
          )
          .map((c) => String(c.params.text)),
    ).toBeUndefined();
    await worker.stop();
    await front.stop();

    const invariants = await expectInvariants(database.url);
    scenarioLine({
      name: 'kill -9 of the worker',
      load: `${holds.length} escrowed /pay expiring (HOLD_TTL 2 s) through chipin start --http --bots / --workers`,
      faults: `${KILLS} SIGKILLs of the worker process at random points, each restarted at once`,
      invariants,
    });
  });

  it('of the bot during long-poll processing: each update handled once', async () => {
    const payers: TgUser[] = Array.from({ length: 10 }, (_, i) => fake.user(8_300_000 + i, `Poller${i}`));
    const env = { TELEGRAM_WEBHOOK_SECRET: '' };
    const start = () => startApp({ databaseUrl: database.url, fake, roles: ['bots', 'workers'], env });
    fake.enqueueUpdates(...payers.map((p) => fake.message(p, fake.privateChat(p), '/faucet 100')));
    let bot = await start();
    await inboxDrained(database.db);

    const keys: string[] = [];
    let total = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const batch = Array.from({ length: 15 }, (_, j) => {
        const from = payers[(kill + j) % payers.length]!;
        const to = payers[(kill + j + 1) % payers.length]!;
        // A chat each: updates of one chat run in order, and a group's replies are paced at 20 a minute.
        const chat = fake.group(-1_005_000_000_000 - kill * 100 - j, 'Poll run');
        const update = replyingTo(fake, from, chat, '/pay 0.01 poll', to);
        keys.push(`tg:${BOT_ID}:${update.update_id}`);
        return update;
      });
      total += batch.length;
      fake.enqueueUpdates(...batch);
      await sleep(between(50, 1_000));
      await bot.kill();
      bot = await start();
    }
    await fake.waitFor(() => fake.unconfirmed === 0, 60_000, 'every update confirmed');
    // An update a killed process had claimed waits out its lease (60 s) before another process takes it.
    await inboxDrained(database.db, 180_000);

    const handled = await database.db.query<{ outcomes: string; transfers: string; stored: string }>(
      `SELECT (SELECT count(*) FROM command_log WHERE key = ANY($1::text[]) AND outcome IS NOT NULL)::text AS outcomes,
              (SELECT count(*) FROM transfers WHERE ref = ANY($1::text[]))::text AS transfers,
              (SELECT count(*) FROM inbox WHERE key = ANY($1::text[]) AND state = 'done')::text AS stored`,
      [keys],
    );
    expect(handled.rows[0]).toEqual({ outcomes: String(total), transfers: String(total), stored: String(total) });
    await outboxDrained(database.db, 120_000);
    await bot.stop();

    const invariants = await expectInvariants(database.url);
    scenarioLine({
      name: 'kill -9 of the bot (long polling)',
      load: `${total} /pay fetched by getUpdates through chipin start --bots --workers`,
      faults: `${KILLS} SIGKILLs of the bot process at random points while it processed them, each restarted at once`,
      invariants,
    });
  });
});
