/**
 * Shared recurring transfers in the core against real Postgres: siblings of a fund pay their parents by agreed
 * shares; it starts only when every sibling accepted; each run moves all the shares or nothing.
 */
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import {
  CHAT,
  available,
  fund,
  notificationsOf,
  outbox,
  person,
  press,
  usd,
  auditedCore,
} from '../../test/support/core.js';
import { once, toWire } from '../index.js';
import type { Person } from '../people/index.js';
import { SCHEDULE_WEEKDAYS, type ScheduleSpec } from './grammar.js';
import { splitShares, type ScheduleCreateInput } from './service.js';

const f = auditedCore({}, 6);

const GROUP = { ...CHAT, kind: 'group' as const };
/** Weekly, three days from now: never due during a test unless moved to now. */
const WEEKLY: ScheduleSpec = {
  cadence: { unit: 'weekday', weekday: SCHEDULE_WEEKDAYS[(new Date().getUTCDay() + 6 + 3) % 7] ?? 'mo', interval: 1 },
};

/** A fund of this chat whose members are `siblings` (the first creates it, and adds the others). */
async function familyFund(name: string, siblings: readonly Person[]): Promise<void> {
  const [first, ...others] = siblings;
  if (!first) throw new Error('a fund needs a creator');
  const created = await f.db.transaction((tx) =>
    f.core.funds.create(tx, { key: ref('fund'), creator: first, chat: GROUP, name, currency: 'USD' }),
  );
  if (created.type !== 'created') throw new Error(`no fund: ${created.error}`);
  for (const member of others) {
    const added = await f.db.transaction((tx) =>
      f.core.funds.members(tx, { person: first, chat: GROUP, name, change: { op: 'add', member } }),
    );
    if (added.type !== 'members') throw new Error(`not added: ${added.error}`);
  }
}

function shared(
  typer: Person,
  payee: Person,
  fundName: string,
  payers: ReadonlyArray<readonly [Person, number]>,
  minor = 600_00n,
) {
  const key = ref('tg:every');
  const shares: ScheduleCreateInput['shares'] = {
    fund: fundName,
    payers: payers.map(([p, weight]) => ({ payer: { personId: p.id }, weight })),
  };
  return once(f.db, { key, personId: typer.id, command: 'every' }, async (tx) =>
    toWire(
      await f.core.schedules.create(tx, {
        key,
        payer: typer,
        payee: { personId: payee.id },
        amount: usd(minor),
        note: 'for mum',
        spec: WEEKLY,
        chat: CHAT,
        shares,
      }),
    ),
  ).then((r) => r.outcome);
}

/** Three siblings with weights 1:1:2 and a card for 600.00 to mum. */
async function family(tag: string, money: readonly [bigint, bigint, bigint] = [0n, 0n, 0n]) {
  const ann = await person(f.core, `ann_${tag}`, money[0]);
  const ben = await person(f.core, `ben_${tag}`, money[1]);
  const chen = await person(f.core, `chen_${tag}`, money[2]);
  const mum = await person(f.core, `mum_${tag}`);
  await familyFund(`parents_${tag}`, [ann, ben, chen]);
  const card = await shared(ann, mum, `parents_${tag}`, [
    [ann, 1],
    [ben, 1],
    [chen, 2],
  ]);
  if (card.type !== 'shared') throw new Error(`no shared card: ${JSON.stringify(card)}`);
  const buttonOf = (who: Person) => card.shares.find((s) => s.personId === who.id.toString())?.actionId ?? '';
  return { ann, ben, chen, mum, card, id: BigInt(card.scheduleId), buttonOf };
}

async function acceptAll(fam: Awaited<ReturnType<typeof family>>) {
  for (const who of [fam.ann, fam.ben, fam.chen]) await press(f.core, who, fam.buttonOf(who));
}

const state = async (id: bigint) =>
  String((await f.db.query(`SELECT state FROM schedules WHERE id = $1`, [id])).rows[0]?.state);
const due = (id: bigint) => f.db.query(`UPDATE schedules SET next_at = now() WHERE id = $1`, [id]);
const legsOf = async (id: bigint) =>
  (
    await f.db.query<{ ref: string; amount: string }>(
      `SELECT ref, amount FROM transfers WHERE ref LIKE $1 ORDER BY ref`,
      [`schedule:${id}:%`],
    )
  ).rows.map((r) => [r.ref, BigInt(r.amount)]);

describe('splitting a shared run', () => {
  it('a run split by weights sums exactly: 1:1:2 of 600.00 is 150/150/300', () => {
    expect(splitShares(usd(600_00n), [1, 1, 2]).map((a) => a.minor)).toEqual([150_00n, 150_00n, 300_00n]);
  });

  it('an odd total spreads its remainder one minor unit at a time and still sums exactly', () => {
    const parts = splitShares(usd(100_01n), [1, 1, 2]).map((a) => a.minor);
    expect(parts.reduce((a, b) => a + b, 0n)).toBe(100_01n);
    expect(parts).toEqual([25_00n, 25_00n, 50_01n]);
    const thirds = splitShares(usd(1_00n), [1, 1, 1]).map((a) => a.minor);
    expect(thirds.reduce((a, b) => a + b, 0n)).toBe(1_00n);
    expect([...thirds].sort()).toEqual([33n, 33n, 34n]);
  });
});

describe('shared recurring transfers', () => {
  it('the card shows each share with a button per sibling; it waits until every sibling accepted', async () => {
    const fam = await family('sh1');
    expect(fam.card).toMatchObject({
      type: 'shared',
      fund: 'parents_sh1',
      toName: 'Mum_sh1',
      amount: { minor: '60000', currency: 'USD' },
    });
    expect(fam.card.type === 'shared' && fam.card.shares.map((s) => [s.name, s.weight, s.amount.minor])).toEqual([
      ['Ann_sh1', 1, '15000'],
      ['Ben_sh1', 1, '15000'],
      ['Chen_sh1', 2, '30000'],
    ]);
    expect(new Set([fam.ann, fam.ben, fam.chen].map(fam.buttonOf)).size).toBe(3);

    const first = await press(f.core, fam.ben, fam.buttonOf(fam.ben));
    expect(first).toMatchObject({ kind: 'schedule.accept', outcome: { type: 'accepted', active: false } });
    const [listed] = await f.core.schedules.list(f.db, fam.chen.id);
    expect(listed).toMatchObject({ id: fam.id, state: 'awaiting' });
    expect(listed?.shared?.shares.filter((s) => !s.accepted).map((s) => s.name)).toEqual(['Ann_sh1', 'Chen_sh1']);
    await press(f.core, fam.ann, fam.buttonOf(fam.ann));
    expect(await state(fam.id)).toBe('awaiting');
    expect(await outbox(f.db, `schedule.run:${fam.id}:`)).toEqual([]);

    const last = await press(f.core, fam.chen, fam.buttonOf(fam.chen));
    expect(last).toMatchObject({ kind: 'schedule.accept', outcome: { type: 'accepted', active: true } });
    expect(await state(fam.id)).toBe('active');
    expect((await outbox(f.db, `schedule.run:${fam.id}:`)).map((r) => r.key)).toEqual([`schedule.run:${fam.id}:1`]);
  });

  it('a non-sibling cannot accept, and a sibling’s double tap counts once', async () => {
    const fam = await family('sh2');
    const stranger = await person(f.core, 'stranger_sh2');
    expect(await press(f.core, stranger, fam.buttonOf(fam.ann))).toEqual({ type: 'refused', error: 'NotYours' });
    // Another sibling cannot accept for Ann either.
    expect(await press(f.core, fam.ben, fam.buttonOf(fam.ann))).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, fam.ann, fam.buttonOf(fam.ann))).toMatchObject({ outcome: { type: 'accepted' } });
    expect(await press(f.core, fam.ann, fam.buttonOf(fam.ann))).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    const accepted = await f.db.query(
      `SELECT count(*)::int AS n FROM schedule_shares WHERE schedule_id = $1 AND accepted_at IS NOT NULL`,
      [fam.id],
    );
    expect(accepted.rows[0]?.n).toBe(1);
    expect(await state(fam.id)).toBe('awaiting');
  });

  it('the schedule does not run before everyone accepted', async () => {
    const fam = await family('sh3', [500_00n, 500_00n, 500_00n]);
    await press(f.core, fam.ann, fam.buttonOf(fam.ann));
    await press(f.core, fam.ben, fam.buttonOf(fam.ben));
    expect(await f.core.schedules.run(f.db, fam.id, 1, 1)).toMatchObject({ type: 'noop', reason: 'Resolved' });
    expect(await legsOf(fam.id)).toEqual([]);
    expect(await available(f.core, fam.mum)).toBe(0n);
  });

  it('a sibling paying a share stays a member of the fund until the shared transfer is stopped', async () => {
    const fam = await family('sh9');
    const remove = () =>
      f.db.transaction((tx) =>
        f.core.funds.members(tx, {
          person: fam.ann,
          chat: GROUP,
          name: 'parents_sh9',
          change: { op: 'remove', member: fam.ben },
        }),
      );
    expect(await remove()).toEqual({ type: 'rejected', error: 'SharesRecurring', scheduleId: fam.id });
    const stopped = await f.db.transaction((tx) =>
      f.core.schedules.cancel(tx, { personId: fam.chen.id, scheduleId: fam.id }),
    );
    expect(stopped.type).toBe('cancelled');
    expect(await remove()).toMatchObject({ type: 'members', changed: 'removed', name: fam.ben.displayName });
  });

  it('refuses a payer outside the fund, a typer who pays no share, a payee among the payers, an unknown fund', async () => {
    const ann = await person(f.core, 'ann_sh4');
    const ben = await person(f.core, 'ben_sh4');
    const outsider = await person(f.core, 'out_sh4');
    const mum = await person(f.core, 'mum_sh4');
    await familyFund('parents_sh4', [ann, ben, mum]);
    const err = async (o: Promise<{ type: string; error?: string }>) => (await o).error;
    expect(
      await err(
        shared(ann, mum, 'parents_sh4', [
          [ann, 1],
          [outsider, 1],
        ]),
      ),
    ).toBe('NotAFundMember');
    expect(await err(shared(ann, mum, 'parents_sh4', [[ben, 1]]))).toBe('NotASharer');
    expect(
      await err(
        shared(ann, mum, 'parents_sh4', [
          [ann, 1],
          [mum, 1],
        ]),
      ),
    ).toBe('PayeeIsSharer');
    expect(
      await err(
        shared(ann, mum, 'parents_sh4', [
          [ann, 1],
          [ann, 2],
        ]),
      ),
    ).toBe('DuplicateSharer');
    expect(await err(shared(ann, mum, 'nobody_sh4', [[ann, 1]]))).toBe('UnknownFund');
    expect(await err(shared(ann, mum, 'parents_sh4', [[ann, 0]]))).toBe('InvalidAmount');
  });

  it('three siblings, one short: nothing moves and every sibling is told who is short; next day all have money: paid once', async () => {
    const fam = await family('sh5', [200_00n, 100_00n, 400_00n]);
    await acceptAll(fam);
    await due(fam.id);
    const short = await f.core.schedules.run(f.db, fam.id, 1, 1);
    expect(short).toMatchObject({ type: 'short', n: 1 });
    expect(await legsOf(fam.id)).toEqual([]);
    expect([
      await available(f.core, fam.ann),
      await available(f.core, fam.ben),
      await available(f.core, fam.chen),
    ]).toEqual([200_00n, 100_00n, 400_00n]);
    for (const who of [fam.ann, fam.ben, fam.chen]) {
      const told = (await notificationsOf(f.db, who)).filter((n) => n.template.key === 'schedule.short_shared');
      expect(told.map((n) => n.template.params)).toEqual([
        expect.objectContaining({ amount: '600.00 USD', to: 'Mum_sh5', short: 'Ben_sh5' }),
      ]);
    }
    // The retry is the next day's try, exactly as for a single payer.
    expect((await outbox(f.db, `schedule.run:${fam.id}:1.2`)).map((r) => r.state)).toEqual(['pending']);

    await fund(f.core, fam.ben, 100_00n);
    await due(fam.id);
    const [paid, again] = [
      await f.core.schedules.run(f.db, fam.id, 1, 2),
      await f.core.schedules.run(f.db, fam.id, 1, 2),
    ];
    expect(paid).toMatchObject({ type: 'paid', n: 1 });
    expect(again).toMatchObject({ type: 'noop', reason: 'Resolved' });
    expect(await legsOf(fam.id)).toEqual([
      [`schedule:${fam.id}:1#0`, 150_00n],
      [`schedule:${fam.id}:1#1`, 150_00n],
      [`schedule:${fam.id}:1#2`, 300_00n],
    ]);
    expect(await available(f.core, fam.mum)).toBe(600_00n);
    expect([
      await available(f.core, fam.ann),
      await available(f.core, fam.ben),
      await available(f.core, fam.chen),
    ]).toEqual([50_00n, 50_00n, 100_00n]);
    const toMum = (await notificationsOf(f.db, fam.mum)).map((n) => n.template.params);
    expect(toMum).toEqual([expect.objectContaining({ amount: '600.00 USD', from: 'Ann_sh5, Ben_sh5, Chen_sh5' })]);
    const toChen = (await notificationsOf(f.db, fam.chen)).filter((n) => n.template.key === 'schedule.paid_share');
    expect(toChen.map((n) => n.template.params)).toEqual([expect.objectContaining({ share: '300.00 USD' })]);
    await f.db.transaction((tx) => f.core.schedules.cancel(tx, { personId: fam.ben.id, scheduleId: fam.id }));
  });

  it('the day-before notice goes to each sibling with their share', async () => {
    const fam = await family('sh6');
    await acceptAll(fam);
    expect(await f.core.schedules.notice(f.db, fam.id, 1)).toMatchObject({ type: 'noticed' });
    for (const [who, share] of [
      [fam.ann, '150.00 USD'],
      [fam.ben, '150.00 USD'],
      [fam.chen, '300.00 USD'],
    ] as const) {
      const notices = (await notificationsOf(f.db, who)).filter((n) => n.template.key === 'schedule.notice_shared');
      expect(notices.map((n) => n.template.params)).toEqual([
        expect.objectContaining({ share, amount: '600.00 USD', to: 'Mum_sh6' }),
      ]);
      expect(notices[0]?.template.buttons?.[0]?.[0]?.labelKey).toBe('button.stopReminding');
    }
  });

  it('any sibling can cancel; the others are told who did; someone else cannot', async () => {
    const fam = await family('sh7');
    await acceptAll(fam);
    const cancel = (who: Person) =>
      f.db.transaction((tx) => f.core.schedules.cancel(tx, { personId: who.id, scheduleId: fam.id }));
    expect(await cancel(fam.mum)).toEqual({ type: 'rejected', error: 'NotYourSchedule' });
    expect(await cancel(fam.chen)).toMatchObject({ type: 'cancelled', scheduleId: fam.id });
    expect(await state(fam.id)).toBe('cancelled');
    for (const who of [fam.ann, fam.ben]) {
      const told = (await notificationsOf(f.db, who)).filter((n) => n.template.key === 'schedule.cancelled_shared');
      expect(told.map((n) => n.template.params)).toEqual([expect.objectContaining({ by: 'Chen_sh7', to: 'Mum_sh7' })]);
    }
    const toChen = (await notificationsOf(f.db, fam.chen)).filter(
      (n) => n.template.key === 'schedule.cancelled_shared',
    );
    expect(toChen).toEqual([]);
    expect(await f.core.schedules.run(f.db, fam.id, 1, 1)).toMatchObject({ type: 'noop', reason: 'Resolved' });
  });
});
