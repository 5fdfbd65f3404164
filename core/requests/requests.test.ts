import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import {
  actor,
  available,
  CHAT,
  fund,
  notificationsOf,
  outbox,
  person,
  press,
  sleep,
  usd,
  auditedCore,
} from '../../test/support/core.js';
import { once, toWire } from '../index.js';
import { JobNotDue } from '../jobs.js';
import type { Person } from '../people/index.js';
import type { RequestInput } from './index.js';

const f = auditedCore({}, 10);

function ask(requester: Person, payer: RequestInput['payer'], extra: Partial<RequestInput> = {}) {
  const key = ref('tg:req');
  return once(f.db, { key, personId: requester.id, command: 'request' }, async (tx) =>
    toWire(
      await f.core.requests.request(tx, {
        key,
        requester,
        payer,
        amount: usd(8_00n),
        note: 'tickets',
        chat: CHAT,
        ...extra,
      }),
    ),
  ).then((r) => r.outcome);
}

async function asked(requester: Person, payer: Person, extra: Partial<RequestInput> = {}) {
  const o = await ask(requester, { personId: payer.id }, extra);
  if (o.type !== 'requested') throw new Error(`expected a request, got ${JSON.stringify(o)}`);
  return o;
}

const requestState = async (id: string) =>
  String((await f.db.query(`SELECT state FROM requests WHERE id = $1`, [id])).rows[0]?.state);
const job = (kind: string, id: string) => ({ key: `${kind}:${id}:1`, dueAt: new Date() });

describe('requests', () => {
  it('a deadline the requester typed is not called the default', async () => {
    const anna = await person(f.core, 'anna_rq9');
    const ben = await person(f.core, 'ben_rq9');
    const o = await asked(anna, ben, { dueAt: new Date(Date.now() + 3 * 3_600_000) });
    expect(o).not.toHaveProperty('defaultTtlMs');
    const [incoming] = await notificationsOf(f.db, ben);
    expect(incoming?.template.params).toEqual({
      amount: '8.00 USD',
      from: 'Anna_rq9',
      dueAt: o.dueAt,
      note: 'tickets',
    });
  });

  it('the payer is asked privately with Pay and Decline; paying settles the request', async () => {
    const anna = await person(f.core, 'anna_rq1');
    const ben = await person(f.core, 'ben_rq1', 20_00n);
    const o = await asked(anna, ben);
    expect(o).toMatchObject({ payerName: 'Ben_rq1', amount: { minor: '800' }, note: 'tickets' });
    const dueIn = Date.parse(o.dueAt) - Date.now();
    expect(dueIn).toBeGreaterThan(23 * 3_600_000);
    expect(o).toMatchObject({ defaultTtlMs: 24 * 3_600_000 });
    const [incoming] = await notificationsOf(f.db, ben);
    expect(incoming?.template).toEqual({
      key: 'request.incoming',
      // No deadline was typed: the payer is told the default was used.
      params: { amount: '8.00 USD', from: 'Anna_rq1', dueAt: o.dueAt, note: 'tickets', reason: 'default', hours: '24' },
      buttons: [
        [
          { labelKey: 'button.pay', actionId: o.payActionId },
          { labelKey: 'button.decline', actionId: o.declineActionId },
        ],
      ],
      deferrable: false,
    });
    expect(
      (await outbox(f.db, `request.`)).filter((r) => r.payload.requestId === o.requestId).map((r) => r.kind),
    ).toEqual(['request.nudge', 'request.expire']);

    // Only the payer can pay it.
    expect(await press(f.core, anna, o.payActionId)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, ben, o.payActionId)).toMatchObject({
      type: 'done',
      kind: 'request.pay',
      outcome: { type: 'paid', requestId: o.requestId, requesterName: 'Anna_rq1', amount: { minor: '800' } },
    });
    expect(await available(f.core, anna)).toBe(8_00n);
    expect(await available(f.core, ben)).toBe(12_00n);
    expect(await requestState(o.requestId)).toBe('paid');
    expect((await notificationsOf(f.db, anna)).map((n) => n.template)).toEqual([
      { key: 'request.paid', params: { amount: '8.00 USD', payer: 'Ben_rq1', note: 'tickets' }, deferrable: false },
    ]);
    expect(
      (await outbox(f.db, `request.`)).filter((r) => r.payload.requestId === o.requestId).map((r) => r.state),
    ).toEqual(['cancelled', 'cancelled']);
    // Paid once: a second tap and the other button do nothing.
    expect(await press(f.core, ben, o.payActionId)).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    expect(await press(f.core, ben, o.declineActionId)).toEqual({ type: 'refused', error: 'Expired' });
    expect(await available(f.core, ben)).toBe(12_00n);
  });

  it('a payer without the money can top up and tap Pay again', async () => {
    const anna = await person(f.core, 'anna_rq2');
    const ben = await person(f.core, 'ben_rq2', 1_00n);
    const o = await asked(anna, ben);
    expect(await press(f.core, ben, o.payActionId)).toMatchObject({
      outcome: { type: 'rejected', error: 'InsufficientFunds' },
    });
    expect(await requestState(o.requestId)).toBe('open');
    await fund(f.core, ben, 10_00n);
    expect(await press(f.core, ben, o.payActionId)).toMatchObject({ outcome: { type: 'paid' } });
    expect(await available(f.core, anna)).toBe(8_00n);
  });

  it('declining tells the requester and moves no money', async () => {
    const anna = await person(f.core, 'anna_rq3');
    const ben = await person(f.core, 'ben_rq3', 20_00n);
    const o = await asked(anna, ben);
    expect(await press(f.core, ben, o.declineActionId)).toMatchObject({
      kind: 'request.decline',
      outcome: { type: 'declined', requesterName: 'Anna_rq3' },
    });
    expect(await requestState(o.requestId)).toBe('declined');
    expect((await notificationsOf(f.db, anna)).map((n) => n.template.key)).toEqual(['request.declined']);
    expect(await press(f.core, ben, o.payActionId)).toEqual({ type: 'refused', error: 'Expired' });
    expect(await available(f.core, ben)).toBe(20_00n);
  });

  it('nudges the payer at half-time only while the request is open', async () => {
    const anna = await person(f.core, 'anna_rq4');
    const ben = await person(f.core, 'ben_rq4', 20_00n);
    const dueAt = new Date(Date.now() + 1_200);
    const open = await asked(anna, ben, { dueAt });
    const paid = await asked(anna, ben, { dueAt });
    await expect(
      f.core.timed['request.nudge'](f.db, { requestId: open.requestId }, job('request.nudge', open.requestId)),
    ).rejects.toBeInstanceOf(JobNotDue);
    await press(f.core, ben, paid.payActionId);
    await sleep(700);
    await f.core.timed['request.nudge'](f.db, { requestId: open.requestId }, job('request.nudge', open.requestId));
    await f.core.timed['request.nudge'](f.db, { requestId: paid.requestId }, job('request.nudge', paid.requestId));
    // A duplicate run sends nothing more (the notification key is the same).
    await f.core.timed['request.nudge'](f.db, { requestId: open.requestId }, job('request.nudge', open.requestId));
    const nudges = (await notificationsOf(f.db, ben)).filter((n) => n.template.key === 'request.nudge');
    expect(nudges).toHaveLength(1);
    const [payRow, stopRow] = nudges[0]?.template.buttons ?? [];
    expect(payRow).toEqual([
      { labelKey: 'button.pay', actionId: open.payActionId },
      { labelKey: 'button.decline', actionId: open.declineActionId },
    ]);
    expect(stopRow?.map((b) => b.labelKey)).toEqual(['button.stopReminding']);
    expect(nudges[0]?.template).toMatchObject({ thread: `request:${open.requestId}` });
    // "Stop reminding me" mutes the request for the payer: the waiting nudge is not sent.
    const stop = stopRow?.[0]?.actionId ?? '';
    expect(await press(f.core, ben, stop)).toMatchObject({ kind: 'reminder.mute', outcome: { type: 'muted' } });
    expect((await outbox(f.db, `notify:request:${open.requestId}:nudge`))[0]?.state).toBe('cancelled');
  });

  it('a nudge due in the payer’s quiet hours waits for their end, and is skipped when they last past the deadline', async () => {
    const anna = await person(f.core, 'anna_rq5');
    const ben = await person(f.core, 'ben_rq5');
    const minute = Math.floor(Date.now() / 60_000) % 1440;
    const clock = (m: number) =>
      `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String((m + 1440) % 60).padStart(2, '0')}`;
    const quiet = await f.db.transaction((tx) =>
      f.core.people.updateSettings(tx, ben.id, { quietHours: `${clock(minute - 60)}-${clock(minute + 60)}` }),
    );
    if (!quiet.ok) throw new Error(quiet.error);

    const later = await asked(anna, ben, { dueAt: new Date(Date.now() + 3 * 3_600_000) });
    await f.db.query(`UPDATE requests SET created_at = now() - interval '4 hours' WHERE id = $1`, [later.requestId]);
    const nudged = await f.core.requests.nudge(f.db, BigInt(later.requestId));
    const quietEnd = new Date((Math.floor(Date.now() / 60_000) + 60) * 60_000);
    expect(nudged).toMatchObject({ type: 'nudged' });
    const [row] = await outbox(f.db, `notify:request:${later.requestId}:nudge`);
    expect(Math.abs((row?.dueAt.getTime() ?? 0) - quietEnd.getTime())).toBeLessThanOrEqual(60_000);

    const soon = await asked(anna, ben, { dueAt: new Date(Date.now() + 400) });
    await sleep(250);
    expect(await f.core.requests.nudge(f.db, BigInt(soon.requestId))).toEqual({
      type: 'skipped',
      reason: 'QuietUntilDeadline',
    });
    expect(await outbox(f.db, `notify:request:${soon.requestId}:nudge`)).toEqual([]);
  });

  it('at expiry both sides are told and the requester can ask someone else in one tap', async () => {
    const anna = await person(f.core, 'anna_rq6');
    const ben = await person(f.core, 'ben_rq6', 20_00n);
    const o = await asked(anna, ben, { dueAt: new Date(Date.now() + 300) });
    await expect(
      f.core.timed['request.expire'](f.db, { requestId: o.requestId }, job('request.expire', o.requestId)),
    ).rejects.toBeInstanceOf(JobNotDue);
    await sleep(350);
    expect(await press(f.core, ben, o.payActionId)).toEqual({ type: 'refused', error: 'Expired' });
    await f.core.timed['request.expire'](f.db, { requestId: o.requestId }, job('request.expire', o.requestId));
    await f.core.timed['request.expire'](f.db, { requestId: o.requestId }, job('request.expire', o.requestId));
    expect(await requestState(o.requestId)).toBe('expired');
    expect((await notificationsOf(f.db, ben)).map((n) => n.template.key)).toEqual([
      'request.incoming',
      'request.expired.payer',
    ]);
    const [toAnna] = await notificationsOf(f.db, anna);
    expect(toAnna?.template).toMatchObject({
      key: 'request.expired.requester',
      params: { amount: '8.00 USD', payer: 'Ben_rq6', note: 'tickets' },
      buttons: [[{ labelKey: 'button.askSomeoneElse' }]],
    });
    const reask = toAnna?.template.buttons?.[0]?.[0]?.actionId ?? '';
    expect(await press(f.core, ben, reask)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, anna, reask)).toEqual({
      type: 'done',
      kind: 'request.reask',
      outcome: {
        type: 'reask',
        requestId: o.requestId,
        amount: { minor: '800', currency: 'USD' },
        note: 'tickets',
        previousPayerName: 'Ben_rq6',
      },
    });
    expect(await available(f.core, ben)).toBe(20_00n);
  });

  it('refuses asking yourself, a bot, an unknown username, and deadlines in the past', async () => {
    const anna = await person(f.core, 'anna_rq7');
    expect(await ask(anna, { personId: anna.id })).toEqual({ type: 'rejected', error: 'SelfRequest' });
    expect(await ask(anna, { actor: actor('pay_bot', { isBot: true }) })).toEqual({
      type: 'rejected',
      error: 'RecipientIsBot',
    });
    expect(await ask(anna, { username: 'nobody_rq7', platform: 'telegram' })).toEqual({
      type: 'rejected',
      error: 'UnknownRecipient',
    });
    const ben = await person(f.core, 'ben_rq7');
    expect(await ask(anna, { personId: ben.id }, { dueAt: new Date(Date.now() - 1_000) })).toEqual({
      type: 'rejected',
      error: 'DeadlineInPast',
    });
    expect(await ask(anna, { personId: ben.id }, { dueAt: new Date(Date.now() + 40 * 24 * 3_600_000) })).toEqual({
      type: 'rejected',
      error: 'DeadlineTooFar',
    });
    expect(await ask(anna, { username: '@Ben_rq7', platform: 'telegram' })).toMatchObject({
      type: 'requested',
      payerName: 'Ben_rq7',
    });
  });
});
