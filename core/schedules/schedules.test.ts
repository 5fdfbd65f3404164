/** Recurring transfers in the core against real Postgres: create → Activate → runs in the outbox; cancel; mute. */
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import { CHAT, notificationsOf, outbox, person, press, auditedCore } from '../../test/support/core.js';
import { once, toWire } from '../index.js';
import type { Person } from '../people/index.js';
import { SCHEDULE_WEEKDAYS, type ScheduleSpec } from './grammar.js';
import type { ScheduleCreateInput } from './service.js';

const f = auditedCore({}, 6);

/**
 * Weekly on the weekday three days from now (UTC, the payers' zone): the first run is always more than a day
 * away, so it has its day-before notice whatever the hour the tests run at.
 */
const WEEKLY: ScheduleSpec = {
  cadence: { unit: 'weekday', weekday: SCHEDULE_WEEKDAYS[(new Date().getUTCDay() + 6 + 3) % 7] ?? 'mo', interval: 1 },
};

function every(payer: Person, payee: ScheduleCreateInput['payee'], spec: ScheduleSpec = WEEKLY, minor = 5_00n) {
  const key = ref('tg:every');
  return once(f.db, { key, personId: payer.id, command: 'every' }, async (tx) =>
    toWire(
      await f.core.schedules.create(tx, {
        key,
        payer,
        payee,
        amount: { minor, currency: 'USD' },
        note: 'pocket money',
        spec,
        chat: CHAT,
      }),
    ),
  ).then((r) => r.outcome);
}

async function activated(payer: Person, payee: Person, spec: ScheduleSpec = WEEKLY) {
  const o = await every(payer, { personId: payee.id }, spec);
  if (o.type !== 'confirm') throw new Error(`expected a confirm card, got ${JSON.stringify(o)}`);
  const done = await press(f.core, payer, o.actionId);
  if (done.type !== 'done' || done.kind !== 'schedule.activate' || done.outcome.type !== 'activated')
    throw new Error(`not activated: ${JSON.stringify(done)}`);
  return { id: BigInt(o.scheduleId), card: o, activated: done.outcome };
}

const cancel = (who: Person, scheduleId: bigint) =>
  f.db.transaction((tx) => f.core.schedules.cancel(tx, { personId: who.id, scheduleId }));

describe('recurring transfers', () => {
  it('/every shows the next three runs and waits for the payer to tap Activate; then the first run is scheduled', async () => {
    const anna = await person(f.core, 'anna_sc1', 50_00n);
    const ben = await person(f.core, 'ben_sc1');
    const card = await every(anna, { personId: ben.id });
    expect(card).toMatchObject({ type: 'confirm', toName: 'Ben_sc1', note: 'pocket money', timezone: 'UTC' });
    if (card.type !== 'confirm') return;
    expect(card.next).toHaveLength(3);
    const gaps = card.next.slice(1).map((d, i) => Date.parse(d) - Date.parse(card.next[i] ?? ''));
    expect(gaps).toEqual([7 * 86_400_000, 7 * 86_400_000]);
    expect(await outbox(f.db, `schedule.run:${card.scheduleId}:`)).toEqual([]);

    // Only the payer can activate it.
    expect(await press(f.core, ben, card.actionId)).toEqual({ type: 'refused', error: 'NotYours' });
    const done = await press(f.core, anna, card.actionId);
    expect(done).toMatchObject({ kind: 'schedule.activate', outcome: { type: 'activated', toName: 'Ben_sc1' } });
    const rows = await outbox(f.db, `schedule.`);
    const mine = rows.filter((r) => r.payload.scheduleId === card.scheduleId);
    expect(mine.map((r) => [r.key, r.state])).toEqual([
      [`schedule.run:${card.scheduleId}:1`, 'pending'],
      [`schedule.notice:${card.scheduleId}:1`, 'pending'],
    ]);
    expect((mine[1]?.dueAt.getTime() ?? 0) + 86_400_000).toBe(mine[0]?.dueAt.getTime());
    expect(await press(f.core, anna, card.actionId)).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    const [listed] = await f.core.schedules.list(f.db, anna.id);
    expect(listed).toMatchObject({ id: BigInt(card.scheduleId), state: 'active', paidRuns: 0, toName: 'Ben_sc1' });
  });

  it('only the payer can cancel; cancelling stops the pending run and its notice', async () => {
    const anna = await person(f.core, 'anna_sc2', 50_00n);
    const ben = await person(f.core, 'ben_sc2');
    const { id } = await activated(anna, ben);
    expect(await cancel(ben, id)).toEqual({ type: 'rejected', error: 'NotYourSchedule' });
    expect(await cancel(anna, id)).toMatchObject({ type: 'cancelled', scheduleId: id, toName: 'Ben_sc2' });
    expect((await outbox(f.db, `schedule.`)).filter((r) => r.payload.scheduleId === id.toString())).toMatchObject([
      { state: 'cancelled' },
      { state: 'cancelled' },
    ]);
    expect(await cancel(anna, id)).toEqual({ type: 'rejected', error: 'ScheduleEnded' });
    expect(await cancel(anna, 999_999n)).toEqual({ type: 'rejected', error: 'ScheduleNotFound' });
    // A cancelled schedule's run, if its job still fired, does nothing.
    expect(await f.core.schedules.run(f.db, id, 1, 1)).toMatchObject({ type: 'noop', reason: 'Resolved' });
  });

  it('"Stop reminding me" on a notice mutes the schedule: the waiting notice is cancelled and the next one not sent; runs go on', async () => {
    const anna = await person(f.core, 'anna_sc3', 50_00n);
    const ben = await person(f.core, 'ben_sc3');
    const { id } = await activated(anna, ben);
    expect(await f.core.schedules.notice(f.db, id, 1)).toMatchObject({ type: 'noticed' });
    const [notice] = (await notificationsOf(f.db, anna)).filter((n) => n.template.key === 'schedule.notice');
    expect(notice?.template).toMatchObject({
      params: { amount: '5.00 USD', to: 'Ben_sc3', note: 'pocket money' },
      thread: `schedule:${id}`,
      buttons: [[{ labelKey: 'button.stopReminding' }]],
    });
    expect(notice?.template).not.toHaveProperty('deferrable'); // a reminder waits out quiet hours
    const stop = notice?.template.buttons?.[0]?.[0]?.actionId ?? '';
    expect(await press(f.core, ben, stop)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, anna, stop)).toEqual({
      type: 'done',
      kind: 'reminder.mute',
      outcome: { type: 'muted', thread: `schedule:${id}` },
    });
    expect((await outbox(f.db, `notify:schedule:${id}:1:notice`))[0]?.state).toBe('cancelled');

    // The first run is due (moved to now): it pays, and occurrence 2's notice finds the thread muted.
    await f.db.query(`UPDATE schedules SET next_at = now() WHERE id = $1`, [id]);
    expect(await f.core.schedules.run(f.db, id, 1, 1)).toMatchObject({ type: 'paid', n: 1 });
    expect(await f.core.schedules.notice(f.db, id, 2)).toEqual({ type: 'muted' });
    expect(await outbox(f.db, `notify:schedule:${id}:2:notice`)).toEqual([]);
    const toBen = await notificationsOf(f.db, ben);
    expect(toBen.map((n) => n.template)).toEqual([
      {
        key: 'schedule.received',
        params: { amount: '5.00 USD', from: 'Anna_sc3', note: 'pocket money' },
        deferrable: false,
      },
    ]);
  });

  it('refuses paying yourself, an unknown @username, and a schedule that never runs', async () => {
    const anna = await person(f.core, 'anna_sc4', 50_00n);
    expect(await every(anna, { personId: anna.id })).toEqual({ type: 'rejected', error: 'SelfSchedule' });
    expect(await every(anna, { username: 'nobody_sc4', platform: 'telegram' })).toEqual({
      type: 'rejected',
      error: 'UnknownRecipient',
    });
    const ben = await person(f.core, 'ben_sc4');
    const past: ScheduleSpec = { cadence: { unit: 'day', interval: 1 }, end: { until: '2020-01-01' } };
    expect(await every(anna, { personId: ben.id }, past)).toEqual({ type: 'rejected', error: 'NeverRuns' });
    expect(await every(anna, { personId: ben.id }, { cadence: { unit: 'rule', rule: 'FREQ=NEVERLY' } })).toEqual({
      type: 'rejected',
      error: 'BadRule',
    });
    expect(await every(anna, { username: '@Ben_sc4', platform: 'telegram' })).toMatchObject({
      type: 'confirm',
      toName: 'Ben_sc4',
    });
  });

  it('a card nobody activated in time is not listed, and its button no longer works', async () => {
    const anna = await person(f.core, 'anna_sc5', 50_00n);
    const ben = await person(f.core, 'ben_sc5');
    const card = await every(anna, { personId: ben.id });
    if (card.type !== 'confirm') throw new Error('no card');
    expect((await f.core.schedules.list(f.db, anna.id)).map((s) => s.state)).toEqual(['awaiting']);
    await f.db.query(`UPDATE actions SET expires_at = now() - interval '1 second' WHERE id = $1`, [card.actionId]);
    expect(await f.core.schedules.list(f.db, anna.id)).toEqual([]);
    expect(await press(f.core, anna, card.actionId)).toEqual({ type: 'refused', error: 'Expired' });
  });
});
