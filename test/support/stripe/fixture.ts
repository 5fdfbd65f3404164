/**
 * Stripe tests over the real pieces: a core on a fresh Postgres database whose cashier talks to the fake Stripe
 * server through the real `stripe` library (bots/stripe/client.ts), and the real HTTP app with the Stripe routes,
 * where the fake delivers its signed events. `drain()` runs the settlement jobs those events left in the outbox,
 * each as the worker runs it (core/outbox claimDue → the kind's handler → markDone, in one transaction).
 */
import { createStripeGateway } from '../../../bots/stripe/client.js';
import { createStripeRoutes } from '../../../bots/stripe/webhook.js';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../../../bots/http.js';
import { createMetricsRegistry } from '../../../bots/metrics.js';
import pLimit from 'p-limit';
import {
  createCore,
  once,
  openAccount,
  toWire,
  walletOwner,
  type Core,
  type CoreConfig,
  type Person,
  type WithdrawOutcome,
} from '../../../core/index.js';
import type { Db } from '../../../core/db/executor.js';
import type { Log } from '../../../core/log.js';
import { silentLog } from '../../../core/log.js';
import { JobRejected, claimDue, markDone, recordFailure } from '../../../core/outbox/index.js';
import { TEST_CONFIG, actor, person, press, touch } from '../core.js';
import { ref } from '../ledger.js';
import { createTestDatabase, type TestDatabase } from '../postgres.js';
import { installCheckout, pay, sessionOfDeposit } from './checkout.js';
import { accountOfPerson, installConnect, onboard } from './connect.js';
import { installReconcile } from './reconcile.js';
import { SECRET_KEY, WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from './server.js';

export interface StripeFixture {
  t: TestDatabase;
  core: Core;
  fake: FakeStripe;
  /** http://127.0.0.1:<port> of the app (its /stripe/webhook receives the fake's events). */
  url: string;
  db: Db;
  /**
   * Runs the due settlement jobs (`stripe.*`, `settlement.*`, `concurrency` at once) as the worker does, until none is left; resolves
   * with how many ran. A rejected job becomes a dead letter, as the worker makes it; any other failure rejects.
   */
  drain(concurrency?: number): Promise<number>;
  /**
   * Up to `rounds` passes over the due settlement jobs, one at a time; never throws: resolves with every failure
   * (a job that failed stays pending for the next pass, a rejected one is a dead letter).
   */
  runJobs(rounds?: number): Promise<unknown[]>;
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
    /** How long one Stripe call may take (tests that drop responses keep it short). */
    timeoutMs?: number;
  } = {},
): Promise<StripeFixture> {
  const log = options.log ?? silentLog;
  // Connect is always there: reconciliation lists transfers and payouts even where no test withdraws.
  const extra = (options.install ?? []).filter((install) => install !== installConnect);
  const fake = await startFakeStripe([installCheckout, installReconcile, installConnect, ...extra]);
  const t = await createTestDatabase(options.pool ?? 8);
  const gateway = createStripeGateway({
    secretKey: SECRET_KEY,
    apiBase: fake.url,
    webhookSecret: WEBHOOK_SECRET,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
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

  /** One due job, as the worker runs it (a rejection becomes a dead letter at once, as the worker makes it). */
  async function runOne(id: string): Promise<{ ran: boolean; error?: unknown }> {
    try {
      const ran = await t.db.transaction(async (tx) => {
        const row = await claimDue(tx, id);
        if (!row) return false;
        const handler = core.timed[row.kind as keyof Core['timed']];
        await handler(tx, row.payload, { key: row.key, dueAt: row.dueAt });
        await markDone(tx, [row.id]);
        return true;
      });
      return { ran };
    } catch (error) {
      if (error instanceof JobRejected) await recordFailure(t.db, id, { error: String(error), dead: true });
      return { ran: false, error };
    }
  }

  /** One pass over the due settlement jobs, `concurrency` at once. */
  async function pass(concurrency: number): Promise<{ due: number; ran: number; errors: unknown[] }> {
    const due = await t.db.query<{ id: string }>(
      `SELECT id::text AS id FROM outbox
        WHERE state = 'pending' AND kind ~ '^(stripe|settlement)[.]' AND due_at <= now() ORDER BY id`,
    );
    const limit = pLimit(concurrency);
    const results = await Promise.all(due.rows.map(({ id }) => limit(() => runOne(id))));
    return {
      due: due.rows.length,
      ran: results.filter((r) => r.ran).length,
      errors: results.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    };
  }

  async function drain(concurrency = 1): Promise<number> {
    let ran = 0;
    for (;;) {
      const done = await pass(concurrency);
      ran += done.ran;
      const failed = done.errors.find((e) => !(e instanceof JobRejected));
      if (failed !== undefined)
        throw failed instanceof Error ? failed : new Error('a settlement job failed', { cause: failed });
      if (done.due === 0 || done.ran === 0) return ran;
    }
  }

  async function runJobs(rounds = 6): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (let round = 0; round < rounds; round++) {
      const done = await pass(1);
      errors.push(...done.errors);
      if (done.due === 0) break;
    }
    return errors;
  }

  return {
    t,
    db: t.db,
    core,
    fake,
    url,
    drain,
    runJobs,
    async close() {
      await server.stop();
      await fake.close();
      await t.drop();
    },
  };
}

/** A new person (no money). */
export const someone = (core: Core, name = 'ann'): Promise<Person> => touch(core, actor(name));

/** `/deposit` of `minor` USD by `person`: the session id. */
export async function openDeposit(f: StripeFixture, person: Person, minor: bigint): Promise<string> {
  const outcome = await f.db.transaction((tx) =>
    f.core.cashier.deposit(tx, { key: ref('deposit'), person, amount: { minor, currency: 'USD' } }),
  );
  if (outcome.type !== 'created') throw new Error(`deposit refused: ${outcome.error}`);
  return sessionOfDeposit(f.fake, outcome.depositId).id;
}

/** A card deposit paid and its event delivered and processed: the session id. */
export async function deposited(f: StripeFixture, person: Person, minor: bigint): Promise<string> {
  const sessionId = await openDeposit(f, person, minor);
  const status = await f.fake.deliver(pay(f.fake, sessionId));
  if (status !== 200) throw new Error(`webhook answered ${status}`);
  await f.drain();
  return sessionId;
}

/** Moves `minor` USD out of `person`'s wallet to someone else's (they spent it). */
export async function spend(f: StripeFixture, person: Person, minor: bigint): Promise<void> {
  const other = await someone(f.core, 'shop');
  const r = await f.db.transaction(async (tx) => {
    const from = await openAccount(tx, { kind: 'wallet', owner: walletOwner(person.id), currency: 'USD' });
    const to = await openAccount(tx, { kind: 'wallet', owner: walletOwner(other.id), currency: 'USD' });
    return f.core.ledger.apply(tx, {
      legs: [{ op: 'transfer', ref: ref('spend'), debit: from.id, credit: to.id, amount: minor, kind: 'pay' }],
    });
  });
  if (!r.ok) throw new Error(r.error);
}

/** A person with `minor` USD (the faucet) and a connected account whose onboarding is done (payouts enabled). */
export async function connected(f: StripeFixture, name: string, minor = 0n): Promise<Person> {
  const p = await person(f.core, name, minor);
  const r = await f.db.transaction((tx) => f.core.cashier.connect(tx, { person: p }));
  if (r.type !== 'link') throw new Error(`connect refused: ${r.error}`);
  const account = accountOfPerson(f.fake, p.id);
  if (!account) throw new Error('no account at stripe');
  if ((await f.fake.deliver(onboard(f.fake, account.id))) !== 200) throw new Error('account.updated not taken');
  await f.runJobs();
  return p;
}

/** `/withdraw minor` (USD) by `p`, as a command: the confirm card, or why not. */
export async function withdrawCard(f: StripeFixture, p: Person, minor: bigint): Promise<WithdrawOutcome> {
  const key = ref('tg:withdraw');
  const r = await once(f.db, { key, personId: p.id, command: 'withdraw' }, async (tx) =>
    toWire(await f.core.cashier.withdraw(tx, { key, person: p, amount: { minor, currency: 'USD' } })),
  );
  return r.outcome as unknown as WithdrawOutcome;
}

/** `/withdraw minor` (USD) by `p` and its Confirm pressed: the withdrawal id (held; its settlement job due). */
export async function withdrawal(f: StripeFixture, p: Person, minor: bigint): Promise<bigint> {
  const card = await withdrawCard(f, p, minor);
  if (card.type !== 'confirm') throw new Error(`withdraw refused: ${card.error}`);
  const pressed = await press(f.core, p, card.actionId);
  if (pressed.type !== 'done' || pressed.outcome.type !== 'held')
    throw new Error(`confirm: ${JSON.stringify(pressed)}`);
  return BigInt((pressed.outcome as { withdrawalId: string }).withdrawalId);
}
