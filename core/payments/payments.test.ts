import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import {
  actor,
  available,
  CHAT,
  coreWith,
  fund,
  notificationsOf,
  person,
  press,
  sleep,
  touch,
  usd,
  auditedCore,
} from '../../test/support/core.js';
import { once, seenInChats, toWire } from '../index.js';
import type { Tx } from '../db/executor.js';
import type { Person } from '../people/index.js';
import type { HistoryEntry, PayInput, PayOutcome } from './index.js';

const f = auditedCore({}, 10);

/** One /pay delivery, as the command layer runs it. */
function pay(from: Person, to: PayInput['to'], amount = usd(5_00n), extra: Partial<PayInput> = {}) {
  const key = extra.key ?? ref('tg:pay');
  return once(f.db, { key, personId: from.id, command: 'pay' }, async (tx: Tx) =>
    toWire(await f.core.payments.pay(tx, { key, from, to, amount, chat: CHAT, ...extra })),
  ).then((r) => r.outcome);
}

const paidOutcome = (o: unknown): Extract<PayOutcome, { type: 'paid' }> => o as Extract<PayOutcome, { type: 'paid' }>;

describe('pay', () => {
  it('pays a person known by id at once, with an Undo button and a note to the recipient', async () => {
    const alice = await person(f.core, 'alice_pay1', 50_00n);
    const bob = await person(f.core, 'bob_pay1');
    const o = await pay(alice, { personId: bob.id }, usd(12_50n), { note: 'pizza 🍕' });
    expect(o).toMatchObject({
      type: 'paid',
      amount: { minor: '1250', currency: 'USD' },
      toPersonId: bob.id.toString(),
      toName: 'Bob_pay1',
      note: 'pizza 🍕',
    });
    expect(paidOutcome(o).undoActionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await available(f.core, alice)).toBe(37_50n);
    expect(await available(f.core, bob)).toBe(12_50n);
    expect((await notificationsOf(f.db, bob)).map((n) => n.template)).toEqual([
      { key: 'pay.received', params: { amount: '12.50 USD', from: 'Alice_pay1', note: 'pizza 🍕' }, deferrable: false },
    ]);
  });

  it('pays a platform user given by id (reply-to / text mention), creating them on the way', async () => {
    const alice = await person(f.core, 'alice_pay2', 10_00n);
    const newcomer = actor('newcomer_pay2', { displayName: 'Newcomer' });
    const o = await pay(alice, { actor: newcomer }, usd(3_00n));
    expect(o).toMatchObject({ type: 'paid', toName: 'Newcomer' });
    const found = await f.core.people.findByUserId(f.db, 'telegram', newcomer.userId);
    expect(await available(f.core, found!.person)).toBe(3_00n);
  });

  it('forty concurrent payments from a wallet that affords ten: exactly ten are paid', async () => {
    const alice = await person(f.core, 'alice_pay3', 10_00n);
    const friends = await Promise.all(Array.from({ length: 4 }, (_, i) => person(f.core, `friend_pay3_${i}`)));
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => pay(alice, { personId: (friends[i % 4] as Person).id }, usd(1_00n))),
    );
    expect(outcomes.filter((o) => o.type === 'paid')).toHaveLength(10);
    expect(outcomes.filter((o) => o.type === 'rejected' && o.error === 'InsufficientFunds')).toHaveLength(30);
    expect(await available(f.core, alice)).toBe(0n);
    let received = 0n;
    for (const fr of friends) received += await available(f.core, fr);
    expect(received).toBe(10_00n);
  });

  it('payments both ways at once between two people named by platform id all go through', async () => {
    const aActor = actor('a_both');
    const bActor = actor('b_both');
    const a = await touch(f.core, aActor);
    const b = await touch(f.core, bActor);
    await fund(f.core, a, 20_00n);
    await fund(f.core, b, 20_00n);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? pay(a, { actor: bActor }, usd(1_00n)) : pay(b, { actor: aActor }, usd(1_00n)),
      ),
    );
    expect(outcomes.every((o) => o.type === 'paid')).toBe(true);
    expect([await available(f.core, a), await available(f.core, b)]).toEqual([20_00n, 20_00n]);
  });

  it('refuses paying yourself, a bot, or a Telegram service account', async () => {
    const alice = await touch(f.core, actor('alice_pay4'));
    await fund(f.core, alice, 10_00n);
    expect(await pay(alice, { personId: alice.id })).toEqual({ type: 'rejected', error: 'SelfPayment' });
    expect(await pay(alice, { username: '@Alice_Pay4', platform: 'telegram' })).toEqual({
      type: 'rejected',
      error: 'SelfPayment',
    });
    expect(await pay(alice, { actor: actor('tip_bot', { isBot: true }) })).toEqual({
      type: 'rejected',
      error: 'RecipientIsBot',
    });
    expect(await pay(alice, { actor: actor('anon', { userId: '1087968824' }) })).toEqual({
      type: 'rejected',
      error: 'RecipientIsBot',
    });
    expect(await pay(alice, { personId: 987_654_321n })).toEqual({ type: 'rejected', error: 'UnknownRecipient' });
    expect(await pay(alice, { username: 'no spaces!', platform: 'telegram' })).toEqual({
      type: 'rejected',
      error: 'InvalidUsername',
    });
    expect(await pay(alice, { personId: alice.id }, usd(0n))).toEqual({ type: 'rejected', error: 'InvalidAmount' });
    expect(await available(f.core, alice)).toBe(10_00n);
  });

  it('asks for a confirm tap above the threshold; the tap pays', async () => {
    const alice = await person(f.core, 'alice_pay5', 100_00n);
    const bob = await person(f.core, 'bob_pay5');
    expect(await pay(alice, { personId: bob.id }, usd(20_00n))).toMatchObject({ type: 'paid' });
    const card = await pay(alice, { personId: bob.id }, usd(20_01n), { note: 'rent' });
    expect(card).toMatchObject({
      type: 'confirm',
      reason: 'threshold',
      toName: 'Bob_pay5',
      amount: { minor: '2001' },
      note: 'rent',
    });
    expect(await available(f.core, bob)).toBe(20_00n);
    if (card.type !== 'confirm') throw new Error('no card');
    const tap = await press(f.core, alice, card.actionId);
    expect(tap).toMatchObject({
      type: 'done',
      kind: 'pay.confirm',
      outcome: { type: 'paid', amount: { minor: '2001' }, note: 'rent' },
    });
    expect(await available(f.core, bob)).toBe(40_01n);
    // The card works once.
    expect(await press(f.core, alice, card.actionId)).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    expect(await available(f.core, bob)).toBe(40_01n);
  });

  it('/settings confirm 0 asks for every payment; a higher own threshold skips the card', async () => {
    const alice = await person(f.core, 'alice_pay6', 100_00n);
    const bob = await person(f.core, 'bob_pay6');
    const set = (minor: bigint) =>
      f.db.transaction((tx) => f.core.people.updateSettings(tx, alice.id, { confirmThreshold: usd(minor) }));
    const zero = await set(0n);
    if (!zero.ok) throw new Error(zero.error);
    expect(await pay(zero.person, { personId: bob.id }, usd(1n))).toMatchObject({
      type: 'confirm',
      reason: 'threshold',
    });
    const high = await set(80_00n);
    if (!high.ok) throw new Error(high.error);
    expect(await pay(high.person, { personId: bob.id }, usd(50_00n))).toMatchObject({ type: 'paid' });
  });

  it('a payment in another currency always asks (it cannot be compared with the threshold)', async () => {
    const alice = await person(f.core, 'alice_pay7', 1_000n, 'JPY');
    const bob = await person(f.core, 'bob_pay7');
    const card = await pay(alice, { personId: bob.id }, { minor: 500n, currency: 'JPY' });
    expect(card).toMatchObject({ type: 'confirm', reason: 'currency' });
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, alice, card.actionId)).toMatchObject({ outcome: { type: 'paid' } });
    expect(await available(f.core, bob, 'JPY')).toBe(500n);
  });

  it('a confirm tap without the money (spent since the card) is refused and the card stays usable after a top-up', async () => {
    const alice = await person(f.core, 'alice_pay8', 30_00n);
    const bob = await person(f.core, 'bob_pay8');
    const carol = await person(f.core, 'carol_pay8');
    const card = await pay(alice, { personId: bob.id }, usd(30_00n));
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await pay(alice, { personId: carol.id }, usd(20_00n), { confirmed: true })).toMatchObject({ type: 'paid' });
    expect(await press(f.core, alice, card.actionId)).toMatchObject({
      outcome: { type: 'rejected', error: 'InsufficientFunds', available: { minor: '1000' } },
    });
    await fund(f.core, alice, 20_00n);
    expect(await press(f.core, alice, card.actionId)).toMatchObject({ outcome: { type: 'paid' } });
    expect(await available(f.core, bob)).toBe(30_00n);
  });

  it('a bare @username of someone known shows their name and id on a card before paying them', async () => {
    const alice = await person(f.core, 'alice_pay9', 10_00n);
    const bobActor = actor('bob_pay9', { displayName: 'Bob' });
    const bob = await touch(f.core, bobActor);
    const card = await pay(alice, { username: '@bob_pay9', platform: 'telegram' }, usd(1_00n));
    expect(card).toMatchObject({
      type: 'confirm',
      reason: 'username',
      toName: 'Bob',
      toUserId: bobActor.userId,
      toUsername: 'bob_pay9',
      toPersonId: bob.id.toString(),
    });
    expect(await available(f.core, bob)).toBe(0n);
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, alice, card.actionId)).toMatchObject({
      outcome: { type: 'paid', toPersonId: bob.id.toString() },
    });
    expect(await available(f.core, bob)).toBe(1_00n);
  });

  it('an @username whose holder is in this chat is paid at once with Undo, under the threshold', async () => {
    const alice = await person(f.core, 'alice_pay11', 10_00n);
    const bob = await touch(f.core, actor('bob_pay11', { displayName: 'Bob' }));
    await seenInChats(f.db, [{ ...CHAT, personId: bob.id }]);
    const o = await pay(alice, { username: '@bob_pay11', platform: 'telegram' }, usd(2_00n));
    expect(o).toMatchObject({ type: 'paid', toPersonId: bob.id.toString(), toName: 'Bob' });
    expect(paidOutcome(o).undoActionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await available(f.core, bob)).toBe(2_00n);
    // Above the threshold it still asks, and the card says where Bob was seen.
    expect(await pay(alice, { username: '@bob_pay11', platform: 'telegram' }, usd(25_00n))).toMatchObject({
      type: 'rejected',
      error: 'InsufficientFunds',
    });
    await fund(f.core, alice, 30_00n);
    expect(await pay(alice, { username: '@bob_pay11', platform: 'telegram' }, usd(25_00n))).toMatchObject({
      type: 'confirm',
      reason: 'threshold',
      seen: { here: true },
      changedHands: false,
    });
  });

  it('an @username seen only elsewhere keeps the card, saying so', async () => {
    const alice = await person(f.core, 'alice_pay12', 10_00n);
    const bob = await touch(f.core, actor('bob_pay12', { displayName: 'Bob' }));
    await seenInChats(f.db, [{ platform: 'telegram', chatId: '-1009999', personId: bob.id }]);
    const card = await pay(alice, { username: '@bob_pay12', platform: 'telegram' }, usd(2_00n));
    expect(card).toMatchObject({ type: 'confirm', reason: 'username', seen: { here: false }, changedHands: false });
    expect(await available(f.core, bob)).toBe(0n);
  });

  it('an @username that changed hands since the payer last paid it keeps the card, with a warning', async () => {
    const alice = await person(f.core, 'alice_pay13', 10_00n);
    const oldActor = actor('bob_pay13', { displayName: 'Bob' });
    const oldBob = await touch(f.core, oldActor);
    await seenInChats(f.db, [{ ...CHAT, personId: oldBob.id }]);
    expect(await pay(alice, { username: '@bob_pay13', platform: 'telegram' }, usd(1_00n))).toMatchObject({
      type: 'paid',
      toPersonId: oldBob.id.toString(),
    });
    // Bob renames; a newcomer in the same chat takes @bob_pay13.
    await touch(f.core, { ...oldActor, username: 'bob_pay13_old' });
    const newcomer = await touch(f.core, actor('bob_pay13', { displayName: 'Not Bob' }));
    await seenInChats(f.db, [{ ...CHAT, personId: newcomer.id }]);
    const card = await pay(alice, { username: '@bob_pay13', platform: 'telegram' }, usd(1_00n));
    expect(card).toMatchObject({
      type: 'confirm',
      reason: 'username',
      toName: 'Not Bob',
      toPersonId: newcomer.id.toString(),
      changedHands: true,
    });
    expect(await available(f.core, newcomer)).toBe(0n);
    // Confirmed once, the name is the newcomer's for Alice: the next payment goes at once.
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, alice, card.actionId)).toMatchObject({ outcome: { type: 'paid' } });
    expect(await pay(alice, { username: '@bob_pay13', platform: 'telegram' }, usd(1_00n))).toMatchObject({
      type: 'paid',
      toPersonId: newcomer.id.toString(),
    });
    expect(await available(f.core, newcomer)).toBe(2_00n);
  });

  it('a payment the payer cannot cover is refused before any card, saying what they have', async () => {
    const alice = await person(f.core, 'alice_pay14', 78_50n);
    const bob = await person(f.core, 'bob_pay14');
    expect(await pay(alice, { personId: bob.id }, usd(100_00n))).toEqual({
      type: 'rejected',
      error: 'InsufficientFunds',
      available: { minor: '7850', currency: 'USD' },
    });
    // ¥100 with no CNY at all: said at once, not after a tap.
    expect(await pay(alice, { personId: bob.id }, { minor: 100_00n, currency: 'CNY' })).toEqual({
      type: 'rejected',
      error: 'InsufficientFunds',
      available: { minor: '0', currency: 'CNY' },
    });
    // Under the threshold, refused by the ledger: the same answer.
    expect(await pay(alice, { personId: bob.id }, usd(80_00n), { confirmed: true })).toEqual({
      type: 'rejected',
      error: 'InsufficientFunds',
      available: { minor: '7850', currency: 'USD' },
    });
    expect((await f.db.query(`SELECT 1 FROM actions WHERE person_id = $1`, [alice.id])).rowCount).toBe(0);
  });

  it('someone else cannot press the payer’s card or Undo', async () => {
    const alice = await person(f.core, 'alice_pay10', 100_00n);
    const bob = await person(f.core, 'bob_pay10');
    const card = await pay(alice, { personId: bob.id }, usd(25_00n));
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, bob, card.actionId)).toEqual({ type: 'refused', error: 'NotYours' });
    const paid = await press(f.core, alice, card.actionId);
    if (paid.type !== 'done' || paid.kind !== 'pay.confirm' || paid.outcome.type !== 'paid')
      throw new Error('not paid');
    expect(await press(f.core, bob, paid.outcome.undoActionId ?? '')).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await available(f.core, bob)).toBe(25_00n);
  });
});

describe('undo', () => {
  it('within the window reverses the payment and tells the recipient', async () => {
    const alice = await person(f.core, 'alice_undo1', 10_00n);
    const bob = await person(f.core, 'bob_undo1');
    const paid = paidOutcome(await pay(alice, { personId: bob.id }, usd(4_00n)));
    const undo = await press(f.core, alice, String(paid.undoActionId));
    expect(undo).toMatchObject({
      type: 'done',
      kind: 'pay.undo',
      outcome: { type: 'undone', amount: { minor: '400' }, toName: 'Bob_undo1' },
    });
    expect(await available(f.core, alice)).toBe(10_00n);
    expect(await available(f.core, bob)).toBe(0n);
    expect((await notificationsOf(f.db, bob)).map((n) => n.template.key)).toEqual(['pay.received', 'pay.undone']);
    expect(await press(f.core, alice, String(paid.undoActionId))).toEqual({ type: 'refused', error: 'AlreadyUsed' });
  });

  it('is refused once the recipient spent the money', async () => {
    const alice = await person(f.core, 'alice_undo2', 10_00n);
    const bob = await person(f.core, 'bob_undo2');
    const carol = await person(f.core, 'carol_undo2');
    const paid = paidOutcome(await pay(alice, { personId: bob.id }, usd(4_00n)));
    expect(await pay(bob, { personId: carol.id }, usd(3_00n))).toMatchObject({ type: 'paid' });
    const undo = await press(f.core, alice, String(paid.undoActionId));
    expect(undo).toMatchObject({ outcome: { type: 'rejected', error: 'UndoTooLate' } });
    expect(await available(f.core, alice)).toBe(6_00n);
    expect(await available(f.core, bob)).toBe(1_00n);
  });

  it('is refused after the undo window', async () => {
    const quick = coreWith(f.db, { undoWindowMs: 30 });
    const alice = await person(quick, 'alice_undo3', 10_00n);
    const bob = await person(quick, 'bob_undo3');
    const key = ref('tg:undo3');
    const paid = await f.db.transaction((tx) =>
      quick.payments.pay(tx, { key, from: alice, to: { personId: bob.id }, amount: usd(1_00n), chat: CHAT }),
    );
    if (paid.type !== 'paid') throw new Error('not paid');
    await sleep(60);
    expect(await press(quick, alice, String(paid.undoActionId))).toEqual({ type: 'refused', error: 'Expired' });
    expect(await available(quick, bob)).toBe(1_00n);
  });
});

describe('faucet and balances', () => {
  it('the faucet works only with DEMO_MONEY', async () => {
    const off = coreWith(f.db, { demoMoney: false });
    const p = await person(off, 'faucet_off');
    const r = await f.db.transaction((tx) =>
      off.payments.faucet(tx, { key: ref('faucet'), person: p, amount: usd(5_00n) }),
    );
    expect(r).toEqual({ type: 'rejected', error: 'FaucetDisabled' });
    const on = await f.db.transaction((tx) =>
      f.core.payments.faucet(tx, { key: ref('faucet'), person: p, amount: usd(5_00n) }),
    );
    expect(on).toMatchObject({ type: 'funded', amount: usd(5_00n), available: usd(5_00n) });
  });

  it('balances always show the default currency first, even when empty', async () => {
    const empty = await person(f.core, 'empty_bal');
    expect(await f.core.payments.balances(f.db, empty.id)).toEqual([
      { currency: 'USD', available: usd(0n), pendingIn: usd(0n), pendingOut: usd(0n), posted: usd(0n) },
    ]);
    const multi = await person(f.core, 'multi_bal', 0n);
    await fund(f.core, multi, 300n, 'JPY');
    await fund(f.core, multi, 1_00n, 'EUR');
    expect((await f.core.payments.balances(f.db, multi.id)).map((l) => `${l.currency}:${l.available.minor}`)).toEqual([
      'USD:0',
      'EUR:100',
      'JPY:300',
    ]);
  });
});

describe('history and export', () => {
  it('lists payments both ways with counterparts and notes, newest first, paged', async () => {
    const alice = await person(f.core, 'alice_hist', 20_00n);
    const bob = await person(f.core, 'bob_hist', 5_00n);
    await pay(alice, { personId: bob.id }, usd(2_00n), { note: 'coffee' });
    await pay(bob, { personId: alice.id }, usd(1_00n));
    const page = await f.core.payments.history(f.db, alice.id, { limit: 2 });
    expect(page.entries.map((e) => [e.direction, e.amount.minor, e.counterpart, e.note, e.kind, e.state])).toEqual([
      ['in', 1_00n, 'Bob_hist', null, 'pay', 'completed'],
      ['out', 2_00n, 'Bob_hist', 'coffee', 'pay', 'completed'],
    ]);
    const rest = await f.core.payments.history(f.db, alice.id, { limit: 2, cursor: page.next });
    expect(rest.entries.map((e) => [e.direction, e.counterpart, e.kind])).toEqual([['in', 'faucet', 'faucet']]);
    expect(rest.next).toBeNull();
  });

  it('after an Undo, both sides see the payment undone and its reversal as a reversal, with the note, also in CSV', async () => {
    const alice = await person(f.core, 'alice_hist_undo', 30_00n);
    const bob = await person(f.core, 'bob_hist_undo');
    const paid = paidOutcome(await pay(alice, { personId: bob.id }, usd(4_00n), { note: 'rent' }));
    expect(await press(f.core, alice, String(paid.undoActionId))).toMatchObject({ outcome: { type: 'undone' } });
    const original = BigInt(paid.transferId);
    const row = (e: HistoryEntry) => [e.direction, e.amount.minor, e.counterpart, e.note, e.kind, e.state, e.reverses];
    const payer = (await f.core.payments.history(f.db, alice.id, { limit: 2 })).entries;
    expect(payer.map(row)).toEqual([
      ['in', 4_00n, 'Bob_hist_undo', 'rent', 'pay.undo', 'completed', original],
      ['out', 4_00n, 'Bob_hist_undo', 'rent', 'pay', 'undone', null],
    ]);
    const recipient = (await f.core.payments.history(f.db, bob.id, { limit: 5 })).entries;
    expect(recipient.map(row)).toEqual([
      ['out', 4_00n, 'Alice_hist_undo', 'rent', 'pay.undo', 'completed', original],
      ['in', 4_00n, 'Alice_hist_undo', 'rent', 'pay', 'undone', null],
    ]);
    const csv = (await f.core.payments.exportCsv(f.db, alice.id)).split('\r\n');
    expect(csv.at(-3)).toMatch(new RegExp(`,out,4\\.00,USD,Bob_hist_undo,rent,pay,undone,${original},$`));
    expect(csv.at(-2)).toMatch(new RegExp(`,in,4\\.00,USD,Bob_hist_undo,rent,pay\\.undo,completed,\\d+,${original}$`));
  });

  it('exports CSV with quoting and a guard against formula injection', async () => {
    const alice = await person(f.core, 'alice_csv', 20_00n);
    const mallory = await touch(f.core, actor('mallory_csv', { displayName: '=HYPERLINK("http://evil")' }));
    await pay(alice, { personId: mallory.id }, usd(12_50n), { note: 'lunch, "team", @all' });
    const csv = await f.core.payments.exportCsv(f.db, alice.id);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('date,direction,amount,currency,counterpart,note,kind,state,transfer_id,reverses_id');
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[^,]+,in,20\.00,USD,faucet,,faucet,completed,\d+,$/);
    expect(lines[2]).toMatch(
      /,out,12\.50,USD,"'=HYPERLINK\(""http:\/\/evil""\)","lunch, ""team"", @all",pay,completed,\d+,$/,
    );
    expect(lines.at(-1)).toBe('');
  });
});
