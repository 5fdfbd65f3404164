/**
 * Settle-up (`/settle` in a group): the fewest transfers that clear every open IOU among the chat's members (the
 * pure plan in settle.ts), each approved by its payer with their own button. The last approval runs every leg as one
 * ledger unit `settle:<id>` and closes every IOU the plan covered, in the same transaction — or nothing at all: a
 * payer who is short is named (their approval taken back, to tap again after topping up), and an IOU repaid or
 * forgiven meanwhile makes the plan stale. The settlement row is locked first, so of two last approvals one runs it.
 */
import type { Action } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import { createAction, reopenAction } from '../actions/service.js';
import type { Executor, Tx } from '../db/executor.js';
import { big } from '../db/rows.js';
import { membersOf } from '../groups/service.js';
import { balancesOf, openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import { idFrom } from '../outbox/jobs.js';
import { walletOwner, type Person } from '../people/model.js';
import type { People } from '../people/service.js';
import type { Platform } from '../platform.js';
import { SETTLE_APPROVE, type SettleApproveOutcome, type SettleLegView, type SettleOutcome } from './model.js';
import type { Ious } from './service.js';
import { planSettlement } from './settle.js';

/** How long the payers have to approve. */
const APPROVE_TTL_MS = 48 * 3_600_000;
export const settleRef = (id: bigint): string => `settle:${id}`;

export interface SettleUpDeps {
  ious: Pick<Ious, 'openAmong' | 'clear'>;
  ledger: Pick<Ledger, 'apply'>;
  people: Pick<People, 'get'>;
  log?: Log;
}

export interface SettleUp {
  /** Each payer's Approve button. */
  readonly actions: readonly ActionHandler[];
  create(
    tx: Tx,
    input: { key: string; requester: Person; chat: { platform: Platform; chatId: string; kind: 'private' | 'group' } },
  ): Promise<SettleOutcome>;
}

interface LegRow {
  position: number;
  payer: bigint;
  payee: bigint;
  amount: bigint;
  currency: string;
  actionId: string;
  approved: boolean;
}

export function createSettleUp(deps: SettleUpDeps): SettleUp {
  const { ious, ledger, people } = deps;
  const log = deps.log ?? silentLog;

  const nameOf = async (exec: Executor, id: bigint) => (await people.get(exec, id))?.displayName ?? '—';

  async function legsOf(exec: Executor, settlementId: bigint): Promise<LegRow[]> {
    const r = await exec.query(
      `SELECT position, payer, payee, amount, currency, action_id, approved_at IS NOT NULL AS approved
         FROM settlement_legs WHERE settlement_id = $1 ORDER BY position`,
      [settlementId],
    );
    return r.rows.map((row) => ({
      position: Number(row.position),
      payer: big(row.payer),
      payee: big(row.payee),
      amount: big(row.amount),
      currency: String(row.currency).trim(),
      actionId: String(row.action_id),
      approved: row.approved === true,
    }));
  }

  /** The card's legs: names, amounts, why (the payer's own IOUs it clears), and the buttons still to press. */
  async function viewOf(exec: Executor, settlementId: bigint, open: boolean): Promise<SettleLegView[]> {
    const legs = await legsOf(exec, settlementId);
    const notes = (
      await exec.query(
        `SELECT i.borrower, i.lender, i.note FROM settlement_ious s JOIN ious i ON i.id = s.iou_id
          WHERE s.settlement_id = $1 AND i.note IS NOT NULL ORDER BY i.id`,
        [settlementId],
      )
    ).rows.map((n) => ({ borrower: big(n.borrower), lender: big(n.lender), note: String(n.note) }));
    // Why a leg: the payer's IOUs to that payee, or (a netted leg) everything the payer owes that it clears.
    const why = (leg: LegRow): string[] => {
      const own = notes.filter((n) => n.borrower === leg.payer);
      const direct = own.filter((n) => n.lender === leg.payee);
      return (direct.length > 0 ? direct : own).map((n) => n.note);
    };
    return Promise.all(
      legs.map(async (leg) => ({
        position: leg.position,
        payerName: await nameOf(exec, leg.payer),
        payeeName: await nameOf(exec, leg.payee),
        amount: { minor: leg.amount, currency: leg.currency },
        why: why(leg),
        approved: leg.approved,
        actionId: open && !leg.approved ? leg.actionId : null,
      })),
    );
  }

  async function covered(tx: Tx, settlementId: bigint) {
    const r = await tx.query(`SELECT iou_id, outstanding FROM settlement_ious WHERE settlement_id = $1`, [
      settlementId,
    ]);
    return r.rows.map((row) => ({ id: big(row.iou_id), outstanding: big(row.outstanding) }));
  }

  const decide = (tx: Tx, id: bigint, state: 'done' | 'stale') =>
    tx.query(`UPDATE settlements SET state = $2, decided_at = now() WHERE id = $1`, [id, state]);

  /** Payers whose wallets cannot cover their legs now, with what they have and need. */
  async function shortPayers(tx: Tx, legs: readonly LegRow[]) {
    const needs = new Map<string, { payer: bigint; currency: string; needed: bigint }>();
    for (const leg of legs) {
      const k = `${leg.payer}:${leg.currency}`;
      const need = needs.get(k) ?? { payer: leg.payer, currency: leg.currency, needed: 0n };
      need.needed += leg.amount;
      needs.set(k, need);
    }
    const short: Array<{ payer: bigint; name: string; available: bigint; needed: bigint; currency: string }> = [];
    for (const need of needs.values()) {
      const wallet = (await balancesOf(tx, walletOwner(need.payer))).find((b) => b.currency === need.currency);
      const available = wallet?.available ?? 0n;
      if (available < need.needed) short.push({ ...need, name: await nameOf(tx, need.payer), available });
    }
    return short;
  }

  /** Every leg approved: all of them in one unit and every covered IOU closed, or nothing. */
  async function run(tx: Tx, settlementId: bigint, legs: LegRow[], actor: bigint): Promise<SettleApproveOutcome> {
    const short = await shortPayers(tx, legs);
    if (short.length > 0) {
      // Those short tap again once they have topped up; the others' approvals stand.
      for (const leg of legs.filter((l) => short.some((s) => s.payer === l.payer))) {
        await tx.query(`UPDATE settlement_legs SET approved_at = NULL WHERE settlement_id = $1 AND position = $2`, [
          settlementId,
          leg.position,
        ]);
        await reopenAction(tx, leg.actionId);
      }
      return {
        type: 'short',
        settlementId,
        legs: await viewOf(tx, settlementId, true),
        short: short.map((s) => ({
          name: s.name,
          available: { minor: s.available, currency: s.currency },
          needed: { minor: s.needed, currency: s.currency },
        })),
      };
    }
    const ref = settleRef(settlementId);
    const cleared = await covered(tx, settlementId);
    // The IOUs first (locked, checked, closed), then the money; a refusal of the unit rolls both back.
    if (!(await ious.clear(tx, { ious: cleared, batchRef: ref, actor }))) {
      await decide(tx, settlementId, 'stale');
      return { type: 'stale', settlementId };
    }
    const accounts = await openAccounts(
      tx,
      legs.flatMap((leg) => [
        { kind: 'wallet' as const, owner: walletOwner(leg.payer), currency: leg.currency },
        { kind: 'wallet' as const, owner: walletOwner(leg.payee), currency: leg.currency },
      ]),
    );
    const applied = await ledger.apply(tx, {
      legs: legs.map((leg, i) => {
        const [debit, credit] = [accounts[2 * i], accounts[2 * i + 1]];
        if (!debit || !credit) throw new Error(`settle-up ${settlementId}: accounts were not opened`);
        return {
          op: 'transfer' as const,
          ref: `${ref}#${leg.position}`,
          debit: debit.id,
          credit: credit.id,
          amount: leg.amount,
          kind: 'settle',
          meta: { settlement: settlementId.toString() },
        };
      }),
    });
    // A wallet checked a moment ago and spent since: the whole transaction is retried by its owner, who finds it
    // short this time and says so.
    if (!applied.ok) throw new Error(`settle-up ${settlementId} refused by the ledger: ${applied.error}`);
    await decide(tx, settlementId, 'done');
    log.info({ settlementId: settlementId.toString(), legs: legs.length, ious: cleared.length }, 'settled up');
    return { type: 'settled', settlementId, legs: await viewOf(tx, settlementId, false), ious: cleared.length };
  }

  async function approve(tx: Tx, action: Action): Promise<SettleApproveOutcome> {
    const settlementId = idFrom(action.payload, 'settlementId', action.kind);
    const position = Number(idFrom(action.payload, 'position', action.kind));
    const r = await tx.query(`SELECT state FROM settlements WHERE id = $1 FOR UPDATE`, [settlementId]);
    const state = r.rows[0]?.state;
    if (state === undefined) return { type: 'rejected', error: 'UnknownSettlement' };
    if (state !== 'open') return { type: 'rejected', error: 'SettlementClosed' };
    await tx.query(
      `UPDATE settlement_legs SET approved_at = now()
        WHERE settlement_id = $1 AND position = $2 AND payer = $3 AND approved_at IS NULL`,
      [settlementId, position, action.personId],
    );
    const legs = await legsOf(tx, settlementId);
    if (legs.some((leg) => !leg.approved))
      return { type: 'approved', settlementId, legs: await viewOf(tx, settlementId, true) };
    return run(tx, settlementId, legs, action.personId);
  }

  return {
    actions: [handles(SETTLE_APPROVE, approve)],

    async create(tx, input) {
      const { chat } = input;
      if (chat.kind !== 'group') return { type: 'rejected', error: 'NotInGroup' };
      const members = await membersOf(tx, { platform: chat.platform, chatId: chat.chatId });
      const open = await ious.openAmong(
        tx,
        members.map((m) => m.personId),
      );
      if (open.length === 0) return { type: 'rejected', error: 'NothingToSettle' };
      const inserted = await tx.query(
        `INSERT INTO settlements (key, platform, chat_id, requester) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING RETURNING id`,
        [input.key, chat.platform, chat.chatId, input.requester.id],
      );
      const row = inserted.rows[0];
      if (!row) throw new Error(`settle-up ${input.key} exists: its command is answered from the command log`);
      const settlementId = big(row.id);
      for (const iou of open)
        await tx.query(`INSERT INTO settlement_ious (settlement_id, iou_id, outstanding) VALUES ($1, $2, $3)`, [
          settlementId,
          iou.id,
          iou.outstanding.minor,
        ]);
      const plan = planSettlement(
        open.map((iou) => ({
          debtor: iou.borrower,
          creditor: iou.lender,
          amount: iou.outstanding.minor,
          currency: iou.outstanding.currency,
        })),
      );
      if (plan.length === 0) {
        // Everyone's debts cancel out: nothing to pay, every IOU is cleared now.
        await ious.clear(tx, {
          ious: await covered(tx, settlementId),
          batchRef: settleRef(settlementId),
          actor: input.requester.id,
        });
        await decide(tx, settlementId, 'done');
        return { type: 'cleared', settlementId, ious: open.length };
      }
      for (const [position, leg] of plan.entries()) {
        const action = await createAction(tx, {
          personId: leg.from,
          platform: chat.platform,
          chatId: chat.chatId,
          kind: SETTLE_APPROVE,
          payload: { settlementId: settlementId.toString(), position: String(position) },
          ttlMs: APPROVE_TTL_MS,
          ref: `${settleRef(settlementId)}:approve:${position}`,
        });
        await tx.query(
          `INSERT INTO settlement_legs (settlement_id, position, payer, payee, amount, currency, action_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [settlementId, position, leg.from, leg.to, leg.amount, leg.currency, action.id],
        );
      }
      return { type: 'planned', settlementId, legs: await viewOf(tx, settlementId, true), ious: open.length };
    },
  };
}
