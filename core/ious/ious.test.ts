import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import {
  actor,
  available,
  CHAT,
  coreWith,
  fund,
  notificationsOf,
  outbox,
  person,
  press,
  sleep,
  touch,
  usd,
  auditedCore,
} from '../../test/support/core.js';
import { once, toWire, type Core } from '../index.js';
import { iouReminderTimes } from '../reminders/policy.js';
import { zonedParts } from '../time/zoned.js';
import type { Person } from '../people/index.js';
import type { Day, IouInput } from './index.js';

const f = auditedCore({}, 12);

const DAY = 86_400_000;

/** The day `days` from today in UTC. */
function inDays(days: number): Day {
  const p = zonedParts(new Date(Date.now() + days * DAY), 'UTC');
  return { year: p.year, month: p.month, day: p.day };
}

async function offer(lender: Person, borrower: Person, extra: Partial<IouInput> = {}, core: Core = f.core) {
  const key = ref('tg:iou');
  const o = await once(core.db, { key, personId: lender.id, command: 'iou' }, async (tx) =>
    toWire(
      await core.ious.offer(tx, {
        key,
        lender,
        borrower: { personId: borrower.id },
        amount: usd(50_00n),
        due: inDays(10),
        timeZone: 'UTC',
        chat: CHAT,
        ...extra,
      }),
    ),
  ).then((r) => r.outcome);
  if (o.type !== 'offered') throw new Error(`expected an offer, got ${JSON.stringify(o)}`);
  return o;
}

/** An IOU offered and confirmed. */
async function lent(lender: Person, borrower: Person, extra: Partial<IouInput> = {}) {
  const o = await offer(lender, borrower, extra);
  expect(await press(f.core, borrower, o.confirmActionId)).toMatchObject({ outcome: { type: 'confirmed' } });
  return o;
}

function repay(borrower: Person, lender: Person, minor: bigint, key = ref('tg:repay')) {
  return once(f.db, { key, personId: borrower.id, command: 'repay' }, async (tx) =>
    toWire(
      await f.core.ious.repay(tx, {
        key,
        borrower,
        lender: { personId: lender.id },
        amount: usd(minor),
        chat: CHAT,
      }),
    ),
  ).then((r) => r.outcome);
}

const iouRow = async (id: string) =>
  (await f.db.query(`SELECT state, repaid, forgiven, result, remind_key FROM ious WHERE id = $1`, [id])).rows[0];
const events = async (id: string) =>
  (await f.db.query(`SELECT kind FROM iou_events WHERE iou_id = $1 ORDER BY id`, [id])).rows.map((r) => r.kind);

/** Moves an IOU's times back by `ms`, as if that much time had passed. */
const travel = (id: string, ms: number) =>
  f.db.query(
    `UPDATE ious SET due_at = due_at - $2 * interval '1 millisecond', late_after = late_after - $2 * interval '1 millisecond',
            confirmed_at = confirmed_at - $2 * interval '1 millisecond', reminded_at = reminded_at - $2 * interval '1 millisecond'
      WHERE id = $1`,
    [id, ms],
  );
const dueAtOf = async (id: string) =>
  new Date(String((await f.db.query(`SELECT due_at FROM ious WHERE id = $1`, [id])).rows[0]?.due_at));
/** The reminder the IOU waits for (earlier rows stay pending here: the tests run the handler themselves). */
const pendingReminders = async (id: string) => {
  const key = (await iouRow(id))?.remind_key;
  return (await outbox(f.db, `iou.remind:${id}:`)).filter((r) => r.key === key && r.state === 'pending');
};

describe('IOUs: the borrower’s consent', () => {
  it('an unconfirmed IOU moves nothing and is void at its TTL; the lender is told', async () => {
    const short = coreWith(f.db, { iouConfirmTtlMs: 300 });
    const ann = await person(f.core, 'ann_iou1', 100_00n);
    const ben = await person(f.core, 'ben_iou1');
    const o = await offer(ann, ben, {}, short);
    expect(o).toMatchObject({ borrowerName: 'Ben_iou1', amount: { minor: '5000' }, mode: 'lend' });
    const [asked] = await notificationsOf(f.db, ben);
    expect(asked?.template).toMatchObject({
      key: 'iou.offered',
      params: { amount: '50.00 USD', from: 'Ann_iou1', due: o.dueOn },
      buttons: [[{ labelKey: 'button.confirm', actionId: o.confirmActionId }]],
    });
    expect(await available(f.core, ann)).toBe(100_00n);
    const [voidJob] = await outbox(f.db, `iou.void:${o.iouId}:`);
    expect(voidJob?.kind).toBe('iou.void');

    // Before the TTL the void job does nothing; after it the offer is void and the button refuses.
    expect(await short.ious.voidOffer(f.db, BigInt(o.iouId))).toMatchObject({ type: 'noop', reason: 'NotDue' });
    await sleep(400);
    await short.timed['iou.void'](f.db, { iouId: o.iouId }, { key: `iou.void:${o.iouId}:1`, dueAt: new Date() });
    expect((await iouRow(o.iouId))?.state).toBe('void');
    expect(await press(f.core, ben, o.confirmActionId)).toMatchObject({ type: 'refused', error: 'Expired' });
    expect(await available(f.core, ann)).toBe(100_00n);
    expect(await available(f.core, ben)).toBe(0n);
    expect((await notificationsOf(f.db, ann)).map((n) => n.template.key)).toContain('iou.voided');
    expect(await events(o.iouId)).toEqual(['offered', 'voided']);
  });

  it('a confirmation pressed twice or redelivered moves the money once', async () => {
    const ann = await person(f.core, 'ann_iou2', 100_00n);
    const ben = await person(f.core, 'ben_iou2');
    const o = await offer(ann, ben);
    const key = ref('tgcb');
    const [first, again] = await Promise.all([
      press(f.core, ben, o.confirmActionId, CHAT, key),
      press(f.core, ben, o.confirmActionId, CHAT, ref('tgcb')),
    ]);
    const outcomes = [first, again].map((p) =>
      p.type === 'done' ? p.outcome.type : p.type === 'refused' ? p.error : p.type,
    );
    expect(outcomes.sort()).toEqual(['AlreadyUsed', 'confirmed']);
    // The same delivery again replays its recorded outcome.
    expect(await press(f.core, ben, o.confirmActionId, CHAT, key)).toEqual(first);
    expect(await available(f.core, ann)).toBe(50_00n);
    expect(await available(f.core, ben)).toBe(50_00n);
    expect((await iouRow(o.iouId))?.state).toBe('open');
    expect((await notificationsOf(f.db, ann)).map((n) => n.template.key)).toEqual(['iou.confirmed']);
  });

  it('a lender short of money at confirmation is told; nothing opens until they top up', async () => {
    const ann = await person(f.core, 'ann_iou3', 10_00n);
    const ben = await person(f.core, 'ben_iou3');
    const o = await offer(ann, ben);
    expect(await press(f.core, ben, o.confirmActionId)).toMatchObject({
      outcome: { type: 'rejected', error: 'LenderShort' },
    });
    expect((await iouRow(o.iouId))?.state).toBe('offered');
    expect((await notificationsOf(f.db, ann)).map((n) => n.template.key)).toEqual(['iou.lender_short']);
    await fund(f.core, ann, 40_00n);
    expect(await press(f.core, ben, o.confirmActionId)).toMatchObject({ outcome: { type: 'confirmed' } });
    expect(await available(f.core, ben)).toBe(50_00n);
  });

  it('a recorded IOU (money given outside chipin) moves nothing but is owed once confirmed', async () => {
    const ann = await person(f.core, 'ann_iou4');
    const ben = await person(f.core, 'ben_iou4');
    const o = await lent(ann, ben, { record: true });
    expect(o.mode).toBe('record');
    expect(await available(f.core, ann)).toBe(0n);
    expect(await f.core.ious.list(f.db, ben.id)).toMatchObject([
      { direction: 'owe', name: 'Ann_iou4', total: { minor: 50_00n } },
    ]);
  });

  it('refuses lending to yourself and a due date before today', async () => {
    const ann = await person(f.core, 'ann_iou5', 10_00n);
    const key = ref('tg:iou');
    const base = { key, lender: ann, amount: usd(5_00n), timeZone: 'UTC', chat: CHAT };
    const self = await f.db.transaction((tx) =>
      f.core.ious.offer(tx, { ...base, borrower: { personId: ann.id }, due: inDays(3) }),
    );
    expect(self).toEqual({ type: 'rejected', error: 'SelfIou' });
    const ben = await person(f.core, 'ben_iou5');
    const past = await f.db.transaction((tx) =>
      f.core.ious.offer(tx, { ...base, borrower: { personId: ben.id }, due: inDays(-1) }),
    );
    expect(past).toEqual({ type: 'rejected', error: 'DueInPast' });
  });
});

describe('IOUs: repaying', () => {
  it('partial repayments go to the oldest open IOU first, then the next; more than owed is refused', async () => {
    const ann = await person(f.core, 'ann_rp1', 200_00n);
    const ben = await person(f.core, 'ben_rp1', 100_00n);
    const first = await lent(ann, ben, { amount: usd(30_00n) });
    const second = await lent(ann, ben, { amount: usd(20_00n) });
    expect(await repay(ben, ann, 60_00n)).toEqual({
      type: 'rejected',
      error: 'Overpayment',
      owed: { minor: '5000', currency: 'USD' },
      lenderName: 'Ann_rp1',
    });
    const part = await repay(ben, ann, 40_00n);
    expect(part).toMatchObject({
      type: 'repaid',
      amount: { minor: '4000' },
      outstanding: { minor: '1000' },
      applied: [
        { iouId: first.iouId, amount: { minor: '3000' }, closed: true },
        { iouId: second.iouId, amount: { minor: '1000' }, closed: false },
      ],
    });
    expect(await iouRow(first.iouId)).toMatchObject({ state: 'repaid', result: 'on_time', remind_key: null });
    expect((await iouRow(second.iouId))?.state).toBe('open');
    expect(await repay(ben, ann, 10_00n)).toMatchObject({ type: 'repaid', outstanding: { minor: '0' } });
    expect(await repay(ben, ann, 1n)).toEqual({ type: 'rejected', error: 'NothingOwed' });
    expect(await available(f.core, ann)).toBe(200_00n);
    expect(await available(f.core, ben)).toBe(100_00n);
    expect(await f.core.ious.record(f.db, ben.id)).toEqual({ onTime: 2, late: 0, forgiven: 0, open: 0 });
    expect((await notificationsOf(f.db, ann)).filter((n) => n.template.key === 'iou.repaid')).toHaveLength(2);
    expect(await events(first.iouId)).toEqual(['offered', 'confirmed', 'repaid', 'closed']);
  });

  it('a repayment after the due day counts as late in the borrower’s record', async () => {
    const ann = await person(f.core, 'ann_rp2', 10_00n);
    const ben = await person(f.core, 'ben_rp2');
    const o = await lent(ann, ben, { amount: usd(10_00n), due: inDays(0) });
    // The due day is over: move it into the past (the database clock cannot be set).
    await f.db.query(`UPDATE ious SET late_after = now() - interval '1 hour' WHERE id = $1`, [o.iouId]);
    expect(await f.core.ious.list(f.db, ann.id)).toMatchObject([
      { direction: 'owed', overdue: { minor: 10_00n }, ious: [{ overdue: true }] },
    ]);
    expect(await repay(ben, ann, 10_00n)).toMatchObject({ type: 'repaid' });
    expect((await iouRow(o.iouId))?.result).toBe('late');
    expect(await f.core.ious.record(f.db, ben.id)).toMatchObject({ late: 1, onTime: 0 });
  });

  it('20 concurrent repayments never pay back more than is owed', async () => {
    const ann = await person(f.core, 'ann_rp3', 100_00n);
    const ben = await person(f.core, 'ben_rp3', 100_00n);
    await lent(ann, ben, { amount: usd(30_00n) });
    await lent(ann, ben, { amount: usd(20_00n) });
    const results = await Promise.all(Array.from({ length: 20 }, () => repay(ben, ann, 3_00n)));
    const paid = results.filter((r) => r.type === 'repaid');
    // 50.00 owed in 3.00 steps: 16 fit (48.00); the rest are refused with what is still owed.
    expect(paid).toHaveLength(16);
    expect(results.filter((r) => r.type === 'rejected')).toMatchObject(
      Array.from({ length: 4 }, () => ({ error: 'Overpayment', owed: { minor: '200' } })),
    );
    const [repaid] = (
      await f.db.query(`SELECT sum(repaid)::text AS s FROM ious WHERE lender = $1 AND borrower = $2`, [ann.id, ben.id])
    ).rows;
    expect(repaid?.s).toBe('4800');
    expect(await available(f.core, ben)).toBe(100_00n + 50_00n - 48_00n);
  });
});

describe('IOUs: reminders', () => {
  it('an IOU due in 3 days is reminded at the policy’s times, with Repay and Stop buttons, and not after repayment', async () => {
    const ann = await person(f.core, 'ann_rm1', 100_00n);
    const ben = await person(f.core, 'ben_rm1', 100_00n);
    const o = await lent(ann, ben, { due: inDays(3), note: 'concert' });
    const dueAt = await dueAtOf(o.iouId);
    const expected = iouReminderTimes(dueAt).filter((t) => t.getTime() > Date.now());
    const [first] = await pendingReminders(o.iouId);
    expect(first?.dueAt).toEqual(expected[0]);

    // Walk through the policy: each run sends one reminder and schedules the next at the policy's time.
    const offsets: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [row] = await pendingReminders(o.iouId);
      if (!row) throw new Error('no reminder scheduled');
      const due = await dueAtOf(o.iouId);
      offsets.push((row.dueAt.getTime() - due.getTime()) / DAY);
      await travel(o.iouId, row.dueAt.getTime() - Date.now() + 1_000);
      await f.core.timed['iou.remind'](f.db, { iouId: o.iouId }, { key: row.key, dueAt: row.dueAt });
    }
    const expectedOffsets = expected.map((t) => Math.round((t.getTime() - dueAt.getTime()) / DAY));
    expect(offsets.map(Math.round)).toEqual(expectedOffsets.slice(0, 3));
    const reminders = (await notificationsOf(f.db, ben)).filter((n) => n.template.key === 'iou.reminder');
    expect(reminders).toHaveLength(3);
    expect(reminders[0]?.template).toMatchObject({
      params: { amount: '50.00 USD', lender: 'Ann_rm1', id: o.iouId, half: '25.00 USD', note: 'concert' },
      thread: `iou:${o.iouId}`,
    });
    const [[all, halfButton] = [], [stop] = []] = reminders[0]?.template.buttons ?? [];
    expect([all?.labelKey, halfButton?.labelKey, stop?.labelKey]).toEqual([
      'button.repayAll',
      'button.repayHalf',
      'button.stopReminding',
    ]);

    // Repay half with a tap from the reminder; then all of it: the waiting reminder is cancelled.
    expect(await press(f.core, ben, halfButton?.actionId ?? '')).toMatchObject({
      outcome: { type: 'repaid', amount: { minor: '2500' }, outstanding: { minor: '2500' } },
    });
    expect(await pendingReminders(o.iouId)).toHaveLength(1);
    expect(await repay(ben, ann, 25_00n)).toMatchObject({ type: 'repaid' });
    expect(await pendingReminders(o.iouId)).toEqual([]);
    expect(await f.core.ious.remind(f.db, BigInt(o.iouId))).toMatchObject({ type: 'noop', reason: 'Resolved' });
    // The old "Repay all" button now refuses: nothing is owed.
    expect(await press(f.core, ben, all?.actionId ?? '')).toMatchObject({
      outcome: { type: 'rejected', error: 'NothingOwed' },
    });
    expect(await available(f.core, ann)).toBe(100_00n);
  });

  it('“Stop reminding me” stops the reminders of that IOU', async () => {
    const ann = await person(f.core, 'ann_rm2', 100_00n);
    const ben = await person(f.core, 'ben_rm2');
    const o = await lent(ann, ben, { due: inDays(3) });
    const [row] = await pendingReminders(o.iouId);
    await travel(o.iouId, (row?.dueAt.getTime() ?? 0) - Date.now() + 1_000);
    expect(await f.core.ious.remind(f.db, BigInt(o.iouId))).toMatchObject({ type: 'reminded' });
    const [reminder] = (await notificationsOf(f.db, ben)).filter((n) => n.template.key === 'iou.reminder');
    const stop = reminder?.template.buttons?.[1]?.[0]?.actionId ?? '';
    expect(await press(f.core, ben, stop)).toMatchObject({ kind: 'reminder.mute', outcome: { type: 'muted' } });
    const [next] = await pendingReminders(o.iouId);
    await travel(o.iouId, (next?.dueAt.getTime() ?? 0) - Date.now() + 1_000);
    expect(await f.core.ious.remind(f.db, BigInt(o.iouId))).toEqual({ type: 'skipped', reason: 'Muted' });
  });

  it('the lender can nudge once a day', async () => {
    const ann = await person(f.core, 'ann_rm3', 100_00n);
    const ben = await person(f.core, 'ben_rm3');
    const o = await lent(ann, ben);
    const nudge = (who: Person) =>
      f.db.transaction((tx) => f.core.ious.nudge(tx, { person: who, iouId: BigInt(o.iouId) }));
    expect(await nudge(ben)).toEqual({ type: 'rejected', error: 'IouNotYours' });
    expect(await nudge(ann)).toMatchObject({ type: 'nudged', borrowerName: 'Ben_rm3' });
    expect(await nudge(ann)).toMatchObject({ type: 'rejected', error: 'NudgedToday' });
    const nudges = (await notificationsOf(f.db, ben)).filter((n) => n.template.key === 'iou.nudge');
    expect(nudges).toHaveLength(1);
    expect(nudges[0]?.template.buttons?.[0]?.map((b) => b.labelKey)).toEqual(['button.repayAll', 'button.repayHalf']);
  });
});

describe('IOUs: forgiving, moving the date, the history', () => {
  it('the lender forgives part, then the rest; the borrower is told each time', async () => {
    const ann = await person(f.core, 'ann_fg1', 100_00n);
    const ben = await person(f.core, 'ben_fg1');
    const o = await lent(ann, ben);
    const forgive = (who: Person, minor?: bigint) =>
      f.db.transaction((tx) =>
        f.core.ious.forgive(tx, {
          person: who,
          iouId: BigInt(o.iouId),
          ...(minor !== undefined ? { amount: usd(minor) } : {}),
        }),
      );
    expect(await forgive(ben)).toEqual({ type: 'rejected', error: 'IouNotYours' });
    expect(await forgive(ann, 60_00n)).toEqual({ type: 'rejected', error: 'ForgiveTooMuch' });
    expect(await forgive(ann, 20_00n)).toMatchObject({ type: 'forgiven', closed: false, outstanding: usd(30_00n) });
    expect(await forgive(ann)).toMatchObject({ type: 'forgiven', closed: true, amount: usd(30_00n) });
    expect(await iouRow(o.iouId)).toMatchObject({ state: 'forgiven', result: 'forgiven', remind_key: null });
    expect((await notificationsOf(f.db, ben)).filter((n) => n.template.key === 'iou.forgiven')).toHaveLength(2);
    expect(await f.core.ious.record(f.db, ben.id)).toMatchObject({ forgiven: 1, open: 0 });
  });

  it('the borrower asks for a later date; the lender accepts one and refuses another; only the two see the history', async () => {
    const ann = await person(f.core, 'ann_ex1', 100_00n);
    const ben = await person(f.core, 'ben_ex1');
    const o = await lent(ann, ben, { due: inDays(5) });
    const extend = (who: Person, days: number) =>
      f.db.transaction((tx) => f.core.ious.extend(tx, { person: who, iouId: BigInt(o.iouId), due: inDays(days) }));
    expect(await extend(ann, 9)).toEqual({ type: 'rejected', error: 'IouNotYours' });
    expect(await extend(ben, 4)).toEqual({ type: 'rejected', error: 'ExtendNotLater' });
    expect(await extend(ben, 12)).toMatchObject({ type: 'extend_asked', lenderName: 'Ann_ex1' });
    expect(await extend(ben, 14)).toEqual({ type: 'rejected', error: 'ExtendPending' });

    const buttonsOf = async () => {
      const asks = (await notificationsOf(f.db, ann)).filter((n) => n.template.key === 'iou.extend_asked');
      const [accept, refuse] = asks.at(-1)?.template.buttons?.[0] ?? [];
      return { accept: accept?.actionId ?? '', refuse: refuse?.actionId ?? '' };
    };
    const before = await pendingReminders(o.iouId);
    const first = await buttonsOf();
    expect(await press(f.core, ann, first.accept)).toMatchObject({
      outcome: { type: 'extended', dueOn: dayOf(12) },
    });
    // One answer: the other button is spent with it.
    expect(await press(f.core, ann, first.refuse)).toMatchObject({ type: 'refused', error: 'Expired' });
    // The reminders follow the new date.
    const after = await pendingReminders(o.iouId);
    expect(after.map((r) => r.key)).not.toEqual(before.map((r) => r.key));
    expect(after).toHaveLength(1);

    expect(await extend(ben, 20)).toMatchObject({ type: 'extend_asked' });
    const second = await buttonsOf();
    expect(await press(f.core, ann, second.refuse)).toMatchObject({ outcome: { type: 'extend_refused' } });
    const told = (await notificationsOf(f.db, ben)).map((n) => n.template.key);
    expect(told).toEqual(expect.arrayContaining(['iou.extended', 'iou.extend_refused']));

    const view = await f.core.ious.show(f.db, ben.id, BigInt(o.iouId));
    if (view === 'IouNotFound') throw new Error('not shown');
    expect(view.iou.dueOn).toBe(dayOf(12));
    expect(view.events.map((e) => [e.kind, e.actorName, e.dueOn])).toEqual([
      ['offered', 'Ann_ex1', o.dueOn],
      ['confirmed', 'Ben_ex1', null],
      ['extend_asked', 'Ben_ex1', dayOf(12)],
      ['extended', 'Ann_ex1', dayOf(12)],
      ['extend_asked', 'Ben_ex1', dayOf(20)],
      ['extend_refused', 'Ann_ex1', dayOf(20)],
    ]);
    const stranger = await person(f.core, 'cat_ex1');
    expect(await f.core.ious.show(f.db, stranger.id, BigInt(o.iouId))).toBe('IouNotFound');
    // Events are append-only.
    await expect(f.db.query(`DELETE FROM iou_events WHERE iou_id = $1`, [o.iouId])).rejects.toThrow(/append-only/);
  });
});

function dayOf(days: number): string {
  const d = inDays(days);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

describe('IOUs: joining two accounts with /link', () => {
  it('an IOU between the two ends void; one with someone else follows the joined wallet', async () => {
    const ann = await person(f.core, 'ann_ln1', 100_00n);
    const annOnDiscord = await touch(f.core, actor('ann_ln1_dc', { platform: 'discord' }));
    await fund(f.core, annOnDiscord, 100_00n);
    const ben = await person(f.core, 'ben_ln1');
    const between = await lent(ann, annOnDiscord, { amount: usd(10_00n) });
    const withBen = await lent(annOnDiscord, ben, { amount: usd(20_00n) });
    const made = await f.db.transaction((tx) => f.core.people.createLinkCode(tx, ann.id, 600_000));
    if (!made.ok) throw new Error(made.error);
    const joined = await f.db.transaction((tx) => f.core.people.redeemLinkCode(tx, annOnDiscord.id, made.code));
    expect(joined).toMatchObject({ ok: true, person: { id: ann.id } });

    expect((await iouRow(between.iouId))?.state).toBe('void');
    expect(await pendingReminders(between.iouId)).toEqual([]);
    expect(await f.core.ious.list(f.db, ben.id)).toMatchObject([
      { direction: 'owe', personId: ann.id, total: { minor: 20_00n } },
    ]);
    // Ben repays the person his lender became: the IOU follows the joined wallet.
    expect(await repay(ben, ann, 5_00n)).toMatchObject({ type: 'repaid', applied: [{ iouId: withBen.iouId }] });
  });
});
