/**
 * A bank run (RELIABILITY A1): CHAOS_TRANSFERS (10,000) random `/pay`s among CHAOS_WALLETS (100) wallets through the
 * Telegram webhook — inbox, command layer, ledger — 50 at a time, amounts up to 19.99 USD from wallets of 50 USD (so
 * many exceed the payer's balance), while four readers sum every wallet continuously, and 5% of the ledger's
 * statements that write transfers fail with an injected serialization failure or deadlock (a statement trigger on the
 * scenario's own database; a sequence, which no rollback undoes, counts them).
 *
 * The app runs in this process (app.ts `startApp`, all three roles) so that Telegram's outgoing pacing can be lifted
 * as bench:telegram does: with it on, 10,000 replies would take the global 30 messages/s, and this is about the
 * ledger under conflict, not the pacing (issue 17 decouples the two). The fake Bot API enforces no limits either.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, startApp, type App } from '../../app.js';
import type { TelegramLimits } from '../../bots/telegram/index.js';
import { loadConfig, loadTestEnv } from '../../config/env.js';
import { createLogger } from '../../config/logger.js';
import { FakeTelegramApi } from '../fakes/telegram-api.js';
import { BOT_TOKEN, inboxDrained, outboxDrained, replyingTo, WEBHOOK_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectInvariants } from './invariants.js';
import { scenarioLine } from './report.js';

const TRANSFERS = Number(process.env.CHAOS_TRANSFERS ?? 10_000);
const WALLETS = Number(process.env.CHAOS_WALLETS ?? 100);
/** The run's limit: 10,000 payments take about 4 minutes on two cores. */
const RUN_TIMEOUT_MS = 600_000;
const CONNECTIONS = 50;
const READERS = 4;
const FUNDED_MINOR = 50_00n;

const UNLIMITED: TelegramLimits = {
  perChat: { limit: 1_000_000_000, windowMs: 1 },
  perGroup: { limit: 1_000_000_000, windowMs: 1 },
  global: { limit: 1_000_000_000, windowMs: 1 },
};

/** 5% of the statements inserting transfers fail as a serialization failure or a deadlock would. */
const INJECT = `
CREATE SEQUENCE chaos_injected;
CREATE FUNCTION chaos_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF random() < 0.05 THEN
    PERFORM nextval('chaos_injected');
    IF random() < 0.5 THEN
      RAISE EXCEPTION 'chaos: injected serialization failure' USING ERRCODE = 'serialization_failure';
    ELSE
      RAISE EXCEPTION 'chaos: injected deadlock' USING ERRCODE = 'deadlock_detected';
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER chaos_conflict BEFORE INSERT ON transfers FOR EACH STATEMENT EXECUTE FUNCTION chaos_conflict();`;

describe('a bank run under injected conflicts', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let app: App;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase(READERS + 2);
    fake = new FakeTelegramApi({ token: BOT_TOKEN, limits: false });
    await fake.listen();
    dataDir = mkdtempSync(path.join(tmpdir(), 'chipin-chaos-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: loadTestEnv().redisUrl,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DEMO_MONEY: '1',
      // A hundred people sending 10,000 payments in a couple of minutes is the load, not abuse.
      RATE_MONEY_PER_MINUTE: '0',
    });
    // Its log lines join the run's scan (test/chaos/reporter.ts), as a child process's would.
    const logDir = process.env.CHIPIN_LOG_DIR;
    const logs = logDir ? createWriteStream(path.join(logDir, `chipin-bank-run-${process.pid}.log`)) : undefined;
    app = await startApp(config, createLogger(config, logs), ROLES, { telegram: { limits: UNLIMITED, safetyMs: 0 } });
    url = `http://127.0.0.1:${app.port}/telegram/webhook`;
  });

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (update: object): Promise<void> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(update),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  };

  it(
    'keeps the sum of every wallet constant, pays each accepted /pay once and refuses the rest',
    async () => {
      const users = Array.from({ length: WALLETS }, (_, i) =>
        fake.user(8_000_000 + i, `Runner${i}`, { username: `runner_${i}` }),
      );
      const pool = [...users];
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let u = pool.shift(); u; u = pool.shift())
            await post(fake.message(u, fake.privateChat(u), `/faucet ${FUNDED_MINOR / 100n}`));
        }),
      );
      await inboxDrained(database.db, 60_000);
      const SUM = `SELECT sum(credits_posted - debits_posted)::text AS s FROM accounts WHERE kind = 'wallet' AND currency = 'USD'`;
      const sum = async (client: { query: (text: string) => Promise<{ rows: Array<{ s?: unknown }> }> }) => {
        const s = (await client.query(SUM)).rows[0]?.s;
        return BigInt(typeof s === 'string' ? s : '0');
      };
      const total = await sum(database.db);
      expect(total).toBe(FUNDED_MINOR * BigInt(WALLETS));

      await database.db.script(INJECT);

      // The readers: every sum they read, while the run goes on, must be the total.
      const readers = new pg.Pool({ connectionString: database.url, max: READERS });
      let reading = true;
      const reads: bigint[] = [];
      const readLoops = Array.from({ length: READERS }, async () => {
        while (reading) {
          reads.push(await sum(readers));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      const stopReading = async () => {
        reading = false;
        await Promise.allSettled(readLoops);
        await readers.end();
      };

      const keys: string[] = [];
      let sent = 0;
      const started = Date.now();
      let seconds = 0;
      try {
        await Promise.all(
          Array.from({ length: CONNECTIONS }, async () => {
            while (sent < TRANSFERS) {
              sent++;
              const from = users[Math.floor(Math.random() * users.length)]!;
              let to = users[Math.floor(Math.random() * users.length)]!;
              while (to.id === from.id) to = users[Math.floor(Math.random() * users.length)]!;
              const cents = 1 + Math.floor(Math.random() * 1_999);
              // One of 500 groups: the updates of one chat run in order, one at a time.
              const chat = fake.group(-1_003_000_000_000 - Math.floor(Math.random() * 500), 'Bank run');
              const update = replyingTo(fake, from, chat, `/pay ${(cents / 100).toFixed(2)} run`, to);
              keys.push(`tg:${BOT_TOKEN.split(':')[0]}:${update.update_id}`);
              await post(update);
            }
          }),
        );
        await inboxDrained(database.db, RUN_TIMEOUT_MS - 120_000);
        seconds = (Date.now() - started) / 1000;
      } finally {
        await stopReading();
      }
      await database.db.script('DROP TRIGGER chaos_conflict ON transfers');

      // Every read during the run saw the same total; the end state has it too.
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.filter((r) => r !== total)).toEqual([]);
      expect(await sum(database.db)).toBe(total);

      // Each /pay has exactly one recorded outcome, and at most one transfer (its ref is the command's key).
      const outcomes = await database.db.query<{ n: string; transfers: string }>(
        `SELECT count(c.key)::text AS n, (SELECT count(*) FROM transfers WHERE ref = ANY($1::text[]))::text AS transfers
         FROM command_log c WHERE c.key = ANY($1::text[]) AND c.outcome IS NOT NULL`,
        [keys],
      );
      const row = outcomes.rows[0]!;
      expect(Number(row.n)).toBe(TRANSFERS);
      const transfers = Number(row.transfers);
      expect(transfers).toBeGreaterThan(0);
      expect(transfers).toBeLessThan(TRANSFERS); // some payers ran out: refused, nothing moved
      const injected = await database.db.query<{ n: string }>(
        `SELECT CASE WHEN is_called THEN last_value ELSE 0 END::text AS n FROM chaos_injected`,
      );
      const faults = Number(injected.rows[0]?.n ?? 0);
      expect(faults).toBeGreaterThan(0);

      const failedInbox = await database.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM inbox WHERE state = 'failed'`,
      );
      expect(failedInbox.rows[0]?.n).toBe('0');
      await outboxDrained(database.db, 120_000);
      const invariants = await expectInvariants(database.url);
      scenarioLine({
        name: 'bank run',
        load: `${TRANSFERS} /pay among ${WALLETS} wallets in ${seconds.toFixed(0)} s (${(TRANSFERS / seconds).toFixed(0)}/s), ${transfers} paid, ${TRANSFERS - transfers} refused; ${reads.length} concurrent sums, all ${total}`,
        faults: `${faults} injected serialization failures/deadlocks (5% of transfer inserts)`,
        invariants,
      });
    },
    RUN_TIMEOUT_MS,
  );
});
