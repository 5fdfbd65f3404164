/**
 * A core with Stripe over a fresh test database and the fake Stripe server, the webhook route listening (so
 * `fake.deliver` goes through signature checks and the inbox), and `drain`: runs every due `stripe.event` job as the
 * settlement worker would (its transaction marks the row done; a rejection makes it a dead letter).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pLimit from 'p-limit';
import { createCore, type Core, type Person } from '../../../core/index.js';
import type { Db } from '../../../core/db/executor.js';
import { JobRejected } from '../../../core/outbox/errors.js';
import { silentLog, type Log } from '../../../core/log.js';
import { createStripeGateway } from '../../../bots/stripe/client.js';
import { createStripeRoutes } from '../../../bots/stripe/webhook.js';
import { createTestDatabase, type TestDatabase } from '../postgres.js';
import { TEST_CONFIG, touch, actor } from '../core.js';
import { ref } from '../ledger.js';
import { installCheckout, pay, sessionOfDeposit } from './checkout.js';
import { installReconcile } from './reconcile.js';
import { SECRET_KEY, WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from './server.js';

export interface CashierFixture {
  t: TestDatabase;
  db: Db;
  core: Core;
  fake: FakeStripe;
  /** Runs the due `stripe.event` jobs (`concurrency` at once) until none is left; returns how many ran. */
  drain(concurrency?: number): Promise<number>;
  close(): Promise<void>;
}

export async function cashierFixture(options: { log?: Log; max?: number } = {}): Promise<CashierFixture> {
  const t = await createTestDatabase(options.max ?? 12);
  const fake = await startFakeStripe([installCheckout, installReconcile]);
  const gateway = createStripeGateway({ secretKey: SECRET_KEY, apiBase: fake.url, webhookSecret: WEBHOOK_SECRET });
  const log = options.log ?? silentLog;
  const core = createCore({
    db: t.db,
    config: TEST_CONFIG,
    log,
    stripe: { gateway, returnUrl: 'http://localhost/stripe/return' },
  });
  const app = express();
  app.use(createStripeRoutes({ enabled: true, cashier: core.cashier, db: t.db, log, defaultLocale: 'en' }));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stripe/webhook`;

  async function runOne(key: string, payload: unknown): Promise<void> {
    try {
      await t.db.transaction(async (tx) => {
        const r = await tx.query(`SELECT state FROM outbox WHERE key = $1 FOR UPDATE`, [key]);
        if (r.rows[0]?.state !== 'pending') return;
        await core.timed['stripe.event'](tx, payload as never, { key, dueAt: new Date() });
        await tx.query(`UPDATE outbox SET state = 'done', done_at = now() WHERE key = $1`, [key]);
      });
    } catch (err) {
      if (!(err instanceof JobRejected)) throw err;
      await t.db.query(`UPDATE outbox SET state = 'dead', done_at = now() WHERE key = $1`, [key]);
    }
  }

  return {
    t,
    db: t.db,
    core,
    fake,
    async drain(concurrency = 1) {
      let ran = 0;
      for (;;) {
        const r = await t.db.query(
          `SELECT key, payload FROM outbox WHERE kind IN ('stripe.event') AND state = 'pending' ORDER BY id`,
        );
        if (r.rows.length === 0) return ran;
        const limit = pLimit(concurrency);
        await Promise.all(r.rows.map((row) => limit(() => runOne(String(row.key), row.payload))));
        ran += r.rows.length;
      }
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
      await t.drop();
    },
  };
}

/** A new person (no money). */
export const someone = (core: Core, name = 'ann'): Promise<Person> => touch(core, actor(name));

/** `/deposit` of `minor` USD by `person`: the session id. */
export async function openDeposit(f: CashierFixture, person: Person, minor: bigint): Promise<string> {
  const outcome = await f.db.transaction((tx) =>
    f.core.cashier.deposit(tx, { key: ref('deposit'), person, amount: { minor, currency: 'USD' } }),
  );
  if (outcome.type !== 'created') throw new Error(`deposit refused: ${outcome.error}`);
  return sessionOfDeposit(f.fake, outcome.depositId).id;
}

/** A card deposit paid and its event delivered and processed: the session id. */
export async function deposited(f: CashierFixture, person: Person, minor: bigint): Promise<string> {
  const sessionId = await openDeposit(f, person, minor);
  const status = await f.fake.deliver(pay(f.fake, sessionId));
  if (status !== 200) throw new Error(`webhook answered ${status}`);
  await f.drain();
  return sessionId;
}
