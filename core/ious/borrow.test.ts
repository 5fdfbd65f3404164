/**
 * Borrow asks in the core against real Postgres: friends fund parts with one tap, each part an open IOU at once
 * (source 'borrow'), never more than asked in total, the borrower cannot fund their own ask, and the ask closes
 * when fully funded or at its TTL.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import { available, coreWith, person, press, sleep, usd, auditedCore } from '../../test/support/core.js';
import { groupButtonId, once, toWire, type Core, type Person } from '../index.js';
import { zonedParts } from '../time/zoned.js';
import type { BorrowOutcome } from './index.js';

const f = auditedCore({}, 8);

const due = () => {
  const p = zonedParts(new Date(Date.now() + 10 * 86_400_000), 'UTC');
  return { year: p.year, month: p.month, day: p.day };
};
const chatOf = () => ({ platform: 'telegram' as const, chatId: `-100${Math.floor(Math.random() * 1e9)}` });

async function ask(core: Core, borrower: Person, minor: bigint, chat = chatOf()) {
  const key = ref('tg:borrow');
  const r = await once(core.db, { key, personId: borrower.id, command: 'borrow' }, async (tx) =>
    toWire(
      await core.borrow.ask(tx, {
        key,
        borrower,
        amount: usd(minor),
        due: due(),
        timeZone: 'UTC',
        note: 'rent',
        chat: { ...chat, kind: 'group' },
        locale: 'en',
      }),
    ),
  );
  // On the wire: ids as strings.
  const outcome = r.outcome as unknown as {
    type: BorrowOutcome['type'];
    askId: string;
    allActionId: string;
    halfActionId: string;
    record: unknown;
  };
  if (outcome.type !== 'asked') throw new Error(`no ask: ${JSON.stringify(r.outcome)}`);
  return { ...outcome, chat };
}

const fundPress = (who: Person, actionId: string, chat: { platform: 'telegram'; chatId: string }) =>
  press(f.core, who, groupButtonId(actionId), chat);

const borrowIous = async (borrower: Person) =>
  (
    await f.db.query(
      `SELECT lender, amount, state, source, source_ref, lend_transfer_id FROM ious WHERE borrower = $1 ORDER BY id`,
      [borrower.id],
    )
  ).rows;

const askRow = async (id: string) => (await f.db.query(`SELECT * FROM borrow_asks WHERE id = $1`, [id])).rows[0];

describe('borrow asks', () => {
  it('three friends funding at once never fund more than asked; each part is an open IOU', async () => {
    const s = randomUUID().slice(0, 6);
    const bo = await person(f.core, `bo_${s}`);
    const friends = [
      await person(f.core, `f1_${s}`, 100_00n),
      await person(f.core, `f2_${s}`, 100_00n),
      await person(f.core, `f3_${s}`, 100_00n),
    ];
    const a = await ask(f.core, bo, 50_00n);
    const results = await Promise.all(friends.map((p) => fundPress(p, a.allActionId, a.chat)));
    const outcomes = results.map((r) => (r as { outcome?: { type: string } }).outcome?.type);
    // The first takes the whole rest; the others find the ask closed.
    expect(outcomes.filter((t) => t === 'funded')).toHaveLength(1);
    const rows = await borrowIous(bo);
    expect(rows).toHaveLength(1);
    expect(rows.reduce((sum, r) => sum + BigInt(String(r.amount)), 0n)).toBe(50_00n);
    expect(await available(f.core, bo)).toBe(50_00n);
    for (const r of rows) {
      expect(r).toMatchObject({ state: 'open', source: 'borrow' });
      expect(String(r.source_ref)).toMatch(new RegExp(`^borrow:${a.askId}:\\d+:1$`));
      expect(r.lend_transfer_id).not.toBeNull();
    }
    expect(await askRow(a.askId)).toMatchObject({ funded: '5000' });
  });

  it('halves taken together add up to at most the amount, one IOU per part', async () => {
    const s = randomUUID().slice(0, 6);
    const bo = await person(f.core, `bh_${s}`);
    const friends = [
      await person(f.core, `h1_${s}`, 100_00n),
      await person(f.core, `h2_${s}`, 100_00n),
      await person(f.core, `h3_${s}`, 100_00n),
    ];
    const a = await ask(f.core, bo, 40_00n);
    await Promise.all(friends.map((p) => fundPress(p, a.halfActionId, a.chat)));
    const rows = await borrowIous(bo);
    // 20, then 10, then 5: halves of what is left each time.
    expect(rows.map((r) => BigInt(String(r.amount)))).toEqual([20_00n, 10_00n, 5_00n]);
    expect(new Set(rows.map((r) => String(r.source_ref))).size).toBe(3);
    expect(rows.every((r) => r.state === 'open' && r.source === 'borrow')).toBe(true);
    // Then one presses "all": only the 5 left.
    const more = await fundPress(friends[0]!, a.allActionId, a.chat);
    expect(more).toMatchObject({ outcome: { type: 'funded', amount: { minor: '500' }, full: true } });
    const total = (await borrowIous(bo)).reduce((sum, r) => sum + BigInt(String(r.amount)), 0n);
    expect(total).toBe(40_00n);
    // Fully funded: the close job (due now) closes it and tells the borrower.
    await f.core.timed['borrow.close'](f.db, { askId: a.askId }, { key: 'k', dueAt: new Date() });
    expect(await askRow(a.askId)).toMatchObject({ state: 'funded', funded: '4000' });
    const note = await f.db.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1`, [
      `notify:borrow:${a.askId}:closed`,
    ]);
    expect(note.rows[0]?.n).toBe(1);
  });

  it('the borrower cannot fund their own ask; a short lender is refused and may tap again', async () => {
    const s = randomUUID().slice(0, 6);
    const bo = await person(f.core, `bs_${s}`, 100_00n);
    const poor = await person(f.core, `po_${s}`, 1_00n);
    const a = await ask(f.core, bo, 30_00n);
    expect(await fundPress(bo, a.allActionId, a.chat)).toMatchObject({
      outcome: { type: 'rejected', error: 'OwnAsk' },
    });
    expect(await fundPress(poor, a.allActionId, a.chat)).toMatchObject({
      outcome: { type: 'rejected', error: 'LenderShort' },
    });
    expect(await borrowIous(bo)).toHaveLength(0);
    expect(await available(f.core, poor)).toBe(1_00n);
  });

  it('the card carries the borrower’s record', async () => {
    const s = randomUUID().slice(0, 6);
    const bo = await person(f.core, `br_${s}`);
    const friend = await person(f.core, `fr_${s}`, 100_00n);
    const first = await ask(f.core, bo, 10_00n);
    await fundPress(friend, first.allActionId, first.chat);
    const second = await ask(f.core, bo, 10_00n);
    expect(second.record).toEqual({ onTime: 0, late: 0, forgiven: 0, open: 1 });
  });

  it('closes at its TTL with what came in', async () => {
    const short = coreWith(f.db, { borrowTtlMs: 300 });
    const s = randomUUID().slice(0, 6);
    const bo = await person(short, `bt_${s}`);
    const friend = await person(short, `ft_${s}`, 100_00n);
    const a = await ask(short, bo, 30_00n);
    expect(await press(short, friend, groupButtonId(a.halfActionId), a.chat)).toMatchObject({
      outcome: { type: 'funded' },
    });
    expect(await short.borrow.close(f.db, BigInt(a.askId))).toMatchObject({ type: 'noop', reason: 'NotDue' });
    const halfway = await f.db.query(`SELECT kind FROM outbox WHERE key = $1`, [`borrow.nudge:${a.askId}`]);
    expect(halfway.rows[0]?.kind).toBe('borrow.nudge');
    await sleep(400);
    expect(
      await short.timed['borrow.nudge'](f.db, { askId: a.askId }, { key: 'n', dueAt: new Date() }),
    ).toBeUndefined();
    const told = await f.db.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1`, [
      `notify:borrow:${a.askId}:halfway`,
    ]);
    expect(told.rows[0]?.n).toBe(1);
    // The chat hears it too: a reminder posted by the live worker in the ask's chat.
    const inChat = await f.db.query(`SELECT payload FROM outbox WHERE key = $1`, [
      `live.post:borrow:${a.askId}:halfway`,
    ]);
    expect(inChat.rows[0]?.payload).toEqual({
      ref: `borrow:${a.askId}:halfway`,
      platform: 'telegram',
      chatId: a.chat.chatId,
    });
    const reminder = await f.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [`borrow:${a.askId}:halfway`]);
    expect(reminder.rows[0]?.view).toMatchObject({
      template: { key: 'borrow.halfway_chat', params: { rest: '15.00 USD', funded: '15.00 USD', total: '30.00 USD' } },
    });
    expect(await short.borrow.close(f.db, BigInt(a.askId))).toMatchObject({ type: 'closed' });
    expect(await askRow(a.askId)).toMatchObject({ state: 'expired', funded: '1500' });
    // The card shows it closed, without buttons.
    const closedCard = await f.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [`borrow:${a.askId}`]);
    expect(closedCard.rows[0]?.view).toMatchObject({
      template: { params: { reason: 'expired', funded: '15.00 USD' } },
    });
    expect((closedCard.rows[0]?.view as { template: { buttons?: unknown } }).template.buttons).toBeUndefined();
    const late = await press(short, friend, groupButtonId(a.allActionId), a.chat);
    expect((late as { outcome?: unknown }).outcome).toBeUndefined();
    expect(await borrowIous(bo)).toHaveLength(1);
  });

  it('at expiry short of the amount, the borrower asks the same chat again for the rest in one tap', async () => {
    const short = coreWith(f.db, { borrowTtlMs: 300 });
    const s = randomUUID().slice(0, 6);
    const bo = await person(short, `ba_${s}`);
    const friend = await person(short, `fa_${s}`, 100_00n);
    const a = await ask(short, bo, 40_00n);
    await press(short, friend, groupButtonId(a.halfActionId), a.chat);
    await sleep(400);
    await short.borrow.close(f.db, BigInt(a.askId));
    const notice = await f.db.query(`SELECT payload FROM outbox WHERE key = $1`, [`notify:borrow:${a.askId}:closed`]);
    const template = (
      notice.rows[0]?.payload as {
        template: { key: string; params: unknown; buttons: Array<Array<{ labelKey: string; actionId: string }>> };
      }
    ).template;
    expect(template).toMatchObject({
      key: 'borrow.expired',
      params: { funded: '20.00 USD', total: '40.00 USD', rest: '20.00 USD' },
    });
    const [others] = template.buttons[0] ?? [];
    expect(others?.labelKey).toBe('button.askOthers');
    const dm = { platform: 'telegram' as const, chatId: `${bo.id}` };
    const again = await press(short, bo, others?.actionId ?? '', dm);
    expect(again).toMatchObject({ type: 'done', outcome: { type: 'reasked', amount: { minor: '2000' } } });
    const next = await f.db.query(
      `SELECT id, amount, note, due_on = (SELECT due_on FROM borrow_asks WHERE id = $1) AS same_due, chat_id, state
         FROM borrow_asks WHERE reasked_from = $1`,
      [a.askId],
    );
    expect(next.rows[0]).toMatchObject({ amount: '2000', note: 'rent', same_due: true, chat_id: a.chat.chatId });
    const newId = String(next.rows[0]?.id);
    // No command reply carries the new card: the live worker posts it in the same chat.
    const post = await f.db.query(`SELECT payload FROM outbox WHERE key = $1`, [`live.post:borrow:${newId}`]);
    expect(post.rows[0]?.payload).toEqual({ ref: `borrow:${newId}`, platform: 'telegram', chatId: a.chat.chatId });
    // Its Lend buttons work in that chat.
    const card = await f.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [`borrow:${newId}`]);
    const buttons = (card.rows[0]?.view as { template: { buttons: Array<Array<{ actionId: string }>> } }).template
      .buttons;
    const lent = await press(short, friend, buttons[0]?.[0]?.actionId ?? '', a.chat);
    expect(lent).toMatchObject({ outcome: { type: 'funded', amount: { minor: '2000' }, full: true } });
    // One tap only: the button is used up.
    expect(await press(short, bo, others?.actionId ?? '', dm)).toMatchObject({ type: 'refused' });
  });

  it('a fully funded ask sends no half-time reminder', async () => {
    const short = coreWith(f.db, { borrowTtlMs: 300 });
    const s = randomUUID().slice(0, 6);
    const bo = await person(short, `bn_${s}`);
    const friend = await person(short, `fn_${s}`, 100_00n);
    const a = await ask(short, bo, 10_00n);
    await press(short, friend, groupButtonId(a.allActionId), a.chat);
    await sleep(200);
    expect(await short.borrow.nudge(f.db, BigInt(a.askId))).toMatchObject({ type: 'noop', reason: 'Resolved' });
    const posts = await f.db.query(`SELECT count(*)::int AS n FROM outbox WHERE key LIKE $1`, [
      `%borrow:${a.askId}:halfway`,
    ]);
    expect(posts.rows[0]?.n).toBe(0);
  });
});

describe('lending a custom amount to an ask', () => {
  it('is capped at what is left and refused in another currency', async () => {
    const s = randomUUID().slice(0, 6);
    const bo = await person(f.core, `bc_${s}`);
    const friend = await person(f.core, `fc_${s}`, 100_00n);
    const a = await ask(f.core, bo, 30_00n);
    const lend = (amount: { minor: bigint; currency: string }) =>
      f.db.transaction((tx) => f.core.borrow.fund(tx, { askId: BigInt(a.askId), lender: friend.id, amount }));
    expect(await lend({ minor: 5_00n, currency: 'EUR' })).toEqual({ type: 'rejected', error: 'InvalidAmount' });
    expect(await lend(usd(10_00n))).toMatchObject({ type: 'funded', amount: usd(10_00n), full: false });
    expect(await lend(usd(99_00n))).toMatchObject({ type: 'funded', amount: usd(20_00n), full: true });
    expect(await lend(usd(1_00n))).toEqual({ type: 'rejected', error: 'AskClosed' });
    expect((await borrowIous(bo)).map((r) => String(r.source_ref))).toEqual([
      `borrow:${a.askId}:${friend.id}:1`,
      `borrow:${a.askId}:${friend.id}:2`,
    ]);
  });
});
