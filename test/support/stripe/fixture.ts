/**
 * Stripe tests over the real pieces: a core on a fresh Postgres database whose cashier talks to the fake Stripe
 * server through the real `stripe` library (bots/stripe/client.ts), and the real HTTP app with the Stripe routes,
 * where the fake delivers its signed events. `settle()` runs the settlement jobs those events left in the outbox,
 * each as the worker runs it (core/outbox claimDue → the kind's handler → markDone, in one transaction).
 */
import { createStripeGateway } from '../../../bots/stripe/client.js';
import { createStripeRoutes } from '../../../bots/stripe/webhook.js';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../../../bots/http.js';
import { createMetricsRegistry } from '../../../bots/metrics.js';
import { createCore, type Core, type CoreConfig } from '../../../core/index.js';
import type { Log } from '../../../core/log.js';
import { silentLog } from '../../../core/log.js';
import { JobRejected, claimDue, markDone, recordFailure } from '../../../core/outbox/index.js';
import { TEST_CONFIG } from '../core.js';
import { createTestDatabase, type TestDatabase } from '../postgres.js';
import { installCheckout } from './checkout.js';
import { SECRET_KEY, WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from './server.js';

export interface StripeFixture {
  t: TestDatabase;
  core: Core;
  fake: FakeStripe;
  /** http://127.0.0.1:<port> of the app (its /stripe/webhook receives the fake's events). */
  url: string;
  /**
   * Runs every pending settlement job (`stripe.*`) as the worker does; resolves with how many ran, or rejects with
   * the first failure after trying them all (a rejected job is a dead letter, as the worker makes it).
   */
  settle(): Promise<number>;
  close(): Promise<void>;
}

export async function stripeFixture(
  options: {
    config?: Partial<CoreConfig>;
    log?: Log;
    install?: ReadonlyArray<(fake: FakeStripe) => void>;
    /** An app without STRIPE_WEBHOOK_SECRET (the route answers 404). */
    webhook?: boolean;
    pool?: number;
  } = {},
): Promise<StripeFixture> {
  const log = options.log ?? silentLog;
  const fake = await startFakeStripe([installCheckout, ...(options.install ?? [])]);
  const t = await createTestDatabase(options.pool ?? 8);
  const gateway = createStripeGateway({ secretKey: SECRET_KEY, apiBase: fake.url, webhookSecret: WEBHOOK_SECRET });
  const core = createCore({
    db: t.db,
    config: { ...TEST_CONFIG, ...options.config },
    log,
    stripe: { gateway, returnUrl: 'http://127.0.0.1/stripe/return' },
  });
  const routes = createStripeRoutes({
    enabled: options.webhook ?? true,
    cashier: core.cashier,
    db: t.db,
    log,
    defaultLocale: 'en',
  });
  const app = createHttpApp({
    log,
    metrics: createMetricsRegistry({ version: '0.0.0' }),
    readiness: {},
    routes: [(a) => a.use(routes)],
  });
  const server: RunningHttpServer = await startHttpServer(app, { port: 0, host: '127.0.0.1', log });
  const url = `http://127.0.0.1:${server.port}`;
  fake.webhookUrl = `${url}/stripe/webhook`;

  async function settle(): Promise<number> {
    const due = await t.db.query<{ id: string }>(
      `SELECT id::text AS id FROM outbox WHERE state = 'pending' AND kind LIKE 'stripe.%' AND due_at <= now() ORDER BY id`,
    );
    let ran = 0;
    const failures: unknown[] = [];
    for (const { id } of due.rows) {
      try {
        ran += await t.db.transaction(async (tx) => {
          const row = await claimDue(tx, id);
          if (!row) return 0;
          const handler = core.timed[row.kind as keyof Core['timed']];
          await handler(tx, row.payload, { key: row.key, dueAt: row.dueAt });
          await markDone(tx, [row.id]);
          return 1;
        });
      } catch (err) {
        // As the worker: a rejection is a dead letter at once; anything else stays pending for a retry.
        if (err instanceof JobRejected) await recordFailure(t.db, id, { error: String(err), dead: true });
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
    return ran;
  }

  return {
    t,
    core,
    fake,
    url,
    settle,
    async close() {
      await server.stop();
      await fake.close();
      await t.drop();
    },
  };
}
