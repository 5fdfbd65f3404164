import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  available,
  coreFixture,
  fund,
  notificationsOf,
  person,
  type CoreFixture,
  usd,
} from '../../test/support/core.js';
import { audit, groupButtonId, seenInChats, transact, type Core, type Person, type Someone } from '../index.js';
import type { CollectionSplit, CollectOutcome, CollectPayOutcome } from './model.js';
import { planShares } from './plan.js';

let f: CoreFixture;
beforeAll(async () => {
  f = await coreFixture({}, 10);
});
afterAll(async () => {
  expect((await audit(f.db)).ok).toBe(true);
  await f.t.drop();
});

const group = () => ({
  platform: 'telegram' as const,
  chatId: `-100${Math.floor(Math.random() * 1e12)}`,
  kind: 'group' as const,
});
type Chat = ReturnType<typeof group>;
const key = () => `test:${randomUUID()}`;
const byId = (p: Person): Someone => ({ personId: p.id });

async function collect(
  collector: Person,
  chat: Chat,
  split: CollectionSplit,
  debtors: Person[] = [],
  extra: { reason?: string; fund?: string } = {},
): Promise<Extract<CollectOutcome, { type: 'collecting' }>> {
  const outcome = await collectOutcome(collector, chat, split, debtors, extra);
  if (outcome.type !== 'collecting') throw new Error(`not collecting: ${outcome.error}`);
  return outcome;
}

const collectOutcome = (
  collector: Person,
  chat: Chat,
  split: CollectionSplit,
  debtors: Person[] = [],
  extra: { reason?: string; fund?: string } = {},
) =>
  f.db.transaction((tx) =>
    f.core.collections.create(tx, {
      key: key(),
      collector,
      chat,
      reason: extra.reason ?? 'class dues',
      split,
      debtors: debtors.map(byId),
      ...(extra.fund ? { fund: extra.fund } : {}),
    }),
  );

/** A tap on the card's Pay button, as the command layer delivers it. */
async function tapPay(core: Core, who: Person, chat: Chat, actionId: string) {
  const outcome = await transact(f.db, (tx) =>
    core.press(tx, { actionId: groupButtonId(actionId), person: who, platform: chat.platform, chatId: chat.chatId }),
  );
  if (outcome.type !== 'group') throw new Error(`not a group press: ${outcome.type}`);
  return outcome;
}

const paidOutcome = (o: Awaited<ReturnType<typeof tapPay>>) => o.outcome as CollectPayOutcome | undefined;

async function members(chat: Chat, count: number, minor = 100_00n, prefix = 'm'): Promise<Person[]> {
  const people: Person[] = [];
  for (let i = 0; i < count; i++) {
    const p = await person(f.core, `${prefix}${i}_${Math.floor(Math.random() * 1e6)}`, minor);
    await seenInChats(f.db, [{ platform: chat.platform, chatId: chat.chatId, personId: p.id }]);
    people.push(p);
  }
  return people;
}

/** Runs the 24 h reminder as if its time had come. */
async function runReminder(collectionId: bigint) {
  await f.db.query(`UPDATE collections SET next_remind_at = now() - interval '1 second' WHERE id = $1`, [collectionId]);
  return f.core.collections.remindDue(f.db, collectionId);
}

const remindersTo = async (p: Person, collectionId: bigint) =>
  (await notificationsOf(f.db, p)).filter(
    (n) => n.template.key === 'collect.reminder' && n.key.startsWith(`notify:collect:${collectionId}:`),
  );

describe('planning shares', () => {
  it('a bill of 60.00 among the collector and two people: each owes 20.00', () => {
    expect(planShares({ mode: 'bill', amount: usd(60_00n) }, 2)).toEqual({
      shares: [usd(20_00n), usd(20_00n)],
      collectorShare: usd(20_00n),
    });
  });

  it('10.00 among three: the collector takes the extra cent, the others owe 3.33, and the total is exact', () => {
    const plan = planShares({ mode: 'bill', amount: usd(10_00n) }, 2);
    expect(plan).toEqual({ shares: [usd(3_33n), usd(3_33n)], collectorShare: usd(3_34n) });
    // Split among the debtors only (`total`): the first named get the extra units.
    expect(planShares({ mode: 'total', amount: usd(10_00n) }, 3)).toEqual({
      shares: [usd(3_34n), usd(3_33n), usd(3_33n)],
      collectorShare: null,
    });
    expect(planShares({ mode: 'total', amount: usd(11n) }, 3)).toEqual({
      shares: [usd(4n), usd(4n), usd(3n)],
      collectorShare: null,
    });
  });

  it('refuses shares below one minor unit, and nobody to collect from', () => {
    expect(planShares({ mode: 'total', amount: usd(2n) }, 3)).toBe('ShareTooSmall');
    expect(planShares({ mode: 'each', amount: usd(1n) }, 0)).toBe('NoDebtors');
  });
});

describe('a collection in a group', () => {
  it('30 members, 20 pay at once: the roster is exact, only the 10 unpaid are reminded, none after close', async () => {
    const chat = group();
    const collector = await person(f.core, 'teacher', 0n);
    await seenInChats(f.db, [{ ...chat, personId: collector.id }]);
    const everyone = await members(chat, 30);
    const started = await collect(collector, chat, { mode: 'each', amount: usd(10_00n) });
    expect(started.debtors.map((d) => d.personId)).toEqual(everyone.map((p) => p.id));
    expect(started.expected).toEqual(usd(300_00n));
    const id = started.collection.id;

    const payers = everyone.slice(0, 20);
    const taps = await Promise.all(payers.map((p) => tapPay(f.core, p, chat, started.collection.payAction)));
    expect(taps.map((t) => paidOutcome(t)?.type)).toEqual(payers.map(() => 'paid'));

    const now = await f.core.collections.get(f.db, id);
    expect(now?.debtors.filter((d) => d.state === 'paid').map((d) => d.personId)).toEqual(payers.map((p) => p.id));
    expect(now?.debtors.filter((d) => d.state === 'unpaid')).toHaveLength(10);
    expect(await available(f.core, collector)).toBe(200_00n);
    for (const p of payers) expect(await available(f.core, p)).toBe(90_00n);

    // The card shows the roster as it stands: 20 paid, collected 200.00 of 300.00.
    const card = await f.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [`collection:${id}`]);
    const params = (card.rows[0]?.view as { template: { params: Record<string, string> } }).template.params;
    expect(params.paid).toBe('20');
    expect(params.collected).toBe('200.00 USD');
    expect(params.roster?.split('\n').filter((l) => l.startsWith('✓'))).toHaveLength(20);

    const run = await runReminder(id);
    expect(run).toMatchObject({ type: 'reminded', count: 10 });
    for (const p of payers) expect(await remindersTo(p, id)).toEqual([]);
    for (const p of everyone.slice(20)) {
      const [reminder] = await remindersTo(p, id);
      expect(reminder?.template.params).toMatchObject({ amount: '10.00 USD', what: 'class dues' });
      // A Pay button in the reminder pays from the private chat.
      expect(reminder?.template.buttons?.flat().map((b) => b.labelKey)).toEqual(['button.pay', 'button.stopReminding']);
    }

    // A reminder's own Pay button pays.
    const late = everyone[25]!;
    const [lateReminder] = await remindersTo(late, id);
    const payButton = lateReminder?.template.buttons?.[0]?.[0]?.actionId ?? '';
    const paidFromDm = await f.db.transaction((tx) =>
      f.core.press(tx, { actionId: payButton, person: late, platform: 'telegram', chatId: late.id.toString() }),
    );
    expect(paidFromDm).toMatchObject({ type: 'done', kind: 'collect.confirm', outcome: { type: 'paid' } });

    // The collector closes it: no more reminders, no more payments.
    const close = await transact(f.db, (tx) =>
      f.core.press(tx, {
        actionId: groupButtonId(started.collection.closeAction),
        person: collector,
        platform: chat.platform,
        chatId: chat.chatId,
      }),
    );
    expect(close).toMatchObject({ type: 'group', outcome: { type: 'closed', collected: usd(210_00n) } });
    expect(await runReminder(id)).toMatchObject({ type: 'noop', reason: 'Resolved' });
    for (const p of everyone.slice(20)) expect(await remindersTo(p, id)).toHaveLength(1);
    const after = await tapPay(f.core, everyone[29]!, chat, started.collection.payAction);
    expect(after.result).toMatchObject({ ok: false, error: 'Closed' });
    expect(await available(f.core, everyone[29]!)).toBe(100_00n);
  });

  it('an excused person is not reminded and owes nothing; excusing the last one completes it', async () => {
    const chat = group();
    const collector = await person(f.core, 'coach', 0n);
    const [ann, ben] = await members(chat, 2, 100_00n, 'ex');
    const started = await collect(collector, chat, { mode: 'each', amount: usd(5_00n) }, [ann!, ben!]);
    const id = started.collection.id;
    const excuse = (who: Person, by = collector) =>
      f.db.transaction((tx) => f.core.collections.excuse(tx, { collector: by, chat, who: byId(who) }));
    expect(await excuse(ann!, ben)).toEqual({ type: 'rejected', error: 'UnknownCollection' });
    expect(await excuse(ann!)).toMatchObject({ type: 'excused', name: ann!.displayName, complete: false });
    expect(await excuse(ann!)).toEqual({ type: 'rejected', error: 'AlreadyExcused' });
    const tap = await tapPay(f.core, ann!, chat, started.collection.payAction);
    expect(tap.result).toMatchObject({ ok: false, error: 'NotEligible' });

    expect(await runReminder(id)).toMatchObject({ type: 'reminded', count: 1 });
    expect(await remindersTo(ann!, id)).toEqual([]);
    expect(await remindersTo(ben!, id)).toHaveLength(1);

    expect(await excuse(ben!)).toMatchObject({ type: 'excused', complete: true });
    expect((await f.core.collections.get(f.db, id))?.collection.state).toBe('complete');
    expect((await notificationsOf(f.db, collector)).map((n) => n.template.key)).toContain('collect.complete');
    expect(await runReminder(id)).toMatchObject({ type: 'noop', reason: 'Resolved' });
  });

  it('a share is never paid twice: a second tap, concurrent taps, a confirmation after paying', async () => {
    const chat = group();
    const collector = await person(f.core, 'host', 0n);
    const [ann] = await members(chat, 1, 100_00n, 'twice');
    const started = await collect(collector, chat, { mode: 'each', amount: usd(15_00n) }, [ann!]);
    const taps = await Promise.all(
      Array.from({ length: 5 }, () => tapPay(f.core, ann!, chat, started.collection.payAction)),
    );
    expect(taps.filter((t) => paidOutcome(t)?.type === 'paid')).toHaveLength(1);
    expect(taps.filter((t) => !t.result.ok).map((t) => !t.result.ok && t.result.error)).toEqual(
      Array.from({ length: 4 }, () => 'AlreadyPressed'),
    );
    expect(await f.db.transaction((tx) => f.core.collections.pay(tx, started.collection.id, ann!.id))).toEqual({
      type: 'rejected',
      error: 'AlreadyPaid',
    });
    expect(await available(f.core, ann!)).toBe(85_00n);
    expect(await available(f.core, collector)).toBe(15_00n);
    const transfers = await f.db.query(`SELECT count(*)::int AS n FROM transfers WHERE ref LIKE $1`, [
      `collect:${started.collection.id}:%`,
    ]);
    expect(transfers.rows[0]?.n).toBe(1);
  });

  it('short of money: refused kindly, nothing moves, and the same button works after a top-up', async () => {
    const chat = group();
    const collector = await person(f.core, 'treasurer', 0n);
    const [poor] = await members(chat, 1, 3_00n, 'poor');
    const started = await collect(collector, chat, { mode: 'each', amount: usd(10_00n) }, [poor!]);
    const first = await tapPay(f.core, poor!, chat, started.collection.payAction);
    expect(paidOutcome(first)).toEqual({ type: 'rejected', error: 'InsufficientFunds' });
    expect(await available(f.core, poor!)).toBe(3_00n);
    await fund(f.core, poor!, 20_00n);
    const second = await tapPay(f.core, poor!, chat, started.collection.payAction);
    expect(paidOutcome(second)).toMatchObject({ type: 'paid', complete: true });
    expect(await available(f.core, poor!)).toBe(13_00n);
  });

  it('above the payer’s threshold a tap asks to confirm first; the confirmation pays', async () => {
    const chat = group();
    const collector = await person(f.core, 'organiser', 0n);
    const [ann] = await members(chat, 1, 100_00n, 'big');
    const started = await collect(collector, chat, { mode: 'each', amount: usd(50_00n) }, [ann!]);
    const tap = await tapPay(f.core, ann!, chat, started.collection.payAction);
    const asked = paidOutcome(tap);
    if (asked?.type !== 'confirm') throw new Error(`expected a confirmation, got ${asked?.type}`);
    expect(await available(f.core, ann!)).toBe(100_00n);
    // Someone else cannot confirm it.
    const other = await person(f.core, 'other', 100_00n);
    expect(
      await f.db.transaction((tx) =>
        f.core.press(tx, { actionId: asked.actionId, person: other, platform: 'telegram', chatId: 'x' }),
      ),
    ).toEqual({ type: 'refused', error: 'NotYours' });
    const confirmed = await f.db.transaction((tx) =>
      f.core.press(tx, { actionId: asked.actionId, person: ann!, platform: 'telegram', chatId: ann!.id.toString() }),
    );
    expect(confirmed).toMatchObject({ type: 'done', outcome: { type: 'paid', amount: usd(50_00n) } });
    expect(await available(f.core, collector)).toBe(50_00n);
  });

  it('into a fund: each payment is a contribution to the fund, as /fund add', async () => {
    const chat = group();
    const collector = await person(f.core, 'monitor', 0n);
    const created = await f.db.transaction((tx) =>
      f.core.funds.create(tx, { key: key(), creator: collector, chat, name: 'class', currency: 'USD' }),
    );
    expect(created.type).toBe('created');
    const [ann, ben] = await members(chat, 2, 100_00n, 'dues');
    const started = await collect(collector, chat, { mode: 'each', amount: usd(12_00n) }, [ann!, ben!], {
      fund: 'class',
    });
    expect(started.collection.fund).toBe('class');
    for (const p of [ann!, ben!])
      expect(paidOutcome(await tapPay(f.core, p, chat, started.collection.payAction))).toMatchObject({
        type: 'paid',
        fund: 'class',
      });
    const view = await f.core.funds.show(f.db, chat, 'class');
    expect(view?.balance).toEqual(usd(24_00n));
    expect(view?.members.map((m) => [m.displayName, m.role])).toEqual([
      [collector.displayName, 'creator'],
      [ann!.displayName, 'contributor'],
      [ben!.displayName, 'contributor'],
    ]);
    expect(view?.movements.map((m) => [m.direction, m.amount.minor, m.note])).toEqual([
      ['in', 12_00n, 'class dues'],
      ['in', 12_00n, 'class dues'],
    ]);
    expect(await available(f.core, collector)).toBe(0n);
    const transfers = await f.db.query(`SELECT kind FROM transfers WHERE ref LIKE $1`, [
      `collect:${started.collection.id}:%`,
    ]);
    expect(transfers.rows.map((r) => r.kind)).toEqual(['fund.add', 'fund.add']);

    expect(
      await collectOutcome(collector, chat, { mode: 'each', amount: usd(1_00n) }, [ann!], { fund: 'nope' }),
    ).toEqual({ type: 'rejected', error: 'UnknownFund' });
    expect(
      await collectOutcome(collector, chat, { mode: 'each', amount: { minor: 1_00n, currency: 'EUR' } }, [ann!], {
        fund: 'class',
      }),
    ).toEqual({ type: 'rejected', error: 'CurrencyMismatch' });
  });
});

describe('a split bill', () => {
  it('60.00 among the collector and two people: the two owe 20.00 each', async () => {
    const chat = group();
    const host = await person(f.core, 'payer', 0n);
    const [ann, ben] = await members(chat, 2, 100_00n, 'din');
    const started = await collect(host, chat, { mode: 'bill', amount: usd(60_00n) }, [ann!, ben!], {
      reason: 'dinner',
    });
    expect(started.collection.kind).toBe('split');
    expect(started.collection.collectorShare).toBe(20_00n);
    expect(started.debtors.map((d) => [d.personId, d.amount.minor])).toEqual([
      [ann!.id, 20_00n],
      [ben!.id, 20_00n],
    ]);
    expect(started.expected).toEqual(usd(40_00n));
  });

  it('10.00 among three: 3.34 for the collector, 3.33 each for the others, the total exact', async () => {
    const chat = group();
    const host = await person(f.core, 'payer2', 0n);
    const [ann, ben] = await members(chat, 2, 100_00n, 'cafe');
    // Naming yourself too changes nothing: the collector always has a share of a split and is never collected from.
    const started = await collect(host, chat, { mode: 'bill', amount: usd(10_00n) }, [ann!, host, ben!]);
    const shares = started.debtors.map((d) => d.amount.minor);
    expect(shares).toEqual([3_33n, 3_33n]);
    expect(started.collection.collectorShare).toBe(3_34n);
    expect(shares.reduce((a, b) => a + b, 0n) + (started.collection.collectorShare ?? 0n)).toBe(10_00n);
  });

  it('per-person amounts, and the refusals', async () => {
    const chat = group();
    const host = await person(f.core, 'payer3', 0n);
    const [ann, ben] = await members(chat, 2, 100_00n, 'pp');
    const started = await collect(host, chat, { mode: 'perPerson', amounts: [usd(30_00n), usd(20_00n)] }, [ann!, ben!]);
    expect(started.debtors.map((d) => d.amount.minor)).toEqual([30_00n, 20_00n]);
    expect(started.expected).toEqual(usd(50_00n));
    expect(
      await collectOutcome(host, chat, { mode: 'perPerson', amounts: [usd(1_00n), usd(2_00n)] }, [ann!, ann!]),
    ).toEqual({ type: 'rejected', error: 'DuplicateDebtor' });
    expect(await collectOutcome(host, chat, { mode: 'each', amount: usd(1_00n) }, [host])).toEqual({
      type: 'rejected',
      error: 'NoDebtors',
    });
    expect(await collectOutcome(host, chat, { mode: 'total', amount: usd(1n) }, [ann!, ben!])).toEqual({
      type: 'rejected',
      error: 'ShareTooSmall',
    });
    expect(
      await collectOutcome(host, { ...chat, kind: 'private' as never }, { mode: 'each', amount: usd(1_00n) }, [ann!]),
    ).toEqual({ type: 'rejected', error: 'NotInGroup' });
    const nobody = group();
    expect(await collectOutcome(host, nobody, { mode: 'each', amount: usd(1_00n) })).toEqual({
      type: 'rejected',
      error: 'NoDebtors',
    });
  });
});
