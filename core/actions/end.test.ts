/**
 * A button nobody pressed in time leaves its message: at its deadline the `action.end` job has the message its
 * button was bound to edited to its final state (a live edit with no buttons); a pressed one is left alone.
 */
import { describe, expect, it } from 'vitest';
import { ref as newRef } from '../../test/support/ledger.js';
import { auditedCore, CHAT, person, press, sleep, usd } from '../../test/support/core.js';
import { JobNotDue } from '../jobs.js';
import { liveEditKey, readLive } from '../live/index.js';
import type { Person } from '../people/index.js';
import type { PayOutcome } from '../payments/index.js';
import { ACTION_END_KIND, bindMessages, endedRef } from './index.js';

const UNDO_WINDOW_MS = 300;
const f = auditedCore({ undoWindowMs: UNDO_WINDOW_MS, confirmThreshold: usd(20_00n) });

const pay = (from: Person, to: Person, minor: bigint, note?: string): Promise<PayOutcome> =>
  f.db.transaction((tx) =>
    f.core.payments.pay(tx, {
      key: newRef('tg:pay'),
      from,
      to: { personId: to.id },
      amount: usd(minor),
      chat: CHAT,
      ...(note ? { note } : {}),
    }),
  );

/** Runs the `action.end` job of action `ref` as the worker would (in a transaction). */
async function runEnd(ref: string): Promise<void> {
  const key = `${ACTION_END_KIND}:${ref}`;
  const r = await f.db.query<{ payload: never; due_at: Date }>(`SELECT payload, due_at FROM outbox WHERE key = $1`, [
    key,
  ]);
  const row = r.rows[0];
  if (!row) throw new Error(`no ${key} scheduled`);
  await f.db.transaction((tx) => f.core.timed[ACTION_END_KIND](tx, row.payload, { key, dueAt: row.due_at }));
}

const shownOn = (actionId: string, messageId: string) =>
  bindMessages(f.db, [{ ids: [actionId], chat: CHAT, messageId }]);

describe('a button whose time is up', () => {
  it('an unused Undo: at the end of the window its message shows the payment without hint or button, once', async () => {
    const alice = await person(f.core, 'alice_end1', 50_00n);
    const bob = await person(f.core, 'bob_end1');
    const paid = await pay(alice, bob, 5_00n, 'lunch');
    if (paid.type !== 'paid' || paid.undoActionId === null) throw new Error('not paid with Undo');
    await shownOn(paid.undoActionId, '701');
    const ref = `undo:${paid.transferId}`;

    await expect(runEnd(ref)).rejects.toBeInstanceOf(JobNotDue);
    expect(await readLive(f.db, endedRef(ref))).toBeUndefined();

    await sleep(UNDO_WINDOW_MS + 100);
    await runEnd(ref);
    const live = await readLive(f.db, endedRef(ref));
    expect(live?.place).toEqual({ ...CHAT, messageId: '701' });
    expect(live?.view.template).toEqual({
      key: 'pay.paid',
      params: { amount: '5.00 USD', name: bob.displayName, note: 'lunch' },
    });
    const edit = await f.db.query<{ state: string }>(`SELECT state FROM outbox WHERE key = $1`, [
      liveEditKey(endedRef(ref), 1n),
    ]);
    expect(edit.rows[0]?.state).toBe('pending');

    // Run again (a redelivery): nothing more.
    await runEnd(ref);
    expect((await readLive(f.db, endedRef(ref)))?.version).toBe(1n);
  });

  it('a pressed Undo: its message shows the press’s outcome and is not edited again', async () => {
    const alice = await person(f.core, 'alice_end2', 50_00n);
    const bob = await person(f.core, 'bob_end2');
    const paid = await pay(alice, bob, 5_00n);
    if (paid.type !== 'paid' || paid.undoActionId === null) throw new Error('not paid with Undo');
    await shownOn(paid.undoActionId, '702');
    expect((await press(f.core, alice, paid.undoActionId, CHAT)).type).toBe('done');

    await sleep(UNDO_WINDOW_MS + 100);
    await runEnd(`undo:${paid.transferId}`);
    expect(await readLive(f.db, endedRef(`undo:${paid.transferId}`))).toBeUndefined();
  });

  it('an Undo refused because the recipient spent the money still leaves its message at the end of the window', async () => {
    const alice = await person(f.core, 'alice_end4', 50_00n);
    const bob = await person(f.core, 'bob_end4');
    const carol = await person(f.core, 'carol_end4');
    const paid = await pay(alice, bob, 5_00n);
    if (paid.type !== 'paid' || paid.undoActionId === null) throw new Error('not paid with Undo');
    await shownOn(paid.undoActionId, '704');
    expect(await pay(bob, carol, 5_00n)).toMatchObject({ type: 'paid' });
    expect(await press(f.core, alice, paid.undoActionId, CHAT)).toMatchObject({
      type: 'done',
      outcome: { type: 'rejected', error: 'UndoTooLate' },
    });

    await sleep(UNDO_WINDOW_MS + 100);
    const ref = `undo:${paid.transferId}`;
    await runEnd(ref);
    const live = await readLive(f.db, endedRef(ref));
    expect(live?.place).toEqual({ ...CHAT, messageId: '704' });
    expect(live?.view.template).toMatchObject({ key: 'pay.paid' });
  });

  it('a confirm card nobody confirmed: at its expiry it says so, without its button', async () => {
    const alice = await person(f.core, 'alice_end3', 50_00n);
    const bob = await person(f.core, 'bob_end3');
    const card = await pay(alice, bob, 25_00n);
    if (card.type !== 'confirm') throw new Error('no confirm card');
    await shownOn(card.actionId, '703');
    const found = await f.db.query<{ ref: string }>(`SELECT ref FROM actions WHERE id = $1`, [card.actionId]);
    const ref = found.rows[0]!.ref;

    await expect(runEnd(ref)).rejects.toBeInstanceOf(JobNotDue);
    // Its 15 minutes pass.
    await f.db.query(`UPDATE actions SET expires_at = now() WHERE id = $1`, [card.actionId]);
    await runEnd(ref);
    const live = await readLive(f.db, endedRef(ref));
    expect(live?.place).toEqual({ ...CHAT, messageId: '703' });
    expect(live?.view.template).toEqual({
      key: 'pay.confirm_expired',
      params: { amount: '25.00 USD', name: bob.displayName },
    });
    expect((await press(f.core, alice, card.actionId, CHAT)).type).toBe('refused');
  });
});
