/**
 * IOUs between friends (SPEC §6). A lender offers, the borrower confirms with one tap (the loan moves in the same
 * transaction that opens the IOU), repayments go borrower → lender oldest IOU first, the lender may forgive and
 * answer a request for a later date. Every change is an `iou_events` row. Locks: the IOU rows first (ascending id),
 * then the ledger's accounts (the ledger locks those in its own order), so two repayments never deadlock.
 */
import type { Action } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import { createAction, expireActionsByRef, findActionByRef, reopenAction } from '../actions/service.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, dateOrNull, dbNow, textOrNull } from '../db/rows.js';
import { openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import type { Platform } from '../platform.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { cancel, schedule } from '../outbox/index.js';
import { notifyPerson, withNote } from '../outbox/notify.js';
import { walletOwner, type Person } from '../people/model.js';
import type { People, Someone } from '../people/service.js';
import { isMuted, muteButton } from '../reminders/mute.js';
import { nextReminder } from '../reminders/policy.js';
import { storedNote } from '../text/clean.js';
import { addDays, zonedParts, zonedTimeToInstant } from '../time/zoned.js';
import {
  IOU_CONFIRM,
  IOU_EXTEND_ACCEPT,
  IOU_EXTEND_REFUSE,
  IOU_REPAY,
  dayText,
  type Applied,
  type ConfirmOutcome,
  type Day,
  type ExtendAnswerOutcome,
  type ExtendOutcome,
  type ForgiveOutcome,
  type Iou,
  type IouError,
  type IouGroup,
  type IouInput,
  type IouNudgeOutcome,
  type IouOutcome,
  type IouRecord,
  type IouStateError,
  type IouView,
  type RemindOutcome,
  type RepayOutcome,
  type VoidOutcome,
} from './model.js';
import { IOU_TEMPLATES } from './templates.js';

export interface IousDeps {
  ledger: Pick<Ledger, 'apply'>;
  people: People;
  config: { confirmTtlMs: number };
  log?: Log;
}

export interface RepayInput {
  /** The delivery's key: the repayment's ledger ref. */
  key: string;
  borrower: Person;
  lender: Someone;
  amount: Amount;
  chat: { platform: 'telegram' | 'discord' | 'sandbox'; chatId: string };
}

export interface Ious {
  readonly actions: readonly ActionHandler[];
  /** /iou: the borrower is asked to confirm (privately and on the chat reply); void at the confirmation TTL. */
  offer(tx: Tx, input: IouInput): Promise<IouOutcome>;
  /** `iou.confirm` tap (borrower): opens the IOU; a loan moves lender → borrower in this transaction. */
  confirm(tx: Tx, action: Action): Promise<ConfirmOutcome>;
  /**
   * A funded part of a borrow ask: an IOU open at once (the borrower consented by asking), its money already moved
   * by `transferId` (lender → borrower) in the caller's transaction. Reminders as for a confirmed IOU.
   */
  openBorrowed(
    tx: Tx,
    input: {
      sourceRef: string;
      lender: bigint;
      borrower: bigint;
      amount: Amount;
      note: string | null;
      due: Day;
      timeZone: string;
      chat: { platform: 'telegram' | 'discord' | 'sandbox'; chatId: string };
      transferId: bigint;
    },
  ): Promise<bigint>;
  /** /repay: one transfer borrower → lender, applied to the oldest open IOU first; more than owed is refused. */
  repay(tx: Tx, input: RepayInput): Promise<RepayOutcome>;
  /**
   * Applies money that already moved (`transferId`, borrower → lender) to their open IOUs, oldest first: a
   * settle-up calls it for each leg of its one unit. The caller has checked the amount against `outstanding`.
   */
  applyRepayment(
    tx: Tx,
    input: { borrower: bigint; lender: bigint; amount: Amount; transferId: bigint; actor: bigint },
  ): Promise<Applied[]>;
  /** What `borrower` owes `lender` in `currency` (open IOUs), locking those IOUs. */
  outstanding(tx: Tx, borrower: bigint, lender: bigint, currency: string): Promise<Amount>;
  forgive(tx: Tx, input: { person: Person; iouId: bigint; amount?: Amount }): Promise<ForgiveOutcome>;
  extend(tx: Tx, input: { person: Person; iouId: bigint; due: Day }): Promise<ExtendOutcome>;
  answerExtension(tx: Tx, action: Action): Promise<ExtendAnswerOutcome>;
  /** The lender's reminder, at most once a day. */
  nudge(tx: Tx, input: { person: Person; iouId: bigint }): Promise<IouNudgeOutcome>;
  /** /ious: what the person owes and is owed, per person and currency, open IOUs only. */
  list(exec: Executor, personId: bigint): Promise<IouGroup[]>;
  /** /iou show: one IOU and its events, to its two parties only. */
  show(exec: Executor, personId: bigint, iouId: bigint): Promise<IouView | 'IouNotFound'>;
  /** A borrower's record: IOUs repaid on time, late, forgiven, and still open. */
  record(exec: Executor, personId: bigint): Promise<IouRecord>;
  /** Timed `iou.void`: an offer still unconfirmed at its TTL is void. */
  voidOffer(exec: Executor, iouId: bigint): Promise<VoidOutcome>;
  /** Timed `iou.remind`: the policy's next reminder of an open IOU, then the one after it is scheduled. */
  remind(exec: Executor, iouId: bigint): Promise<RemindOutcome>;
  /** The open IOUs whose lender and borrower are both among `personIds`, oldest first (a settle-up's debts). */
  openAmong(exec: Executor, personIds: readonly bigint[]): Promise<Iou[]>;
  /**
   * A settle-up's ledger unit `batchRef` cleared these IOUs (netted: no one leg per IOU): each is repaid in full and
   * closed, in the caller's transaction. Nothing is written and false comes back when any of them is no longer
   * open for exactly the amount the plan was made for (someone repaid or forgave meanwhile).
   */
  clear(
    tx: Tx,
    input: { ious: ReadonlyArray<{ id: bigint; outstanding: bigint }>; batchRef: string; actor: bigint },
  ): Promise<boolean>;
}

export const iouThread = (id: bigint): string => `iou:${id}`;
export const iouVoidKey = (id: bigint): string => `iou.void:${id}:1`;
const confirmRef = (id: bigint): string => `iou:${id}:confirm`;
const REPAY_BUTTON_TTL_MS = 30 * 86_400_000;
const NUDGE_EVERY_MS = 86_400_000;

const COLUMNS = `*, to_char(due_on, 'YYYY-MM-DD') AS due_day, late_after <= now() AS overdue`;

function toIou(r: Row): Iou {
  const currency = String(r.currency).trim();
  const amount = big(r.amount);
  const repaid = big(r.repaid);
  const forgiven = big(r.forgiven);
  return {
    id: big(r.id),
    lender: big(r.lender),
    borrower: big(r.borrower),
    amount: { minor: amount, currency },
    outstanding: { minor: amount - repaid - forgiven, currency },
    repaid: { minor: repaid, currency },
    forgiven: { minor: forgiven, currency },
    note: textOrNull(r.note),
    mode: r.mode as Iou['mode'],
    state: r.state as Iou['state'],
    dueOn: String(r.due_day),
    dueAt: date(r.due_at),
    lateAfter: date(r.late_after),
    result: textOrNull(r.result) as Iou['result'],
    createdAt: date(r.created_at),
    overdue: r.overdue === true,
  };
}

interface Locked extends Iou {
  remindKey: string | null;
  confirmedAt: Date | null;
  remindedAt: Date | null;
  nudgedAt: Date | null;
  timeZone: string;
}

async function lockIou(tx: Tx, id: bigint): Promise<Locked | undefined> {
  const r = await tx.query(`SELECT ${COLUMNS} FROM ious WHERE id = $1 FOR UPDATE`, [id]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    ...toIou(row),
    remindKey: textOrNull(row.remind_key),
    confirmedAt: dateOrNull(row.confirmed_at),
    remindedAt: dateOrNull(row.reminded_at),
    nudgedAt: dateOrNull(row.nudged_at),
    timeZone: String(row.time_zone),
  };
}

/** The instants of a due day in a time zone: reminders at 09:00 there, late from the start of the next day. */
function dueInstants(day: Day, timeZone: string): { dueAt: Date; lateAfter: Date } {
  const next = addDays(day, 1);
  return {
    dueAt: zonedTimeToInstant({ ...day, hour: 9, minute: 0 }, timeZone),
    lateAfter: zonedTimeToInstant({ ...next, hour: 0, minute: 0 }, timeZone),
  };
}

/** Whether `day` is before today in `timeZone` (today itself is a valid due day). */
function beforeToday(day: Day, now: Date, timeZone: string): boolean {
  const today = zonedParts(now, timeZone);
  return dayText(day) < dayText(today);
}

function idOf(action: Action, name: string): bigint {
  const id = action.payload[name];
  if (typeof id !== 'string' || !/^[0-9]{1,19}$/.test(id)) throw new Error(`action ${action.id} has no ${name}`);
  return BigInt(id);
}

const half = (a: Amount): Amount => ({ minor: a.minor / 2n, currency: a.currency });

export function createIous(deps: IousDeps): Ious {
  const { people, ledger } = deps;
  const log = deps.log ?? silentLog;

  async function nameOf(exec: Executor, id: bigint): Promise<string> {
    return (await people.get(exec, id))?.displayName ?? '?';
  }

  async function event(
    tx: Tx,
    iouId: bigint,
    kind: string,
    extra: { actor?: bigint | null; amount?: bigint; transferId?: bigint; dueOn?: string; batchRef?: string } = {},
  ): Promise<void> {
    await tx.query(
      `INSERT INTO iou_events (iou_id, kind, actor, amount, transfer_id, due_on, batch_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        iouId,
        kind,
        extra.actor ?? null,
        extra.amount ?? null,
        extra.transferId ?? null,
        extra.dueOn ?? null,
        extra.batchRef ?? null,
      ],
    );
  }

  /**
   * The one INSERT of an IOU: offered (waiting for the borrower's tap), or — a funded borrow part — open at once with
   * `source = 'borrow'`, its key as the source reference and the transfer that moved it.
   */
  async function insertIou(
    tx: Tx,
    row: {
      key: string;
      lender: bigint;
      borrower: bigint;
      amount: Amount;
      note: string | null;
      mode: 'lend' | 'record';
      chat: { platform: Platform; chatId: string };
      due: Day;
      timeZone: string;
      borrowed?: { transferId: bigint; at: Date };
    },
  ): Promise<bigint> {
    const { dueAt, lateAfter } = dueInstants(row.due, row.timeZone);
    const r = await tx.query(
      `INSERT INTO ious (key, source, source_ref, lender, borrower, amount, currency, note, mode, state, platform,
                         chat_id, due_on, time_zone, due_at, late_after, lend_transfer_id, confirmed_at)
       VALUES ($1, $2, CASE WHEN $2 = 'borrow' THEN $1 END, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14,
               $15, $16, $17)
       RETURNING id`,
      [
        row.key,
        row.borrowed ? 'borrow' : 'iou',
        row.lender,
        row.borrower,
        row.amount.minor,
        row.amount.currency,
        row.note,
        row.mode,
        row.borrowed ? 'open' : 'offered',
        row.chat.platform,
        row.chat.chatId,
        dayText(row.due),
        row.timeZone,
        dueAt.toISOString(),
        lateAfter.toISOString(),
        row.borrowed?.transferId ?? null,
        row.borrowed?.at.toISOString() ?? null,
      ],
    );
    return big(r.rows[0]?.id);
  }

  /** Schedules the policy's next reminder after `after` (none once the policy is done). */
  async function scheduleReminder(tx: Tx, iou: Locked, after: Date): Promise<Date | null> {
    const at = nextReminder('iou.due', { dueAt: iou.dueAt, after, open: true });
    const key = at ? `iou.remind:${iou.id}:${at.getTime()}` : null;
    if (at && key) await schedule(tx, { key, kind: 'iou.remind', dueAt: at, payload: { iouId: iou.id.toString() } });
    await tx.query(`UPDATE ious SET remind_key = $2 WHERE id = $1`, [iou.id, key]);
    return at;
  }

  async function stopReminders(tx: Tx, iou: Locked): Promise<void> {
    if (iou.remindKey) await cancel(tx, iou.remindKey);
    await tx.query(`UPDATE ious SET remind_key = NULL WHERE id = $1`, [iou.id]);
  }

  /** Repay all / Repay half for the borrower (half only when it is at least one minor unit). */
  async function repayButtons(
    tx: Tx,
    iou: Locked,
    tag: string,
  ): Promise<Array<{ labelKey: 'button.repayAll' | 'button.repayHalf'; actionId: string }>> {
    const make = async (labelKey: 'button.repayAll' | 'button.repayHalf', amount: Amount) => {
      const action = await createAction(tx, {
        personId: iou.borrower,
        kind: IOU_REPAY,
        payload: { iouId: iou.id.toString(), minor: amount.minor.toString() },
        ttlMs: REPAY_BUTTON_TTL_MS,
        ref: `iou:${iou.id}:repay:${tag}:${labelKey === 'button.repayAll' ? 'all' : 'half'}`,
      });
      return { labelKey, actionId: action.id };
    };
    const all = await make('button.repayAll', iou.outstanding);
    return half(iou.outstanding).minor > 0n ? [all, await make('button.repayHalf', half(iou.outstanding))] : [all];
  }

  async function offer(tx: Tx, input: IouInput): Promise<IouOutcome> {
    const rejected = (error: IouError): IouOutcome => ({ type: 'rejected', error });
    const { amount, lender } = input;
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return rejected('InvalidAmount');
    const found = await people.resolve(tx, input.borrower);
    if (typeof found === 'string') return rejected(found);
    const borrower = found.person;
    if (borrower.id === lender.id) return rejected('SelfIou');
    const now = await dbNow(tx);
    if (beforeToday(input.due, now, input.timeZone)) return rejected('DueInPast');
    const note = storedNote(input.note);
    const mode = input.record ? 'record' : 'lend';
    const id = await insertIou(tx, {
      key: input.key,
      lender: lender.id,
      borrower: borrower.id,
      amount,
      note,
      mode,
      chat: input.chat,
      due: input.due,
      timeZone: input.timeZone,
    });
    const payload = { iouId: id.toString() };
    const confirm = await createAction(tx, {
      personId: borrower.id,
      kind: IOU_CONFIRM,
      payload,
      ttlMs: deps.config.confirmTtlMs,
      ref: confirmRef(id),
    });
    await schedule(tx, { key: iouVoidKey(id), kind: 'iou.void', dueAt: confirm.expiresAt, payload });
    await event(tx, id, 'offered', { actor: lender.id, amount: amount.minor, dueOn: dayText(input.due) });
    await notifyPerson(tx, {
      key: `notify:iou:${id}:offered`,
      personId: borrower.id,
      template: IOU_TEMPLATES[mode === 'record' ? 'iou.offered_record' : 'iou.offered'],
      params: { amount: formatAmount(amount), from: lender.displayName, due: dayText(input.due), ...withNote(note) },
      buttons: [[{ labelKey: 'button.confirm', actionId: confirm.id }]],
    });
    return {
      type: 'offered',
      iouId: id,
      confirmActionId: confirm.id,
      amount,
      note,
      dueOn: dayText(input.due),
      mode,
      borrowerPersonId: borrower.id,
      borrowerName: borrower.displayName,
    };
  }

  async function confirm(tx: Tx, action: Action): Promise<ConfirmOutcome> {
    const rejected = (error: IouStateError): ConfirmOutcome => ({ type: 'rejected', error });
    const iou = await lockIou(tx, idOf(action, 'iouId'));
    if (!iou || iou.borrower !== action.personId) return rejected('IouNotFound');
    if (iou.state !== 'offered') return rejected(iou.state === 'void' ? 'IouConfirmExpired' : 'IouNotOpen');
    const lender = await people.get(tx, iou.lender);
    if (!lender) throw new Error(`iou ${iou.id} lost its lender`);
    let transferId: bigint | undefined;
    if (iou.mode === 'lend') {
      const [from, to] = await openAccounts(tx, [
        { kind: 'wallet', owner: walletOwner(iou.lender), currency: iou.amount.currency },
        { kind: 'wallet', owner: walletOwner(iou.borrower), currency: iou.amount.currency },
      ]);
      if (!from || !to) throw new Error('iou wallets were not opened');
      // retry-safe: the ref is unique per IOU, so a second confirmation can never move the money twice.
      const moved = await ledger.apply(tx, {
        legs: [
          {
            op: 'transfer',
            ref: `iou:${iou.id}:lend`,
            debit: from.id,
            credit: to.id,
            amount: iou.amount.minor,
            kind: 'iou.lend',
            meta: { iou: iou.id.toString(), ...(iou.note ? { note: iou.note } : {}) },
          },
        ],
      });
      if (!moved.ok) {
        if (moved.error !== 'InsufficientFunds') throw new Error(`lending iou ${iou.id}: ${moved.error}`);
        // Nothing opens; the button works again until the TTL, so the lender can top up and the borrower retry.
        await reopenAction(tx, action.id);
        await notifyPerson(tx, {
          key: `notify:iou:${iou.id}:short:${(await dbNow(tx)).getTime()}`,
          personId: iou.lender,
          template: IOU_TEMPLATES['iou.lender_short'],
          params: { amount: formatAmount(iou.amount), borrower: await nameOf(tx, iou.borrower) },
        });
        return rejected('LenderShort');
      }
      transferId = moved.transfers[0]?.id;
    }
    const now = await dbNow(tx);
    await tx.query(`UPDATE ious SET state = 'open', confirmed_at = $2, lend_transfer_id = $3 WHERE id = $1`, [
      iou.id,
      now.toISOString(),
      transferId ?? null,
    ]);
    await cancel(tx, iouVoidKey(iou.id));
    await event(tx, iou.id, 'confirmed', { actor: iou.borrower, ...(transferId ? { transferId } : {}) });
    await scheduleReminder(tx, iou, now);
    await notifyPerson(tx, {
      key: `notify:iou:${iou.id}:confirmed`,
      personId: iou.lender,
      template: IOU_TEMPLATES['iou.confirmed'],
      params: {
        amount: formatAmount(iou.amount),
        borrower: await nameOf(tx, iou.borrower),
        due: iou.dueOn,
        ...withNote(iou.note),
      },
    });
    log.info({ iouId: iou.id, transferId }, 'iou confirmed');
    return {
      type: 'confirmed',
      iouId: iou.id,
      amount: iou.amount,
      note: iou.note,
      dueOn: iou.dueOn,
      mode: iou.mode,
      lenderName: lender.displayName,
    };
  }

  /** The open IOUs of a pair in one currency, oldest first, locked. */
  async function lockOpen(tx: Tx, borrower: bigint, lender: bigint, currency: string): Promise<Locked[]> {
    const r = await tx.query(
      `SELECT id FROM ious WHERE borrower = $1 AND lender = $2 AND currency = $3 AND state = 'open'
        ORDER BY id FOR UPDATE`,
      [borrower, lender, currency],
    );
    const locked: Locked[] = [];
    for (const row of r.rows) {
      const iou = await lockIou(tx, big(row.id));
      if (iou && iou.state === 'open') locked.push(iou);
    }
    return locked;
  }

  const total = (ious: readonly Iou[], currency: string): Amount => ({
    minor: ious.reduce((sum, i) => sum + i.outstanding.minor, 0n),
    currency,
  });

  async function applyTo(
    tx: Tx,
    open: readonly Locked[],
    amount: Amount,
    transferId: bigint,
    actor: bigint,
  ): Promise<Applied[]> {
    let left = amount.minor;
    const applied: Applied[] = [];
    for (const iou of open) {
      if (left === 0n) break;
      const take = iou.outstanding.minor < left ? iou.outstanding.minor : left;
      if (take === 0n) continue;
      left -= take;
      const closed = take === iou.outstanding.minor;
      await tx.query(
        `UPDATE ious SET repaid = repaid + $2,
                state = CASE WHEN $3 THEN 'repaid' ELSE state END,
                closed_at = CASE WHEN $3 THEN now() ELSE closed_at END,
                result = CASE WHEN $3 THEN (CASE WHEN now() < late_after THEN 'on_time' ELSE 'late' END) ELSE result END
          WHERE id = $1`,
        [iou.id, take, closed],
      );
      await event(tx, iou.id, 'repaid', { actor, amount: take, transferId });
      if (closed) {
        await event(tx, iou.id, 'closed', { actor });
        await stopReminders(tx, iou);
      }
      applied.push({ iouId: iou.id, amount: { minor: take, currency: amount.currency }, closed });
    }
    if (left > 0n) throw new Error(`repayment ${transferId} exceeds what is owed by ${left}`);
    return applied;
  }

  async function repay(tx: Tx, input: RepayInput): Promise<RepayOutcome> {
    const { amount, borrower } = input;
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return { type: 'rejected', error: 'InvalidAmount' };
    const found = await people.resolve(tx, input.lender);
    if (typeof found === 'string') return { type: 'rejected', error: found };
    const lender = found.person;
    const open = await lockOpen(tx, borrower.id, lender.id, amount.currency);
    const owed = total(open, amount.currency);
    if (owed.minor === 0n) return { type: 'rejected', error: 'NothingOwed' };
    if (amount.minor > owed.minor)
      return { type: 'rejected', error: 'Overpayment', owed, lenderName: lender.displayName };
    const [from, to] = await openAccounts(tx, [
      { kind: 'wallet', owner: walletOwner(borrower.id), currency: amount.currency },
      { kind: 'wallet', owner: walletOwner(lender.id), currency: amount.currency },
    ]);
    if (!from || !to) throw new Error('iou wallets were not opened');
    const moved = await ledger.apply(tx, {
      legs: [
        {
          op: 'transfer',
          ref: input.key,
          debit: from.id,
          credit: to.id,
          amount: amount.minor,
          kind: 'iou.repay',
          meta: { ious: open.map((i) => i.id.toString()).join(','), chat: input.chat.chatId },
        },
      ],
    });
    if (!moved.ok)
      return {
        type: 'rejected',
        error: moved.error === 'InsufficientFunds' ? 'InsufficientFunds' : 'KeyConflict',
      };
    const transferId = moved.transfers[0]?.id;
    if (transferId === undefined) throw new Error('repayment has no transfer');
    // A replayed ref moved nothing new: it was applied by the run that wrote it.
    if (moved.replayed) return { type: 'rejected', error: 'KeyConflict' };
    const applied = await applyTo(tx, open, amount, transferId, borrower.id);
    const outstanding = { minor: owed.minor - amount.minor, currency: amount.currency };
    await notifyPerson(tx, {
      key: `notify:iou.repay:${input.key}`,
      personId: lender.id,
      template: IOU_TEMPLATES['iou.repaid'],
      params: {
        amount: formatAmount(amount),
        borrower: borrower.displayName,
        outstanding: formatAmount(outstanding),
      },
    });
    log.info({ transferId, applied: applied.length }, 'iou repaid');
    return { type: 'repaid', transferId, amount, lenderName: lender.displayName, applied, outstanding };
  }

  async function pressRepay(
    tx: Tx,
    action: Action,
  ): Promise<RepayOutcome | { type: 'rejected'; error: 'IouNotFound' }> {
    const r = await tx.query(`SELECT lender, currency FROM ious WHERE id = $1 AND borrower = $2`, [
      idOf(action, 'iouId'),
      action.personId,
    ]);
    const row = r.rows[0];
    const borrower = await people.get(tx, action.personId);
    if (!row || !borrower) return { type: 'rejected', error: 'IouNotFound' };
    const outcome = await repay(tx, {
      key: `act:${action.id}`,
      borrower,
      lender: { personId: big(row.lender) },
      amount: { minor: idOf(action, 'minor'), currency: String(row.currency).trim() },
      chat: { platform: borrower.lastPlatform, chatId: 'dm' },
    });
    if (outcome.type === 'rejected' && outcome.error === 'InsufficientFunds') await reopenAction(tx, action.id);
    return outcome;
  }

  /** The IOU for one of its parties (anyone else: not found, so nobody learns it exists). */
  async function partyIou(
    tx: Tx,
    person: Person,
    iouId: bigint,
    role: 'lender' | 'borrower',
  ): Promise<Locked | IouStateError> {
    const iou = await lockIou(tx, iouId);
    if (!iou || (iou.lender !== person.id && iou.borrower !== person.id)) return 'IouNotFound';
    if (iou[role] !== person.id) return 'IouNotYours';
    if (iou.state !== 'open') return 'IouNotOpen';
    return iou;
  }

  async function forgive(tx: Tx, input: { person: Person; iouId: bigint; amount?: Amount }): Promise<ForgiveOutcome> {
    const iou = await partyIou(tx, input.person, input.iouId, 'lender');
    if (typeof iou === 'string') return { type: 'rejected', error: iou };
    const amount = input.amount ?? iou.outstanding;
    if (amount.currency !== iou.amount.currency || amount.minor <= 0n || amount.minor > iou.outstanding.minor)
      return { type: 'rejected', error: 'ForgiveTooMuch' };
    const closed = amount.minor === iou.outstanding.minor;
    await tx.query(
      `UPDATE ious SET forgiven = forgiven + $2,
              state = CASE WHEN $3 THEN 'forgiven' ELSE state END,
              closed_at = CASE WHEN $3 THEN now() ELSE closed_at END,
              result = CASE WHEN $3 THEN 'forgiven' ELSE result END
        WHERE id = $1`,
      [iou.id, amount.minor, closed],
    );
    await event(tx, iou.id, 'forgiven', { actor: input.person.id, amount: amount.minor });
    if (closed) {
      await event(tx, iou.id, 'closed', { actor: input.person.id });
      await stopReminders(tx, iou);
    }
    const outstanding = { minor: iou.outstanding.minor - amount.minor, currency: amount.currency };
    const n = (await tx.query(`SELECT count(*)::int AS n FROM iou_events WHERE iou_id = $1`, [iou.id])).rows[0]?.n;
    await notifyPerson(tx, {
      key: `notify:iou:${iou.id}:forgiven:${String(n)}`,
      personId: iou.borrower,
      template: IOU_TEMPLATES['iou.forgiven'],
      params: {
        amount: formatAmount(amount),
        lender: input.person.displayName,
        id: iou.id.toString(),
        outstanding: formatAmount(outstanding),
      },
    });
    return {
      type: 'forgiven',
      iouId: iou.id,
      amount,
      outstanding,
      closed,
      borrowerName: await nameOf(tx, iou.borrower),
    };
  }

  async function extend(tx: Tx, input: { person: Person; iouId: bigint; due: Day }): Promise<ExtendOutcome> {
    const iou = await partyIou(tx, input.person, input.iouId, 'borrower');
    if (typeof iou === 'string') return { type: 'rejected', error: iou };
    const now = await dbNow(tx);
    if (beforeToday(input.due, now, iou.timeZone)) return { type: 'rejected', error: 'DueInPast' };
    const dueOn = dayText(input.due);
    if (dueOn <= iou.dueOn) return { type: 'rejected', error: 'ExtendNotLater' };
    const asked = await tx.query(
      `INSERT INTO iou_extensions (iou_id, due_on) VALUES ($1, $2::date) ON CONFLICT DO NOTHING RETURNING id`,
      [iou.id, dueOn],
    );
    const row = asked.rows[0];
    if (!row) return { type: 'rejected', error: 'ExtendPending' };
    const extensionId = big(row.id);
    const payload = { extensionId: extensionId.toString() };
    const ttlMs = Math.max(iou.lateAfter.getTime() - now.getTime(), 0) + 30 * 86_400_000;
    const accept = await createAction(tx, {
      personId: iou.lender,
      kind: IOU_EXTEND_ACCEPT,
      payload,
      ttlMs,
      ref: `iou-ext:${extensionId}:accept`,
    });
    const refuse = await createAction(tx, {
      personId: iou.lender,
      kind: IOU_EXTEND_REFUSE,
      payload,
      ttlMs,
      ref: `iou-ext:${extensionId}:refuse`,
    });
    await event(tx, iou.id, 'extend_asked', { actor: input.person.id, dueOn });
    await notifyPerson(tx, {
      key: `notify:iou-ext:${extensionId}:asked`,
      personId: iou.lender,
      template: IOU_TEMPLATES['iou.extend_asked'],
      params: {
        amount: formatAmount(iou.outstanding),
        borrower: input.person.displayName,
        id: iou.id.toString(),
        due: dueOn,
        from: iou.dueOn,
      },
      buttons: [
        [
          { labelKey: 'button.accept', actionId: accept.id },
          { labelKey: 'button.refuse', actionId: refuse.id },
        ],
      ],
    });
    return { type: 'extend_asked', iouId: iou.id, dueOn, lenderName: await nameOf(tx, iou.lender) };
  }

  async function answerExtension(tx: Tx, action: Action): Promise<ExtendAnswerOutcome> {
    const accepted = action.kind === IOU_EXTEND_ACCEPT.kind;
    const extensionId = idOf(action, 'extensionId');
    const r = await tx.query(
      `SELECT iou_id, state, to_char(due_on, 'YYYY-MM-DD') AS due_day FROM iou_extensions WHERE id = $1`,
      [extensionId],
    );
    const ext = r.rows[0];
    if (!ext) return { type: 'rejected', error: 'IouNotFound' };
    const iou = await lockIou(tx, big(ext.iou_id));
    if (!iou || iou.lender !== action.personId) return { type: 'rejected', error: 'IouNotFound' };
    const dueOn = String(ext.due_day);
    await expireActionsByRef(tx, [`iou-ext:${extensionId}:accept`, `iou-ext:${extensionId}:refuse`]);
    if (iou.state !== 'open' || ext.state !== 'asked') {
      await tx.query(
        `UPDATE iou_extensions SET state = 'dropped', answered_at = now() WHERE id = $1 AND state = 'asked'`,
        [extensionId],
      );
      return { type: 'rejected', error: 'IouNotOpen' };
    }
    await tx.query(`UPDATE iou_extensions SET state = $2, answered_at = now() WHERE id = $1`, [
      extensionId,
      accepted ? 'accepted' : 'refused',
    ]);
    const borrowerName = await nameOf(tx, iou.borrower);
    const lenderName = await nameOf(tx, iou.lender);
    if (accepted) {
      const [year, month, day] = dueOn.split('-').map(Number);
      const { dueAt, lateAfter } = dueInstants({ year: year ?? 0, month: month ?? 1, day: day ?? 1 }, iou.timeZone);
      await tx.query(`UPDATE ious SET due_on = $2::date, due_at = $3, late_after = $4 WHERE id = $1`, [
        iou.id,
        dueOn,
        dueAt.toISOString(),
        lateAfter.toISOString(),
      ]);
      await event(tx, iou.id, 'extended', { actor: action.personId, dueOn });
      if (iou.remindKey) await cancel(tx, iou.remindKey);
      await scheduleReminder(tx, { ...iou, dueAt, lateAfter }, await dbNow(tx));
    } else {
      await event(tx, iou.id, 'extend_refused', { actor: action.personId, dueOn });
    }
    await notifyPerson(tx, {
      key: `notify:iou-ext:${extensionId}:answered`,
      personId: iou.borrower,
      template: IOU_TEMPLATES[accepted ? 'iou.extended' : 'iou.extend_refused'],
      params: { amount: formatAmount(iou.outstanding), lender: lenderName, id: iou.id.toString(), due: dueOn },
    });
    return { type: accepted ? 'extended' : 'extend_refused', iouId: iou.id, dueOn, borrowerName };
  }

  async function nudge(tx: Tx, input: { person: Person; iouId: bigint }): Promise<IouNudgeOutcome> {
    const iou = await partyIou(tx, input.person, input.iouId, 'lender');
    if (typeof iou === 'string') return { type: 'rejected', error: iou };
    const now = await dbNow(tx);
    if (iou.nudgedAt && now.getTime() - iou.nudgedAt.getTime() < NUDGE_EVERY_MS)
      return {
        type: 'rejected',
        error: 'NudgedToday',
        next: new Date(iou.nudgedAt.getTime() + NUDGE_EVERY_MS),
      };
    await tx.query(`UPDATE ious SET nudged_at = $2 WHERE id = $1`, [iou.id, now.toISOString()]);
    await event(tx, iou.id, 'nudged', { actor: input.person.id });
    await notifyPerson(tx, {
      key: `notify:iou:${iou.id}:nudge:${now.getTime()}`,
      personId: iou.borrower,
      template: IOU_TEMPLATES['iou.nudge'],
      params: {
        amount: formatAmount(iou.outstanding),
        lender: input.person.displayName,
        due: iou.dueOn,
        id: iou.id.toString(),
        half: formatAmount(half(iou.outstanding)),
      },
      buttons: [await repayButtons(tx, iou, `nudge${now.getTime()}`)],
    });
    return { type: 'nudged', iouId: iou.id, borrowerName: await nameOf(tx, iou.borrower) };
  }

  async function list(exec: Executor, personId: bigint): Promise<IouGroup[]> {
    const r = await exec.query(
      `SELECT ${COLUMNS} FROM ious WHERE state = 'open' AND (lender = $1 OR borrower = $1) ORDER BY id`,
      [personId],
    );
    const groups = new Map<string, IouGroup>();
    for (const row of r.rows) {
      const iou = toIou(row);
      const direction = iou.borrower === personId ? 'owe' : 'owed';
      const other = direction === 'owe' ? iou.lender : iou.borrower;
      const key = `${direction}:${other}:${iou.amount.currency}`;
      let group = groups.get(key);
      if (!group) {
        const zero = { minor: 0n, currency: iou.amount.currency };
        group = { direction, personId: other, name: await nameOf(exec, other), total: zero, overdue: zero, ious: [] };
        groups.set(key, group);
      }
      group.total = { ...group.total, minor: group.total.minor + iou.outstanding.minor };
      if (iou.overdue) group.overdue = { ...group.overdue, minor: group.overdue.minor + iou.outstanding.minor };
      group.ious.push({
        id: iou.id,
        outstanding: iou.outstanding,
        dueOn: iou.dueOn,
        overdue: iou.overdue,
        nudgedAt: dateOrNull(row.nudged_at),
      });
    }
    return [...groups.values()].sort((a, b) => (a.direction === b.direction ? 0 : a.direction === 'owe' ? -1 : 1));
  }

  async function show(exec: Executor, personId: bigint, iouId: bigint): Promise<IouView | 'IouNotFound'> {
    const r = await exec.query(`SELECT ${COLUMNS} FROM ious WHERE id = $1`, [iouId]);
    const row = r.rows[0];
    if (!row) return 'IouNotFound';
    const iou = toIou(row);
    if (iou.lender !== personId && iou.borrower !== personId) return 'IouNotFound';
    const ev = await exec.query(
      `SELECT e.kind, e.amount, to_char(e.due_on, 'YYYY-MM-DD') AS due_day, e.at, p.display_name
         FROM iou_events e LEFT JOIN people p ON p.id = e.actor WHERE e.iou_id = $1 ORDER BY e.id`,
      [iouId],
    );
    return {
      iou,
      lenderName: await nameOf(exec, iou.lender),
      borrowerName: await nameOf(exec, iou.borrower),
      events: ev.rows.map((e) => ({
        kind: String(e.kind),
        actorName: textOrNull(e.display_name),
        amount: e.amount === null ? null : { minor: big(e.amount), currency: iou.amount.currency },
        dueOn: textOrNull(e.due_day),
        at: date(e.at),
      })),
    };
  }

  async function record(exec: Executor, personId: bigint): Promise<IouRecord> {
    const r = await exec.query(
      `SELECT count(*) FILTER (WHERE result = 'on_time')::int AS on_time,
              count(*) FILTER (WHERE result = 'late')::int AS late,
              count(*) FILTER (WHERE result = 'forgiven')::int AS forgiven,
              count(*) FILTER (WHERE state = 'open')::int AS open
         FROM ious WHERE borrower = $1`,
      [personId],
    );
    const row = r.rows[0] ?? {};
    return {
      onTime: Number(row.on_time ?? 0),
      late: Number(row.late ?? 0),
      forgiven: Number(row.forgiven ?? 0),
      open: Number(row.open ?? 0),
    };
  }

  function voidOffer(exec: Executor, iouId: bigint): Promise<VoidOutcome> {
    return inTx(exec, async (tx): Promise<VoidOutcome> => {
      const iou = await lockIou(tx, iouId);
      if (!iou) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (iou.state !== 'offered') return { type: 'noop', reason: 'Resolved', dueAt: null };
      const action = await findActionByRef(tx, confirmRef(iou.id));
      const now = await dbNow(tx);
      if (action && action.expiresAt.getTime() > now.getTime())
        return { type: 'noop', reason: 'NotDue', dueAt: action.expiresAt };
      await tx.query(`UPDATE ious SET state = 'void', closed_at = now() WHERE id = $1`, [iou.id]);
      await expireActionsByRef(tx, [confirmRef(iou.id)]);
      await event(tx, iou.id, 'voided');
      await notifyPerson(tx, {
        key: `notify:iou:${iou.id}:voided`,
        personId: iou.lender,
        template: IOU_TEMPLATES['iou.voided'],
        params: { amount: formatAmount(iou.amount), borrower: await nameOf(tx, iou.borrower) },
      });
      return { type: 'voided', iouId: iou.id };
    });
  }

  function remind(exec: Executor, iouId: bigint): Promise<RemindOutcome> {
    return inTx(exec, async (tx): Promise<RemindOutcome> => {
      const iou = await lockIou(tx, iouId);
      if (!iou) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (iou.state !== 'open') return { type: 'noop', reason: 'Resolved', dueAt: null };
      const after = iou.remindedAt ?? iou.confirmedAt ?? iou.createdAt;
      const at = nextReminder('iou.due', { dueAt: iou.dueAt, after, open: true });
      if (!at) return { type: 'noop', reason: 'Resolved', dueAt: null };
      const now = await dbNow(tx);
      if (at.getTime() > now.getTime()) return { type: 'noop', reason: 'NotDue', dueAt: at };
      const thread = iouThread(iou.id);
      if (await isMuted(tx, iou.borrower, thread)) return { type: 'skipped', reason: 'Muted' };
      await tx.query(`UPDATE ious SET reminded_at = $2 WHERE id = $1`, [iou.id, now.toISOString()]);
      await notifyPerson(tx, {
        key: `notify:iou:${iou.id}:remind:${at.getTime()}`,
        personId: iou.borrower,
        template: IOU_TEMPLATES['iou.reminder'],
        params: {
          amount: formatAmount(iou.outstanding),
          lender: await nameOf(tx, iou.lender),
          due: iou.dueOn,
          id: iou.id.toString(),
          half: formatAmount(half(iou.outstanding)),
          ...withNote(iou.note),
        },
        buttons: [await repayButtons(tx, iou, String(at.getTime())), [await muteButton(tx, iou.borrower, thread)]],
        thread,
      });
      const next = await scheduleReminder(tx, iou, now);
      return { type: 'reminded', iouId: iou.id, next };
    });
  }

  return {
    actions: [
      handles(IOU_CONFIRM, confirm),
      handles(IOU_REPAY, pressRepay),
      handles(IOU_EXTEND_ACCEPT, answerExtension),
      handles(IOU_EXTEND_REFUSE, answerExtension),
    ],
    offer,
    confirm,
    async openBorrowed(tx, input) {
      const now = await dbNow(tx);
      const id = await insertIou(tx, {
        key: input.sourceRef,
        lender: input.lender,
        borrower: input.borrower,
        amount: input.amount,
        note: storedNote(input.note),
        mode: 'lend',
        chat: input.chat,
        due: input.due,
        timeZone: input.timeZone,
        // A funded borrow part: the money moved with it, and the borrower consented by asking.
        borrowed: { transferId: input.transferId, at: now },
      });
      await event(tx, id, 'offered', { actor: input.borrower, amount: input.amount.minor, dueOn: dayText(input.due) });
      await event(tx, id, 'confirmed', { actor: input.lender, transferId: input.transferId });
      const iou = await lockIou(tx, id);
      if (!iou) throw new Error(`iou ${id} vanished`);
      await scheduleReminder(tx, iou, now);
      return id;
    },
    repay,
    async applyRepayment(tx, input) {
      const open = await lockOpen(tx, input.borrower, input.lender, input.amount.currency);
      return applyTo(tx, open, input.amount, input.transferId, input.actor);
    },
    async outstanding(tx, borrower, lender, currency) {
      return total(await lockOpen(tx, borrower, lender, currency), currency);
    },
    forgive,
    extend,
    answerExtension,
    nudge,
    list,
    show,
    record,
    voidOffer,
    remind,
    async openAmong(exec, personIds) {
      const r = await exec.query(
        `SELECT ${COLUMNS} FROM ious
          WHERE state = 'open' AND lender = ANY($1::bigint[]) AND borrower = ANY($1::bigint[])
          ORDER BY id`,
        [personIds],
      );
      return r.rows.map(toIou);
    },
    async clear(tx, input) {
      // Locked in id order (as every IOU writer here locks them), all checked before anything is written.
      const locked: Locked[] = [];
      for (const { id, outstanding } of [...input.ious].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        const iou = await lockIou(tx, id);
        if (!iou || iou.state !== 'open' || iou.outstanding.minor !== outstanding) return false;
        locked.push(iou);
      }
      for (const iou of locked) {
        await tx.query(
          `UPDATE ious SET repaid = repaid + $2, state = 'repaid', closed_at = now(),
                  result = CASE WHEN now() < late_after THEN 'on_time' ELSE 'late' END
            WHERE id = $1`,
          [iou.id, iou.outstanding.minor],
        );
        await event(tx, iou.id, 'repaid', {
          actor: input.actor,
          amount: iou.outstanding.minor,
          batchRef: input.batchRef,
        });
        await event(tx, iou.id, 'closed', { actor: input.actor });
        await stopReminders(tx, iou);
      }
      return true;
    },
  };
}
