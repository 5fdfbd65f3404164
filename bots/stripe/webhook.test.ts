/**
 * POST /stripe/webhook checks Stripe's signature on the raw bytes before anything else: forged, stale,
 * re-serialised and whitespace-changed deliveries are refused with 400 and store nothing; a secret rotation (two
 * `v1` values, one valid) is accepted; a JSON body parser mounted ahead of the route is a loud misconfiguration,
 * not a silent stream of 400s. Without STRIPE_WEBHOOK_SECRET the route does not exist.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer } from '../http.js';
import { createMetricsRegistry } from '../metrics.js';
import { createStripeRoutes } from './webhook.js';
import { person } from '../../test/support/core.js';
import { pay } from '../../test/support/stripe/checkout.js';
import { stripeFixture, type StripeFixture } from '../../test/support/stripe/fixture.js';
import { WEBHOOK_SECRET, nowS, signature, type StripeEvent } from '../../test/support/stripe/server.js';
import { recordingLog } from '../../test/support/workers.js';
import { ref } from '../../test/support/ledger.js';

let f: StripeFixture;

beforeAll(async () => {
  f = await stripeFixture();
});
afterAll(async () => {
  await f.close();
});

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${url}/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** A real paid-session event, as the fake would send it (its JSON text is what Stripe signed). */
async function paidEvent(): Promise<{ event: StripeEvent; payload: string }> {
  const who = await person(f.core, `p${Date.now() % 100_000}`);
  const outcome = await f.t.db.transaction((tx) =>
    f.core.cashier.deposit(tx, { key: ref('tg:deposit'), person: who, amount: { minor: 10_00n, currency: 'USD' } }),
  );
  if (outcome.type !== 'created') throw new Error(outcome.error);
  const session = await f.t.db.query<{ session_id: string }>(`SELECT session_id FROM deposits WHERE id = $1`, [
    outcome.depositId,
  ]);
  const event = pay(f.fake, String(session.rows[0]?.session_id));
  return { event, payload: JSON.stringify(event, null, 2) };
}

const stored = async (eventId: string): Promise<number> =>
  (await f.t.db.query(`SELECT 1 FROM inbox WHERE key = $1`, [`stripe:${eventId}`])).rowCount;

describe('POST /stripe/webhook', () => {
  it('stores a genuine event once and acknowledges every delivery', async () => {
    const { event, payload } = await paidEvent();
    const header = { 'stripe-signature': signature(payload) };
    expect(await post(f.url, payload, header)).toBe(200);
    expect(await post(f.url, payload, header)).toBe(200);
    expect(await stored(event.id)).toBe(1);
  });

  it('refuses a forged, stale, re-serialised or whitespace-changed delivery with 400 and stores nothing', async () => {
    const { event, payload } = await paidEvent();
    const wrongSecret = signature(payload, 'whsec_not_the_real_one');
    const stale = signature(payload, WEBHOOK_SECRET, nowS() - 301);
    const good = signature(payload);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['wrong secret', payload, { 'stripe-signature': wrongSecret }],
      ['older than 300 s', payload, { 'stripe-signature': stale }],
      ['re-serialised', JSON.stringify(event), { 'stripe-signature': good }],
      ['whitespace changed', payload.replace('\n', '\n '), { 'stripe-signature': good }],
      [
        'amount changed',
        payload.replace('"amount_total": 1000', '"amount_total": 100000'),
        { 'stripe-signature': good },
      ],
      ['no signature', payload, {}],
      ['garbage signature', payload, { 'stripe-signature': 't=abc,v1=zz' }],
    ];
    for (const [what, body, headers] of cases) expect(await post(f.url, body, headers), what).toBe(400);
    expect(await stored(event.id)).toBe(0);
  });

  it('accepts a delivery signed during a secret rotation (two v1 values, one of them valid)', async () => {
    const { event, payload } = await paidEvent();
    const t = nowS();
    const valid = signature(payload, WEBHOOK_SECRET, t).split(',v1=')[1];
    const old = signature(payload, 'whsec_the_previous_secret', t).split(',v1=')[1];
    expect(await post(f.url, payload, { 'stripe-signature': `t=${t},v1=${old},v1=${valid}` })).toBe(200);
    expect(await stored(event.id)).toBe(1);
  });

  it('fails loudly when a JSON body parser runs ahead of it (the raw bytes are gone)', async () => {
    const log = recordingLog();
    const routes = createStripeRoutes({ enabled: true, cashier: f.core.cashier, db: f.t.db, log, defaultLocale: 'en' });
    const app = createHttpApp({
      log,
      metrics: createMetricsRegistry({ version: '0.0.0' }),
      readiness: {},
      // The mistake: a global express.json() mounted before the feature routes.
      routes: [(a) => a.use(express.json()), (a) => a.use(routes)],
    });
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log });
    try {
      const { event, payload } = await paidEvent();
      expect(await post(`http://127.0.0.1:${server.port}`, payload, { 'stripe-signature': signature(payload) })).toBe(
        500,
      );
      expect(await stored(event.id)).toBe(0);
      expect(log.entries.find((e) => e.level === 'error')?.msg).toMatch(/body was parsed before this route/);
    } finally {
      await server.stop();
    }
  });

  it('does not exist without STRIPE_WEBHOOK_SECRET', async () => {
    const routes = createStripeRoutes({
      enabled: false,
      cashier: f.core.cashier,
      db: f.t.db,
      log: recordingLog(),
      defaultLocale: 'en',
    });
    const app = createHttpApp({
      log: recordingLog(),
      metrics: createMetricsRegistry({ version: '0.0.0' }),
      readiness: {},
      routes: [(a) => a.use(routes)],
    });
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log: recordingLog() });
    try {
      const { payload } = await paidEvent();
      expect(await post(`http://127.0.0.1:${server.port}`, payload, { 'stripe-signature': signature(payload) })).toBe(
        404,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('GET /stripe/return', () => {
  it('sends the payer back to the chat in their language', async () => {
    const en = await fetch(`${f.url}/stripe/return?deposit=1`, { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(await en.text()).toMatch(/^Thanks! Go back to your chat/);
    const zh = await fetch(`${f.url}/stripe/return?deposit=1&cancelled=1`, { headers: { 'accept-language': 'zh-CN' } });
    expect(await zh.text()).toBe('没有付款。随时可以回到聊天。');
  });
});
