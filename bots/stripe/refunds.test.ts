/** Refunds and disputes of card deposits against real Postgres and the fake Stripe, through the signed webhook. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, notificationsOf } from '../../test/support/core.js';
import { spend, stripeFixture, deposited, someone, type StripeFixture } from '../../test/support/stripe/fixture.js';
import { pay, sessionOf } from '../../test/support/stripe/checkout.js';
import { chargeOfSession, closeDispute, dispute, refund } from '../../test/support/stripe/reconcile.js';
import { owedBy } from '../../core/cashier/receivable.js';
import { walletOwner } from '../../core/people/model.js';

let f: StripeFixture;
beforeAll(async () => {
  f = await stripeFixture();
});
afterAll(async () => {
  await f.close();
});

const deliver = async (...events: Parameters<StripeFixture['fake']['deliver']>[0][]) => {
  for (const event of events) expect(await f.fake.deliver(event)).toBe(200);
  await f.drain();
};

const transfersOf = async (kind: string, personId: bigint) =>
  (
    await f.db.query(
      `SELECT t.amount, a.owner FROM transfers t JOIN accounts a ON a.id = t.debit_account
        WHERE t.kind = $1 AND a.owner IN ($2, $3) ORDER BY t.id`,
      [kind, walletOwner(personId), `receivable:${personId}`],
    )
  ).rows.map((r) => ({ amount: BigInt(String(r.amount)), owner: String(r.owner) }));

describe('refunds of card deposits', () => {
  it('a refund after the money was spent: the wallet gives what it has, the rest is owed (never negative)', async () => {
    const ann = await someone(f.core, 'ann');
    const session = await deposited(f, ann, 20_00n);
    expect(await available(f.core, ann)).toBe(20_00n);
    await spend(f, ann, 15_00n);

    await deliver(refund(f.fake, session).event);

    expect(await available(f.core, ann)).toBe(0n);
    expect(await owedBy(f.db, ann.id)).toEqual([{ minor: 15_00n, currency: 'USD' }]);
    expect(await transfersOf('refund', ann.id)).toEqual([
      { amount: 5_00n, owner: walletOwner(ann.id) },
      { amount: 15_00n, owner: `receivable:${ann.id}` },
    ]);
    const notices = (await notificationsOf(f.db, ann)).filter((n) => n.template.key.startsWith('refund.'));
    expect(notices.map((n) => [n.template.key, n.template.params])).toEqual([
      ['refund.owed', { amount: '20.00 USD', taken: '5.00 USD', owed: '15.00 USD' }],
    ]);
  });

  it('a refund redelivered, replayed and followed by a cumulative one debits each refund once', async () => {
    const ben = await someone(f.core, 'ben');
    const session = await deposited(f, ben, 30_00n);
    const first = refund(f.fake, session, 10_00).event;
    await Promise.all([1, 2, 3, 4, 5].map(() => f.fake.deliver(first)));
    await f.drain(5);
    expect(await available(f.core, ben)).toBe(20_00n);

    // The second refund's event shows amount_refunded 25.00 (cumulative): only its own 15.00 is new.
    const second = refund(f.fake, session, 15_00).event;
    expect((second.data.object as unknown as { amount_refunded: number }).amount_refunded).toBe(25_00);
    await Promise.all([first, second, second, first].map((e) => f.fake.deliver(e)));
    await f.drain(4);
    // The same event stored again as if new (our own replay of the handler) finds both refunds taken.
    const replay = await f.db.transaction((tx) => f.core.cashier.process(tx, second.id));
    expect(replay).toEqual({ type: 'noop', reason: 'AlreadyProcessed' });
    // A new event about the same charge (another id, the same refunds) runs the handler again: nothing new to take.
    const again = f.fake.event('charge.refunded', chargeOfSession(f.fake, session));
    expect(await f.fake.deliver(again)).toBe(200);
    await f.drain();
    const note = await f.db.query(`SELECT last_error AS outcome FROM inbox WHERE key = $1`, [`stripe:${again.id}`]);
    expect(note.rows[0]?.outcome).toBe('AlreadyTakenBack');

    expect(await available(f.core, ben)).toBe(5_00n);
    expect(await owedBy(f.db, ben.id)).toEqual([]);
    expect((await transfersOf('refund', ben.id)).map((t) => t.amount)).toEqual([10_00n, 15_00n]);
    const keys = (await notificationsOf(f.db, ben)).map((n) => n.template.key).filter((k) => k.startsWith('refund'));
    expect(keys).toEqual(['refund.taken', 'refund.taken']);
  });

  it('a refund that arrives before the payment event credits the deposit first, then takes it back', async () => {
    const cy = await someone(f.core, 'cy');
    const { openDeposit } = await import('../../test/support/stripe/fixture.js');
    const session = await openDeposit(f, cy, 12_00n);
    const paid = pay(f.fake, session);
    await deliver(refund(f.fake, session).event);
    expect(await available(f.core, cy)).toBe(0n);
    expect((await transfersOf('refund', cy.id)).map((t) => t.amount)).toEqual([12_00n]);
    await deliver(paid);
    expect(await available(f.core, cy)).toBe(0n);
  });

  it('a refund of a charge that is no deposit of ours is a dead letter, and nothing is debited', async () => {
    const before = await f.db.query(`SELECT count(*)::int AS n FROM transfers`);
    const stranger = {
      id: 'ch_stranger000000000000001',
      object: 'charge',
      amount: 5_00,
      amount_refunded: 5_00,
      currency: 'usd',
      payment_intent: 'pi_stranger0000000000001',
      metadata: {},
    };
    f.fake.objects.set(stranger.id, stranger);
    const event = f.fake.event('charge.refunded', stranger);
    expect(await f.fake.deliver(event)).toBe(200);
    await f.drain();
    const row = await f.db.query(`SELECT state FROM outbox WHERE key = $1`, [`stripe.event:${event.id}`]);
    expect(row.rows[0]?.state).toBe('dead');
    const after = await f.db.query(`SELECT count(*)::int AS n FROM transfers`);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});

describe('disputes of card deposits', () => {
  it('a dispute takes the amount back once; won, it is given back (the receivable first)', async () => {
    const dee = await someone(f.core, 'dee');
    const session = await deposited(f, dee, 40_00n);
    await spend(f, dee, 30_00n);
    const opened = dispute(f.fake, session);
    await deliver(opened.event, opened.event);
    expect(await available(f.core, dee)).toBe(0n);
    expect(await owedBy(f.db, dee.id)).toEqual([{ minor: 30_00n, currency: 'USD' }]);
    const notices = (await notificationsOf(f.db, dee)).map((n) => n.template.key);
    expect(notices.filter((k) => k.startsWith('dispute'))).toEqual(['dispute.owed']);

    const won = closeDispute(f.fake, opened.dispute.id, 'won');
    await deliver(won, won);
    expect(await owedBy(f.db, dee.id)).toEqual([]);
    expect(await available(f.core, dee)).toBe(10_00n);
    expect(chargeOfSession(f.fake, session).disputed).toBe(true);
    const keys = (await notificationsOf(f.db, dee)).map((n) => n.template.key).filter((k) => k.startsWith('dispute'));
    expect(keys).toEqual(['dispute.owed', 'dispute.won']);
  });

  it('a dispute won before its created event is processed takes nothing (the dispute is re-read)', async () => {
    const gus = await someone(f.core, 'gus');
    const session = await deposited(f, gus, 10_00n);
    const opened = dispute(f.fake, session);
    const won = closeDispute(f.fake, opened.dispute.id, 'won');
    await deliver(won, opened.event, won);
    expect(await available(f.core, gus)).toBe(10_00n);
    expect(await transfersOf('dispute', gus.id)).toEqual([]);
  });

  it('a lost dispute leaves the money taken', async () => {
    const eve = await someone(f.core, 'eve');
    const session = await deposited(f, eve, 10_00n);
    const opened = dispute(f.fake, session);
    await deliver(opened.event, closeDispute(f.fake, opened.dispute.id, 'lost'));
    expect(await available(f.core, eve)).toBe(0n);
    expect(await owedBy(f.db, eve.id)).toEqual([]);
  });
});

describe('the receivable', () => {
  it('a later deposit covers what is owed first, in the credit transaction', async () => {
    const fay = await someone(f.core, 'fay');
    const first = await deposited(f, fay, 20_00n);
    await spend(f, fay, 20_00n);
    await deliver(refund(f.fake, first).event);
    expect(await owedBy(f.db, fay.id)).toEqual([{ minor: 20_00n, currency: 'USD' }]);

    // 15.00 arrives: all of it pays the debt.
    await deposited(f, fay, 15_00n);
    expect(await owedBy(f.db, fay.id)).toEqual([{ minor: 5_00n, currency: 'USD' }]);
    expect(await available(f.core, fay)).toBe(0n);
    // 25.00 more: 5.00 settles the rest, 20.00 stays.
    const third = await deposited(f, fay, 25_00n);
    expect(await owedBy(f.db, fay.id)).toEqual([]);
    expect(await available(f.core, fay)).toBe(20_00n);
    expect(sessionOf(f.fake, third).payment_status).toBe('paid');
    const covered = (await notificationsOf(f.db, fay)).filter((n) => n.template.key === 'receivable.covered');
    expect(covered.map((n) => n.template.params)).toEqual([
      { amount: '15.00 USD', owed: '5.00 USD' },
      { amount: '5.00 USD', owed: '0.00 USD' },
    ]);
  });
});
