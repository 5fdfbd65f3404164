/**
 * A webhook burst with duplicates and disorder (RELIABILITY A6, smaller): 30 card deposits, each event delivered up
 * to 5 times, shuffled, 10 deliveries at once and 10 jobs at once; delayed methods complete `unpaid` first and
 * settle later (succeeded or failed). Each payment is credited exactly once, and only when paid; afterwards the
 * ledger audits clean and reconciliation finds nothing (INV-5).
 */
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../core/ledger/audit.js';
import type { Person } from '../../core/people/model.js';
import { available, notificationsOf } from '../../test/support/core.js';
import { stripeFixture, openDeposit, someone, type StripeFixture } from '../../test/support/stripe/fixture.js';
import { pay, settle } from '../../test/support/stripe/checkout.js';
import type { StripeEvent } from '../../test/support/stripe/server.js';

let f: StripeFixture;
beforeAll(async () => {
  f = await stripeFixture({ pool: 16 });
});
afterAll(async () => {
  await f.close();
});

/** A small seeded generator: the same burst on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function burst(events: readonly StripeEvent[], rnd: () => number): StripeEvent[] {
  const out: StripeEvent[] = [];
  for (const event of events) for (let n = 1 + Math.floor(rnd() * 5); n > 0; n--) out.push(event);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as StripeEvent, out[i] as StripeEvent];
  }
  return out;
}

async function deliverAll(events: readonly StripeEvent[]): Promise<number[]> {
  const limit = pLimit(10);
  return Promise.all(events.map((event) => limit(() => f.fake.deliver(event))));
}

interface Payment {
  person: Person;
  session: string;
  minor: bigint;
  method: 'card' | 'delayed-ok' | 'delayed-fail';
}

const creditsOf = async (session: string) =>
  (await f.db.query(`SELECT amount FROM transfers WHERE ref = $1`, [`stripe:${session}`])).rows.map((r) =>
    BigInt(String(r.amount)),
  );

describe('a webhook burst with duplicates and disorder', () => {
  it('credits each of 30 payments exactly once, and only when paid', async () => {
    const rnd = random(15);
    const people = await Promise.all(Array.from({ length: 10 }, (_, i) => someone(f.core, `p${i}`)));
    const payments: Payment[] = [];
    for (let i = 0; i < 30; i++) {
      const person = people[i % people.length] as Person;
      const minor = BigInt(1_00 + i * 37);
      const method = i % 3 === 0 ? 'card' : i % 3 === 1 ? 'delayed-ok' : i % 5 === 2 ? 'delayed-fail' : 'card';
      payments.push({ person, session: await openDeposit(f, person, minor), minor, method });
    }

    // Phase 1: every payer finishes Checkout; delayed methods complete unpaid.
    const first = payments.map((p) => pay(f.fake, p.session, p.method === 'card' ? 'card' : 'delayed'));
    const firstBurst = burst(first, rnd);
    expect(firstBurst.length).toBeGreaterThan(first.length);
    expect(new Set(await deliverAll(firstBurst))).toEqual(new Set([200]));
    await f.drain(10);
    for (const p of payments) expect(await creditsOf(p.session)).toEqual(p.method === 'card' ? [p.minor] : []);

    // Phase 2: the delayed ones settle; the old events arrive again among the new, in any order.
    const second = payments
      .filter((p) => p.method !== 'card')
      .map((p) => settle(f.fake, p.session, p.method === 'delayed-ok' ? 'succeeded' : 'failed'));
    expect(new Set(await deliverAll(burst([...second, ...first], rnd)))).toEqual(new Set([200]));
    await f.drain(10);

    const stored = await f.db.query(`SELECT count(*)::int AS n FROM inbox WHERE key LIKE 'stripe:evt_%'`);
    expect(stored.rows[0]?.n).toBe(first.length + second.length);
    for (const p of payments) expect(await creditsOf(p.session)).toEqual(p.method === 'delayed-fail' ? [] : [p.minor]);
    const states = await f.db.query(`SELECT session_id, state FROM deposits`);
    const stateOf = new Map(states.rows.map((r) => [String(r.session_id), String(r.state)]));
    for (const p of payments) expect(stateOf.get(p.session)).toBe(p.method === 'delayed-fail' ? 'failed' : 'paid');

    for (const person of people) {
      const mine = payments.filter((p) => p.person.id === person.id && p.method !== 'delayed-fail');
      expect(await available(f.core, person)).toBe(mine.reduce((sum, p) => sum + p.minor, 0n));
      const received = (await notificationsOf(f.db, person)).filter((n) => n.template.key === 'deposit.received');
      expect(received).toHaveLength(mine.length);
    }
    expect((await audit(f.db)).violations).toEqual([]);
    const dead = await f.db.query(`SELECT count(*)::int AS n FROM outbox WHERE state = 'dead'`);
    expect(dead.rows[0]?.n).toBe(0);

    // INV-5: Stripe's paid sessions and the ledger's credits agree; nothing was missed.
    const report = await f.core.cashier.reconciler.run({ since: new Date(Date.now() - 3_600_000) });
    expect(report.replayed).toEqual([]);
    expect(report.findings).toEqual([]);
  });
});
