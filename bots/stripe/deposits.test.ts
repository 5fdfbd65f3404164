/**
 * Card deposits end to end below the chat: /deposit opens a Checkout Session on the (fake) Stripe through the real
 * `stripe` library, the payer pays, Stripe's signed events reach the real webhook route, and the settlement job
 * credits the wallet — exactly once, only when Stripe says the session is paid, whatever the order and however many
 * times the events arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import { available, notificationsOf, person, usd } from '../../test/support/core.js';
import { expire, pay, sessionOf, settle as settleAsync } from '../../test/support/stripe/checkout.js';
import { stripeFixture, type StripeFixture } from '../../test/support/stripe/fixture.js';
import { audit } from '../../core/ledger/index.js';
import type { Person } from '../../core/people/model.js';

let f: StripeFixture;

beforeAll(async () => {
  f = await stripeFixture();
});
afterAll(async () => {
  expect((await audit(f.t.db)).violations).toEqual([]);
  await f.close();
});

async function deposit(who: Person, minor: bigint, key = ref('tg:deposit')) {
  const outcome = await f.t.db.transaction((tx) =>
    f.core.cashier.deposit(tx, { key, person: who, amount: usd(minor) }),
  );
  if (outcome.type !== 'created') throw new Error(`deposit refused: ${outcome.error}`);
  const row = await f.t.db.query<{ session_id: string }>(`SELECT session_id FROM deposits WHERE id = $1`, [
    outcome.depositId,
  ]);
  return { ...outcome, sessionId: String(row.rows[0]?.session_id) };
}

const stateOf = async (depositId: bigint) =>
  (await f.t.db.query<{ state: string }>(`SELECT state FROM deposits WHERE id = $1`, [depositId])).rows[0]?.state;

const receivedNotices = async (who: Person) =>
  (await notificationsOf(f.t.db, who)).filter((n) => n.template.key === 'deposit.received');

describe('a card deposit', () => {
  it('gives the depositor a Stripe Checkout link for the amount, created once per command', async () => {
    const ann = await person(f.core, 'ann');
    const key = ref('tg:deposit');
    const first = await deposit(ann, 20_00n, key);
    const again = await deposit(ann, 20_00n, key);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);
    expect(again.url).toBe(first.url);
    const session = sessionOf(f.fake, first.sessionId);
    expect(session).toMatchObject({
      mode: 'payment',
      amount_total: 2000,
      currency: 'usd',
      metadata: { chipin_deposit_id: String(first.depositId), chipin_person_id: String(ann.id) },
    });
    const creates = f.fake.requests.filter(
      (r) => r.path === '/v1/checkout/sessions' && r.idempotencyKey === `deposit:${key}`,
    );
    expect(creates).toHaveLength(1);
  });

  it('is credited exactly once when its event is delivered 10 times at once', async () => {
    const bob = await person(f.core, 'bob');
    const d = await deposit(bob, 25_00n);
    const event = pay(f.fake, d.sessionId);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => f.fake.deliver(event)));
    expect(statuses).toEqual(Array(10).fill(200));
    expect(await f.drain()).toBe(1);
    expect(await available(f.core, bob)).toBe(25_00n);
    expect(await stateOf(d.depositId)).toBe('paid');
    const notices = await receivedNotices(bob);
    expect(notices.map((n) => n.template.params)).toEqual([{ amount: '25.00 USD', available: '25.00 USD' }]);
    // Delivered again later (Stripe retries for days): acknowledged, nothing more.
    expect(await f.fake.deliver(event)).toBe(200);
    expect(await f.drain()).toBe(0);
    expect(await available(f.core, bob)).toBe(25_00n);
  });

  it('is never credited while the session is unpaid, and is credited once a delayed payment succeeds, in any order', async () => {
    const cai = await person(f.core, 'cai');
    const d = await deposit(cai, 30_00n);
    const completed = pay(f.fake, d.sessionId, 'delayed');
    expect(await f.fake.deliver(completed)).toBe(200);
    expect(await f.drain()).toBe(1);
    expect(await available(f.core, cai)).toBe(0n);
    expect(await stateOf(d.depositId)).toBe('open');

    // The bank debit clears; its event and a late redelivery of an older snapshot arrive out of order.
    const succeeded = settleAsync(f.fake, d.sessionId, 'succeeded');
    const staleCopy = f.fake.event('checkout.session.completed', { ...completed.data.object });
    expect(await f.fake.deliver(staleCopy)).toBe(200);
    expect(await f.fake.deliver(succeeded)).toBe(200);
    expect(await f.drain()).toBe(2);
    expect(await available(f.core, cai)).toBe(30_00n);
    expect(await receivedNotices(cai)).toHaveLength(1);
  });

  it('is credited once when two different events about the paid session are processed at the same time', async () => {
    const dan = await person(f.core, 'dan');
    const d = await deposit(dan, 12_00n);
    pay(f.fake, d.sessionId, 'delayed');
    const succeeded = settleAsync(f.fake, d.sessionId, 'succeeded');
    const completedCopy = f.fake.event('checkout.session.completed', sessionOf(f.fake, d.sessionId));
    await Promise.all([f.fake.deliver(succeeded), f.fake.deliver(completedCopy)]);
    const ids = await f.t.db.query<{ id: string }>(
      `SELECT id::text AS id FROM outbox WHERE state = 'pending' AND kind = 'stripe.event'`,
    );
    expect(ids.rows).toHaveLength(2);
    // Both jobs at once, as two workers would run them.
    await Promise.all([f.drain(), f.drain()]);
    expect(await available(f.core, dan)).toBe(12_00n);
    const credits = await f.t.db.query(`SELECT id FROM transfers WHERE ref = $1`, [`stripe:${d.sessionId}`]);
    expect(credits.rows).toHaveLength(1);
  });

  it('that fails at the bank credits nothing and tells the depositor', async () => {
    const eve = await person(f.core, 'eve');
    const d = await deposit(eve, 40_00n);
    await f.fake.deliver(pay(f.fake, d.sessionId, 'delayed'));
    await f.fake.deliver(settleAsync(f.fake, d.sessionId, 'failed'));
    await f.drain();
    expect(await available(f.core, eve)).toBe(0n);
    expect(await stateOf(d.depositId)).toBe('failed');
    const failed = (await notificationsOf(f.t.db, eve)).filter((n) => n.template.key === 'deposit.failed');
    expect(failed.map((n) => n.template.params)).toEqual([{ amount: '40.00 USD' }]);
  });

  it('whose session expired unpaid is closed, and nothing later reopens it', async () => {
    const fay = await person(f.core, 'fay');
    const d = await deposit(fay, 15_00n);
    await f.fake.deliver(expire(f.fake, d.sessionId));
    await f.drain();
    expect(await stateOf(d.depositId)).toBe('expired');
    await f.fake.deliver(f.fake.event('checkout.session.completed', sessionOf(f.fake, d.sessionId)));
    await f.drain();
    expect(await stateOf(d.depositId)).toBe('expired');
    expect(await available(f.core, fay)).toBe(0n);
  });

  it('below Stripe’s minimum is refused with nothing charged', async () => {
    const gus = await person(f.core, 'gus');
    const outcome = await f.t.db.transaction((tx) =>
      f.core.cashier.deposit(tx, { key: ref('tg:deposit'), person: gus, amount: usd(20n) }),
    );
    expect(outcome).toEqual({ type: 'rejected', error: 'DepositRefused' });
  });

  it('for a session that is not ours is a dead letter, never a credit', async () => {
    const stranger = {
      id: 'cs_test_not_ours',
      object: 'checkout.session',
      status: 'complete',
      payment_status: 'paid',
      amount_total: 9900,
      currency: 'usd',
      metadata: {},
    };
    f.fake.objects.set(stranger.id, stranger);
    await f.fake.deliver(f.fake.event('checkout.session.completed', stranger));
    await f.drain();
    const job = await f.t.db.query<{ state: string; last_error: string }>(
      `SELECT o.state, o.last_error FROM outbox o JOIN inbox i ON i.key = 'stripe:' || (o.payload->>'eventId')
        WHERE o.kind = 'stripe.event' AND i.payload->'object'->>'id' = 'cs_test_not_ours'`,
    );
    expect(job.rows).toEqual([
      { state: 'dead', last_error: expect.stringMatching(/no deposit has session cs_test_not_ours/) as unknown },
    ]);
    const credits = await f.t.db.query(`SELECT id FROM transfers WHERE ref = 'stripe:cs_test_not_ours'`);
    expect(credits.rows).toHaveLength(0);
  });
});

describe('the payer’s return from Checkout', () => {
  it('credits a paid deposit even when its webhook never comes, once', async () => {
    const hal = await person(f.core, 'hal');
    const d = await deposit(hal, 18_00n);
    pay(f.fake, d.sessionId); // paid at Stripe; the event is never delivered
    const back = await fetch(`${f.url}/stripe/return?deposit=${d.depositId}`);
    expect(back.status).toBe(200);
    await fetch(`${f.url}/stripe/return?deposit=${d.depositId}`); // reloaded
    await fetch(`${f.url}/stripe/return?deposit=999999999`); // made up: no job
    expect(await f.drain()).toBe(1);
    expect(await available(f.core, hal)).toBe(18_00n);
    expect(await receivedNotices(hal)).toHaveLength(1);
  });

  it('credits nothing while the session is unpaid', async () => {
    const ida = await person(f.core, 'ida');
    const d = await deposit(ida, 18_00n);
    await fetch(`${f.url}/stripe/return?deposit=${d.depositId}`);
    expect(await f.drain()).toBe(1);
    expect(await available(f.core, ida)).toBe(0n);
    expect(await stateOf(d.depositId)).toBe('open');
  });
});
