/**
 * What a /pay costs Postgres, counted (not timed): `chipin start` runs with its database behind a TCP proxy that reads
 * the protocol's messages (test/support/pg-proxy.ts), so every statement is counted — the command path (the webhook's
 * store, the claim, identities, the command log, the ledger, the Undo button, the outbox row, the button's binding,
 * the done mark) and the workers' "you received" notice to each recipient. A hundred /pays in reply to the recipient,
 * each in a group of its own, sent together as a busy bot gets them; the figure is statements per /pay, so that round
 * trips cannot creep back unnoticed. (Measured alone: 5.2–5.4 on the command path and 1.3–1.7 for the notices, with
 * the two in processes of their own behind proxies of their own; under the full suite's load, batches are smaller.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { expectSound } from '../support/audit.js';
import { cleanUp } from '../support/chipin.js';
import { startPgProxy, type PgProxy, type StatementCounts } from '../support/pg-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  replyingTo,
  replyTo,
  settled,
  startApp,
  startFakeTelegram,
  waitForSent,
  type RunningApp,
  type TgUser,
} from '../support/app.js';

const PAYS = 100;

describe('Postgres statements per /pay', () => {
  let database: TestDatabase;
  let proxy: PgProxy;
  let fake: FakeTelegramApi;
  let app: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    proxy = await startPgProxy(database.url);
    fake = await startFakeTelegram();
    app = await startApp({ databaseUrl: proxy.url, fake });
  });

  afterAll(async () => {
    await settled(database.db);
    await cleanUp();
    await fake.close();
    await proxy.close();
    await expectSound(database.db);
    await database.drop();
  });

  const since = (before: StatementCounts): StatementCounts => {
    const now = proxy.counts();
    return { statements: now.statements - before.statements, roundTrips: now.roundTrips - before.roundTrips };
  };
  const perPay = (n: number): string => (n / PAYS).toFixed(2);

  it(`a burst of ${PAYS} payments costs at most 9 statements each, the recipients' notices included`, async () => {
    const users: TgUser[] = Array.from({ length: 20 }, (_, i) =>
      fake.user(5_900_001 + i, `Payer${i}`, { username: `payer_${i}`, language_code: 'en' }),
    );
    for (const user of users)
      expect(await app.post(fake.message(user, fake.privateChat(user), '/faucet 100'))).toBe(200);
    await Promise.all(users.map((user) => waitForSent(fake, user.id, (m) => m.text.includes('100.00 USD'))));
    await settled(database.db);

    const before = proxy.counts();
    const pays = Array.from({ length: PAYS }, (_, i) => {
      const from = users[i % users.length]!;
      const to = users[(i + 1) % users.length]!;
      const chat = fake.group(-1_005_900_000 - i, 'Statements');
      return { chat, update: replyingTo(fake, from, chat, '/pay 0.25 tea', to) };
    });
    const statuses = await Promise.all(pays.map(({ update }) => app.post(update)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await Promise.all(
      pays.map(({ chat, update }) =>
        fake.waitFor(() => replyTo(fake, chat.id, update).length > 0, 30_000, 'the reply to a /pay'),
      ),
    );
    await settled(database.db);
    const spent = since(before);
    console.log(
      `${PAYS} /pay: ${spent.statements} statements (${perPay(spent.statements)} per /pay, ` +
        `${perPay(spent.roundTrips)} round trips), the recipients' notices included`,
    );
    expect(spent.statements / PAYS).toBeLessThanOrEqual(9);
  });
});
