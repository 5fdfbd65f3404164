/**
 * Settle-up in the core against real Postgres: the plan clears the open IOUs among a chat's members with the fewest
 * transfers, each payer approves their leg, and the last approval runs every leg as one unit that closes the IOUs —
 * or nothing moves (someone short, or an IOU changed meanwhile).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import { available, fund, person, press, usd, auditedCore } from '../../test/support/core.js';
import { seenInChats } from '../groups/index.js';
import { once, toWire, type Person } from '../index.js';
import { zonedParts } from '../time/zoned.js';
import type { SettleOutcome } from './index.js';

const f = auditedCore({}, 8);

const due = () => {
  const p = zonedParts(new Date(Date.now() + 10 * 86_400_000), 'UTC');
  return { year: p.year, month: p.month, day: p.day };
};

/** A group chat whose members are `people`. */
async function groupOf(people: readonly Person[]) {
  const chat = { platform: 'telegram' as const, chatId: `-100${Math.floor(Math.random() * 1e9)}` };
  for (const p of people) await seenInChats(f.db, [{ ...chat, personId: p.id }]);
  return chat;
}

/** `lender` lends `borrower` `minor` in `chat`, confirmed. */
async function lend(
  chat: { platform: 'telegram'; chatId: string },
  lender: Person,
  borrower: Person,
  minor: bigint,
  note: string,
) {
  const key = ref('tg:iou');
  const offered = await once(f.db, { key, personId: lender.id, command: 'iou' }, async (tx) =>
    toWire(
      await f.core.ious.offer(tx, {
        key,
        lender,
        borrower: { personId: borrower.id },
        amount: usd(minor),
        due: due(),
        timeZone: 'UTC',
        chat,
        note,
      }),
    ),
  ).then((r) => r.outcome);
  if (offered.type !== 'offered') throw new Error(`no offer: ${JSON.stringify(offered)}`);
  expect(await press(f.core, borrower, offered.confirmActionId, chat)).toMatchObject({
    outcome: { type: 'confirmed' },
  });
}

const settle = (chat: { platform: 'telegram'; chatId: string }, requester: Person): Promise<SettleOutcome> =>
  f.db.transaction((tx) =>
    f.core.settleUp.create(tx, { key: ref('tg:settle'), requester, chat: { ...chat, kind: 'group' } }),
  );

const openIous = async (ids: readonly bigint[]) =>
  Number(
    (
      await f.db.query(
        `SELECT count(*)::int AS n FROM ious WHERE state = 'open' AND (lender = ANY($1) OR borrower = ANY($1))`,
        [ids],
      )
    ).rows[0]?.n,
  );

async function three(tag: string) {
  const s = randomUUID().slice(0, 6);
  const ann = await person(f.core, `ann_${tag}${s}`, 100_00n);
  const ben = await person(f.core, `ben_${tag}${s}`, 100_00n);
  const sara = await person(f.core, `sara_${tag}${s}`, 100_00n);
  const chat = await groupOf([ann, ben, sara]);
  // Sara lent Ann 12 (dinner) and Ben 8 (taxi); Ann lent Ben 5 (coffee).
  await lend(chat, sara, ann, 12_00n, 'dinner');
  await lend(chat, sara, ben, 8_00n, 'taxi');
  await lend(chat, ann, ben, 5_00n, 'coffee');
  return { ann, ben, sara, chat };
}

describe('settling up a group', () => {
  it('three friends: two transfers clear three IOUs, each payer approves, and it all runs at once', async () => {
    const { ann, ben, sara, chat } = await three('s1');
    const before = [await available(f.core, ann), await available(f.core, ben), await available(f.core, sara)];
    const plan = await settle(chat, sara);
    if (plan.type !== 'planned') throw new Error(`no plan: ${JSON.stringify(plan)}`);
    // Ann's net −7 (owes 12, is owed 5), Ben's −13, Sara's +20.
    expect(plan.legs.map((l) => [l.payerName, l.payeeName, l.amount.minor])).toEqual([
      [ben.displayName, sara.displayName, 13_00n],
      [ann.displayName, sara.displayName, 7_00n],
    ]);
    expect(plan.legs.find((l) => l.payerName === ann.displayName)?.why).toEqual(['dinner']);
    expect(plan.legs.find((l) => l.payerName === ben.displayName)?.why).toEqual(['taxi']);

    const annLeg = plan.legs.find((l) => l.payerName === ann.displayName)!;
    const benLeg = plan.legs.find((l) => l.payerName === ben.displayName)!;
    // Only Ann can approve Ann's leg; nothing moves until both approved.
    expect(await press(f.core, ben, annLeg.actionId!, chat)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, ann, annLeg.actionId!, chat)).toMatchObject({ outcome: { type: 'approved' } });
    expect(await available(f.core, ann)).toBe(before[0]);
    expect(await press(f.core, ben, benLeg.actionId!, chat)).toMatchObject({ outcome: { type: 'settled', ious: 3 } });

    expect([await available(f.core, ann), await available(f.core, ben), await available(f.core, sara)]).toEqual([
      before[0]! - 7_00n,
      before[1]! - 13_00n,
      before[2]! + 20_00n,
    ]);
    expect(await openIous([ann.id, ben.id, sara.id])).toBe(0);
    const unit = await f.db.query(`SELECT count(*)::int AS n FROM transfers WHERE ref LIKE $1`, [
      `settle:${plan.settlementId}#%`,
    ]);
    expect(unit.rows[0]?.n).toBe(2);
    // Each IOU's history names the settle-up that cleared it.
    const cleared = await f.db.query(
      `SELECT count(*)::int AS n FROM iou_events WHERE kind = 'repaid' AND batch_ref = $1`,
      [`settle:${plan.settlementId}`],
    );
    expect(cleared.rows[0]?.n).toBe(3);
  });

  it('a payer who is short moves nothing for anyone, is named, and can approve again after topping up', async () => {
    const { ann, ben, sara, chat } = await three('s2');
    // Ben (100 + 8 + 5 lent to him) spends 105 first: 8 left for a 13 leg.
    const spent = await f.db.transaction((tx) =>
      f.core.payments.pay(tx, {
        key: ref('tg:pay'),
        from: ben,
        to: { personId: sara.id },
        amount: usd(105_00n),
        chat,
        confirmed: true,
      }),
    );
    expect(spent.type).toBe('paid');
    const plan = await settle(chat, ann);
    if (plan.type !== 'planned') throw new Error('no plan');
    const benLeg = plan.legs.find((l) => l.payerName === ben.displayName)!;
    const annLeg = plan.legs.find((l) => l.payerName === ann.displayName)!;
    const annBefore = await available(f.core, ann);
    await press(f.core, ben, benLeg.actionId!, chat);
    const short = await press(f.core, ann, annLeg.actionId!, chat);
    expect(short).toMatchObject({ outcome: { type: 'short', short: [{ name: ben.displayName }] } });
    expect(await available(f.core, ann)).toBe(annBefore);
    expect(await openIous([ann.id, ben.id, sara.id])).toBe(3);

    await fund(f.core, ben, 50_00n);
    expect(await press(f.core, ben, benLeg.actionId!, chat)).toMatchObject({ outcome: { type: 'settled' } });
    expect(await openIous([ann.id, ben.id, sara.id])).toBe(0);
  });

  it('an IOU repaid after the plan was made makes it stale: nothing moves, and a new /settle plans afresh', async () => {
    const { ann, ben, sara, chat } = await three('s3');
    const plan = await settle(chat, sara);
    if (plan.type !== 'planned') throw new Error('no plan');
    const key = ref('tg:repay');
    await once(f.db, { key, personId: ann.id, command: 'repay' }, async (tx) =>
      toWire(
        await f.core.ious.repay(tx, { key, borrower: ann, lender: { personId: sara.id }, amount: usd(2_00n), chat }),
      ),
    );
    const balances = [await available(f.core, ann), await available(f.core, ben)];
    for (const leg of plan.legs) {
      const payer = leg.payerName === ann.displayName ? ann : ben;
      await press(f.core, payer, leg.actionId!, chat);
    }
    const state = await f.db.query(`SELECT state FROM settlements WHERE id = $1`, [plan.settlementId]);
    expect(state.rows[0]?.state).toBe('stale');
    expect([await available(f.core, ann), await available(f.core, ben)]).toEqual(balances);
    expect(await openIous([ann.id, ben.id, sara.id])).toBe(3);
    expect((await settle(chat, sara)).type).toBe('planned');
  });

  it('debts that cancel out are cleared at once; a chat without open IOUs has nothing to settle', async () => {
    const s = randomUUID().slice(0, 6);
    const kim = await person(f.core, `kim_${s}`, 50_00n);
    const lee = await person(f.core, `lee_${s}`, 50_00n);
    const chat = await groupOf([kim, lee]);
    expect(await settle(chat, kim)).toEqual({ type: 'rejected', error: 'NothingToSettle' });
    await lend(chat, kim, lee, 5_00n, 'lunch');
    await lend(chat, lee, kim, 5_00n, 'coffee');
    expect(await settle(chat, kim)).toMatchObject({ type: 'cleared', ious: 2 });
    expect(await openIous([kim.id, lee.id])).toBe(0);
  });
});
