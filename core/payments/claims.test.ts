import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import {
  actor,
  available,
  CHAT,
  coreWith,
  notificationsOf,
  outbox,
  person,
  press,
  sleep,
  touch,
  usd,
  auditedCore,
} from '../../test/support/core.js';
import { once, toWire } from '../index.js';
import type { Core } from '../index.js';
import { JobNotDue } from '../jobs.js';
import type { Person } from '../people/index.js';
import type { PayInput } from './index.js';

const f = auditedCore({}, 10);

function pay(core: Core, from: Person, to: PayInput['to'], amount = usd(5_00n)) {
  const key = ref('tg:claim');
  return once(core.db, { key, personId: from.id, command: 'pay' }, async (tx) =>
    toWire(await core.payments.pay(tx, { key, from, to, amount, chat: CHAT })),
  ).then((r) => r.outcome);
}

async function escrowed(core: Core, from: Person, username: string, amount = usd(5_00n)) {
  const o = await pay(core, from, { username, platform: 'telegram' }, amount);
  if (o.type !== 'escrowed') throw new Error(`expected escrow, got ${JSON.stringify(o)}`);
  return o;
}

/** The Release button the sender got when the claimant showed up. */
async function releaseButton(sender: Person): Promise<string> {
  const n = (await notificationsOf(f.db, sender)).find((x) => x.template.key === 'claim.matched');
  const id = n?.template.buttons?.[0]?.[0]?.actionId;
  if (!id) throw new Error('no release button');
  return id;
}

const claimState = async (claimId: string) =>
  String((await f.db.query(`SELECT state FROM claims WHERE id = $1`, [claimId])).rows[0]?.state);

describe('money for an @username nobody has seen', () => {
  it('is held in escrow and shown to the sender as pending out', async () => {
    const alice = await person(f.core, 'alice_cl1', 20_00n);
    const o = await escrowed(f.core, alice, '@Ghost_cl1', usd(7_00n));
    expect(o).toMatchObject({ username: 'ghost_cl1', amount: { minor: '700' }, platform: 'telegram' });
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line).toMatchObject({ available: usd(13_00n), pendingOut: usd(7_00n), posted: usd(20_00n) });
    expect(await outbox(f.db, `claim.expire:${o.claimId}:`)).toMatchObject([
      { kind: 'claim.expire', state: 'pending', payload: { claimId: o.claimId } },
    ]);
    const [entry] = (await f.core.payments.history(f.db, alice.id, { limit: 1 })).entries;
    expect(entry).toMatchObject({
      direction: 'out',
      counterpart: '@ghost_cl1 (unclaimed)',
      state: 'pending',
      kind: 'claim.hold',
    });
  });

  it('above the threshold it asks first, then holds on the tap', async () => {
    const alice = await person(f.core, 'alice_cl2', 50_00n);
    const card = await pay(f.core, alice, { username: 'ghost_cl2', platform: 'telegram' }, usd(30_00n));
    expect(card).toMatchObject({ type: 'confirm', reason: 'threshold', toName: '@ghost_cl2', toPersonId: null });
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, alice, card.actionId)).toMatchObject({
      outcome: { type: 'escrowed', username: 'ghost_cl2' },
    });
    expect(await available(f.core, alice)).toBe(20_00n);
  });

  it('when the name is taken before the sender confirms the hold, they get the holder’s card instead', async () => {
    const alice = await person(f.core, 'alice_cl2b', 50_00n);
    const card = await pay(f.core, alice, { username: 'ghost_cl2b', platform: 'telegram' }, usd(30_00n));
    if (card.type !== 'confirm') throw new Error('no card');
    const ghostActor = actor('ghost_cl2b');
    const ghost = await touch(f.core, ghostActor);
    const second = await press(f.core, alice, card.actionId);
    expect(second).toMatchObject({ outcome: { type: 'confirm', reason: 'username', toUserId: ghostActor.userId } });
    expect(await available(f.core, ghost)).toBe(0n);
    if (second.type !== 'done' || second.outcome.type !== 'confirm') throw new Error('no second card');
    expect(await press(f.core, alice, second.outcome.actionId)).toMatchObject({ outcome: { type: 'paid' } });
    expect(await available(f.core, ghost)).toBe(30_00n);
  });

  it('without the money nothing is held and no claim is left behind', async () => {
    const alice = await person(f.core, 'alice_cl3', 1_00n);
    expect(await pay(f.core, alice, { username: 'ghost_cl3', platform: 'telegram' }, usd(2_00n))).toEqual({
      type: 'rejected',
      error: 'InsufficientFunds',
      available: { minor: '100', currency: 'USD' },
    });
    expect((await f.db.query(`SELECT 1 FROM claims WHERE username = 'ghost_cl3'`)).rowCount).toBe(0);
  });

  it('the claimant’s first message tells the sender their name and id with a Release button; release pays them', async () => {
    const alice = await person(f.core, 'alice_cl4', 20_00n);
    const o = await escrowed(f.core, alice, 'ghost_cl4', usd(6_00n));
    const ghostActor = actor('Ghost_cl4', { displayName: 'Ghost' });
    const seen = await f.core.people.seen(ghostActor);
    expect(seen).toMatchObject({ ok: true, matchedClaims: [BigInt(o.claimId)] });
    const matched = (await notificationsOf(f.db, alice)).find((n) => n.template.key === 'claim.matched');
    expect(matched?.template).toMatchObject({
      params: {
        amount: '6.00 USD',
        username: 'ghost_cl4',
        claimantName: 'Ghost',
        claimantId: ghostActor.userId,
        platform: 'telegram',
      },
      buttons: [[{ labelKey: 'button.release' }], [{ labelKey: 'button.return' }]],
    });
    expect(await claimState(o.claimId)).toBe('matched');

    const ghost = await touch(f.core, ghostActor);
    expect(await available(f.core, ghost)).toBe(0n);
    const release = await releaseButton(alice);
    // Only the sender can release.
    expect(await press(f.core, ghost, release)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, alice, release)).toMatchObject({
      type: 'done',
      kind: 'claim.release',
      outcome: { type: 'released', claimantName: 'Ghost', amount: { minor: '600' } },
    });
    expect(await available(f.core, ghost)).toBe(6_00n);
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line).toMatchObject({ available: usd(14_00n), pendingOut: usd(0n), posted: usd(14_00n) });
    expect(await claimState(o.claimId)).toBe('released');
    expect((await notificationsOf(f.db, ghost)).map((n) => n.template)).toEqual([
      { key: 'claim.received', params: { amount: '6.00 USD', from: 'Alice_cl4' }, deferrable: false },
    ]);
    expect(await outbox(f.db, `claim.expire:${o.claimId}:`)).toMatchObject([{ state: 'cancelled' }]);
    // A second tap does nothing more; the expiry job finds nothing to do.
    expect(await press(f.core, alice, release)).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    expect(await f.core.payments.expireClaim(f.db, BigInt(o.claimId))).toMatchObject({
      type: 'noop',
      reason: 'Resolved',
    });
    expect(await available(f.core, ghost)).toBe(6_00n);
    const history = (await f.core.payments.history(f.db, alice.id, { limit: 1 })).entries[0];
    expect(history).toMatchObject({ counterpart: '@ghost_cl4', state: 'completed' });
    expect((await f.core.payments.history(f.db, ghost.id, { limit: 1 })).entries[0]).toMatchObject({
      direction: 'in',
      counterpart: 'Alice_cl4',
      kind: 'claim.release',
    });
  });

  it('expiry returns the money to the sender and tells them; an early run does nothing', async () => {
    const quick = coreWith(f.db, { holdTtlMs: 300 });
    const alice = await person(quick, 'alice_cl5', 10_00n);
    const o = await escrowed(quick, alice, 'ghost_cl5', usd(4_00n));
    await expect(
      quick.timed['claim.expire'](
        f.db,
        { claimId: o.claimId },
        { key: `claim.expire:${o.claimId}:1`, dueAt: new Date() },
      ),
    ).rejects.toBeInstanceOf(JobNotDue);
    expect(await available(quick, alice)).toBe(6_00n);
    await sleep(350);
    await quick.timed['claim.expire'](
      f.db,
      { claimId: o.claimId },
      { key: `claim.expire:${o.claimId}:1`, dueAt: new Date() },
    );
    expect(await available(quick, alice)).toBe(10_00n);
    expect(await claimState(o.claimId)).toBe('returned');
    expect((await notificationsOf(f.db, alice)).map((n) => n.template)).toEqual([
      { key: 'claim.returned', params: { amount: '4.00 USD', username: 'ghost_cl5', reason: 'expired' } },
    ]);
    // A duplicate run is a no-op.
    await quick.timed['claim.expire'](
      f.db,
      { claimId: o.claimId },
      { key: `claim.expire:${o.claimId}:1`, dueAt: new Date() },
    );
    expect(await available(quick, alice)).toBe(10_00n);
    expect((await f.core.payments.history(f.db, alice.id, { limit: 1 })).entries[0]).toMatchObject({
      state: 'returned',
    });
  });

  it('the sender can take the money back before anyone claims it', async () => {
    const alice = await person(f.core, 'alice_cl6', 10_00n);
    const o = await escrowed(f.core, alice, 'ghost_cl6', usd(4_00n));
    expect(await press(f.core, alice, o.returnActionId)).toMatchObject({
      kind: 'claim.return',
      outcome: { type: 'returned', reason: 'cancelled' },
    });
    expect(await available(f.core, alice)).toBe(10_00n);
    // The claimant arriving later matches nothing.
    expect(await f.core.people.seen(actor('ghost_cl6'))).toMatchObject({ ok: true, matchedClaims: [] });
  });

  it('expiry racing release ends in exactly one outcome, and the money moves once', async () => {
    const quick = coreWith(f.db, { holdTtlMs: 1_500 });
    const senders: Person[] = [];
    const claims: Array<{ claimId: string; release: string; claimant: Person; deadline: number }> = [];
    for (let i = 0; i < 12; i++) {
      const sender = await person(quick, `alice_race${i}`, 5_00n);
      const o = await escrowed(quick, sender, `ghost_race${i}`, usd(5_00n));
      const claimant = await touch(quick, actor(`ghost_race${i}`));
      senders.push(sender);
      claims.push({
        claimId: o.claimId,
        release: await releaseButton(sender),
        claimant,
        deadline: Date.parse(o.expiresAt),
      });
    }
    const at = (t: number) => sleep(Math.max(0, t - Date.now()));
    // Each release lands somewhere from just before to just after its claim's deadline, while the
    // expiry job runs repeatedly around that same moment.
    await Promise.all(
      claims.flatMap((c, i) => [
        at(c.deadline - 40 + i * 8).then(() => press(quick, senders[i] as Person, c.release)),
        ...[-30, -10, 0, 5, 15, 40, 80].map((d) =>
          at(c.deadline + d).then(() => quick.payments.expireClaim(f.db, BigInt(c.claimId))),
        ),
      ]),
    );
    await sleep(100);
    const outcomes = { released: 0, returned: 0 };
    for (const [i, c] of claims.entries()) {
      await quick.payments.expireClaim(f.db, BigInt(c.claimId));
      const state = await claimState(c.claimId);
      const balances = [await available(quick, senders[i] as Person), await available(quick, c.claimant)];
      if (state === 'released') {
        outcomes.released++;
        expect(balances).toEqual([0n, 5_00n]);
      } else {
        expect(state).toBe('returned');
        outcomes.returned++;
        expect(balances).toEqual([5_00n, 0n]);
      }
      // The hold was resolved exactly once.
      const resolutions = await f.db.query(
        `SELECT count(*) AS n FROM transfers t JOIN claims c ON c.hold_transfer_id = t.pending_id WHERE c.id = $1`,
        [c.claimId],
      );
      expect(Number(resolutions.rows[0]?.n)).toBe(1);
    }
    expect(outcomes.released + outcomes.returned).toBe(12);
  });

  it('a renamed user: @alice renamed, Mallory takes @alice; a pay to @alice reaches Mallory only through her card', async () => {
    const sender = await person(f.core, 'sender_ren', 20_00n);
    const aliceActor = actor('alice_ren', { displayName: 'Alice' });
    const alice = await touch(f.core, aliceActor);
    await touch(f.core, { ...aliceActor, username: 'alice_ren_old' });
    const malloryActor = actor('alice_ren', { displayName: 'Alice' });
    const mallory = await touch(f.core, malloryActor);

    const card = await pay(f.core, sender, { username: 'alice_ren', platform: 'telegram' }, usd(3_00n));
    // The card names the current holder by immutable id: not Alice's.
    expect(card).toMatchObject({
      type: 'confirm',
      reason: 'username',
      toUserId: malloryActor.userId,
      toPersonId: mallory.id.toString(),
    });
    expect(await available(f.core, mallory)).toBe(0n);
    expect(await available(f.core, alice)).toBe(0n);
    if (card.type !== 'confirm') throw new Error('no card');
    expect(await press(f.core, sender, card.actionId)).toMatchObject({
      outcome: { type: 'paid', toPersonId: mallory.id.toString() },
    });
    expect(await available(f.core, mallory)).toBe(3_00n);
    expect(await available(f.core, alice)).toBe(0n);
  });

  it('money held for a username is matched to whoever takes it, and the sender decides', async () => {
    const sender = await person(f.core, 'sender_ren2', 20_00n);
    const o = await escrowed(f.core, sender, 'bob_ren2', usd(2_00n));
    const impostor = actor('bob_ren2', { displayName: 'Bob' });
    await f.core.people.seen(impostor);
    const matched = (await notificationsOf(f.db, sender)).find((n) => n.template.key === 'claim.matched');
    expect(matched?.template.params.claimantId).toBe(impostor.userId);
    // The sender does not recognise the id and takes the money back.
    const back = matched?.template.buttons?.[1]?.[0]?.actionId ?? '';
    expect(await press(f.core, sender, back)).toMatchObject({ outcome: { type: 'returned', reason: 'cancelled' } });
    expect(await available(f.core, sender)).toBe(20_00n);
    expect(await press(f.core, sender, await releaseButton(sender))).toEqual({ type: 'refused', error: 'Expired' });
    expect(await claimState(o.claimId)).toBe('returned');
  });
});
