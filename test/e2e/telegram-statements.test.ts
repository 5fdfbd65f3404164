/**
 * What a /pay costs Postgres, counted (not timed): chipin runs as two processes (`chipin start --http --bots` and
 * `chipin start --workers`), each with its database behind a TCP proxy of its own that reads the protocol's messages
 * (test/support/pg-proxy.ts). The first counts the command path — the webhook's store, the claim, identities, the
 * command log, the ledger, the Undo button, the outbox row, the button's binding, the done mark; the second the
 * workers' part, the recipient's "you received" notice. A hundred /pays in reply to the recipient, each in a group of
 * its own, sent together as a busy bot gets them; the figures are statements per /pay, so that round trips cannot
 * creep back unnoticed.
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
  let workersProxy: PgProxy;
  let fake: FakeTelegramApi;
  let app: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    proxy = await startPgProxy(database.url);
    workersProxy = await startPgProxy(database.url);
    fake = await startFakeTelegram();
    app = await startApp({ databaseUrl: proxy.url, fake, roles: ['http', 'bots'] });
    await startApp({ databaseUrl: workersProxy.url, fake, roles: ['workers'] });
  });

  afterAll(async () => {
    await settled(database.db);
    await cleanUp();
    await fake.close();
    await proxy.close();
    await workersProxy.close();
    await expectSound(database.db);
    await database.drop();
  });

  const since = (of: PgProxy, before: StatementCounts): StatementCounts => {
    const now = of.counts();
    return { statements: now.statements - before.statements, roundTrips: now.roundTrips - before.roundTrips };
  };
  const perPay = (n: number): string => (n / PAYS).toFixed(2);

  it(`a burst of ${PAYS} payments: at most 6 statements each on the command path, 8 with the recipients' notices`, async () => {
    const users: TgUser[] = Array.from({ length: 20 }, (_, i) =>
      fake.user(5_900_001 + i, `Payer${i}`, { username: `payer_${i}`, language_code: 'en' }),
    );
    for (const user of users)
      expect(await app.post(fake.message(user, fake.privateChat(user), '/faucet 100'))).toBe(200);
    await Promise.all(users.map((user) => waitForSent(fake, user.id, (m) => m.text.includes('100.00 USD'))));
    await settled(database.db);

    const before = proxy.counts();
    const workersBefore = workersProxy.counts();
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
    const command = since(proxy, before);
    const workers = since(workersProxy, workersBefore);
    console.log(
      `${PAYS} /pay: command path ${command.statements} statements (${perPay(command.statements)} per /pay, ` +
        `${perPay(command.roundTrips)} round trips); the workers' notices ${workers.statements} ` +
        `(${perPay(workers.statements)} per /pay)`,
    );
    expect(command.statements / PAYS).toBeLessThanOrEqual(6);
    expect((command.statements + workers.statements) / PAYS).toBeLessThanOrEqual(8);
  });
});
