/**
 * Borrow asks (`/borrow amount due [note]` in a group): the card shows the borrower's record and two Fund buttons
 * (the whole rest, half of it) any friend may press. Each funded part moves lender → borrower and opens an IOU
 * (`source = 'borrow'`, `source_ref = borrow:<ask>:<lender>:<n>`) in the same transaction. The ask row is locked
 * FOR UPDATE by every funding and each part is min(asked part, rest), so friends pressing together never fund more
 * than asked. It closes when fully funded or at BORROW_TTL (`borrow.close`), and the borrower is told what came in.
 */
import { closeGroupAction, createGroupAction, type GroupAction, type GroupActionHandler } from '../actions/group.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, dbNow, textOrNull } from '../db/rows.js';
import { openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { schedule } from '../outbox/index.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner, type Person } from '../people/model.js';
import type { People } from '../people/service.js';
import type { Platform } from '../platform.js';
import { storedNote } from '../text/clean.js';
import { zonedParts } from '../time/zoned.js';
import {
  BORROW_FUND,
  dayText,
  type BorrowCloseOutcome,
  type BorrowFundError,
  type BorrowFundOutcome,
  type BorrowNudgeOutcome,
  type BorrowOutcome,
  type Day,
} from './model.js';
import type { Ious } from './service.js';
import { IOU_TEMPLATES } from './templates.js';

export interface BorrowDeps {
  ious: Pick<Ious, 'openBorrowed' | 'record'>;
  ledger: Pick<Ledger, 'apply'>;
  people: Pick<People, 'get'>;
  config: { ttlMs: number };
  log?: Log;
}

export interface BorrowInput {
  key: string;
  borrower: Person;
  amount: Amount;
  due: Day;
  timeZone: string;
  note?: string | null;
  chat: { platform: Platform; chatId: string; kind: 'private' | 'group' };
}

export interface Borrow {
  /** The Fund buttons (group actions). */
  readonly groupActions: readonly GroupActionHandler[];
  ask(tx: Tx, input: BorrowInput): Promise<BorrowOutcome>;
  /** A friend funds `amount` (capped at what is still asked), the whole rest, or half of it, of ask `askId`. */
  fund(tx: Tx, input: { askId: bigint; lender: bigint; amount: Amount | 'all' | 'half' }): Promise<BorrowFundOutcome>;
  /** Timed `borrow.nudge` at half the TTL: tells the borrower what came in so far (nothing once it is funded). */
  nudge(exec: Executor, askId: bigint): Promise<BorrowNudgeOutcome>;
  /** Timed `borrow.close`: closes a fully funded ask, or one past its TTL, and tells the borrower what came in. */
  close(exec: Executor, askId: bigint): Promise<BorrowCloseOutcome>;
}

interface Ask {
  id: bigint;
  borrower: bigint;
  amount: bigint;
  funded: bigint;
  parts: number;
  currency: string;
  note: string | null;
  dueOn: string;
  timeZone: string;
  platform: Platform;
  chatId: string;
  state: 'open' | 'funded' | 'expired';
  allActionId: string;
  halfActionId: string;
  expiresAt: Date;
  createdAt: Date;
  closedAt: Date | null;
}

const COLUMNS = `*, to_char(due_on, 'YYYY-MM-DD') AS due_day`;

function toAsk(r: Row): Ask {
  return {
    id: big(r.id),
    borrower: big(r.borrower),
    amount: big(r.amount),
    funded: big(r.funded),
    parts: Number(r.parts),
    currency: String(r.currency).trim(),
    note: textOrNull(r.note),
    dueOn: String(r.due_day),
    timeZone: String(r.time_zone),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    state: r.state as Ask['state'],
    allActionId: String(r.all_action_id),
    halfActionId: String(r.half_action_id),
    expiresAt: date(r.expires_at),
    createdAt: date(r.created_at),
    closedAt: r.closed_at === null ? null : date(r.closed_at),
  };
}

const closeKey = (id: bigint, n: number): string => `borrow.close:${id}:${n}`;
export const borrowPartRef = (askId: bigint, lender: bigint, n: number): string => `borrow:${askId}:${lender}:${n}`;

function dayOf(text: string): Day {
  const [year, month, day] = text.split('-').map(Number);
  return { year: year ?? 0, month: month ?? 1, day: day ?? 1 };
}

export function createBorrow(deps: BorrowDeps): Borrow {
  const { ious, ledger, people } = deps;
  const log = deps.log ?? silentLog;
  const nameOf = async (exec: Executor, id: bigint) => (await people.get(exec, id))?.displayName ?? '—';

  async function lockAsk(tx: Tx, id: bigint): Promise<Ask | undefined> {
    const r = await tx.query(`SELECT ${COLUMNS} FROM borrow_asks WHERE id = $1 FOR UPDATE`, [id]);
    return r.rows[0] ? toAsk(r.rows[0]) : undefined;
  }

  async function fund(
    tx: Tx,
    input: { askId: bigint; lender: bigint; amount: Amount | 'all' | 'half' },
  ): Promise<BorrowFundOutcome> {
    const rejected = (error: BorrowFundError): BorrowFundOutcome => ({ type: 'rejected', error });
    if (typeof input.amount === 'object' && input.amount.minor <= 0n) return rejected('InvalidAmount');
    const ask = await lockAsk(tx, input.askId);
    if (!ask) return rejected('AskNotFound');
    if (ask.borrower === input.lender) return rejected('OwnAsk');
    if (typeof input.amount === 'object' && input.amount.currency !== ask.currency) return rejected('InvalidAmount');
    const now = await dbNow(tx);
    if (ask.state !== 'open' || ask.expiresAt.getTime() <= now.getTime()) return rejected('AskClosed');
    const rest = ask.amount - ask.funded;
    // Fully funded, its close job not run yet.
    if (rest <= 0n) return rejected('AskClosed');
    // Read under the lock: friends pressing together each take a share of what is really left.
    const wanted =
      input.amount === 'all' ? rest : input.amount === 'half' ? (rest > 1n ? rest / 2n : rest) : input.amount.minor;
    const part = wanted < rest ? wanted : rest;
    const n = ask.parts + 1;
    const ref = borrowPartRef(ask.id, input.lender, n);
    const [from, to] = await openAccounts(tx, [
      { kind: 'wallet', owner: walletOwner(input.lender), currency: ask.currency },
      { kind: 'wallet', owner: walletOwner(ask.borrower), currency: ask.currency },
    ]);
    if (!from || !to) throw new Error('borrow wallets were not opened');
    // retry-safe: the part's ref is unique, so one part never moves twice.
    const moved = await ledger.apply(tx, {
      legs: [
        {
          op: 'transfer',
          ref,
          debit: from.id,
          credit: to.id,
          amount: part,
          kind: 'iou.lend',
          meta: { borrow: ask.id.toString() },
        },
      ],
    });
    if (!moved.ok) {
      if (moved.error !== 'InsufficientFunds') throw new Error(`funding borrow ask ${ask.id}: ${moved.error}`);
      return rejected('LenderShort');
    }
    const transferId = moved.transfers[0]?.id;
    if (transferId === undefined) throw new Error(`borrow ask ${ask.id}: no transfer`);
    const amount = { minor: part, currency: ask.currency };
    const iouId = await ious.openBorrowed(tx, {
      sourceRef: ref,
      lender: input.lender,
      borrower: ask.borrower,
      amount,
      note: ask.note,
      due: dayOf(ask.dueOn),
      timeZone: ask.timeZone,
      chat: { platform: ask.platform, chatId: ask.chatId },
      transferId,
    });
    const funded = ask.funded + part;
    const full = funded === ask.amount;
    await tx.query(`UPDATE borrow_asks SET funded = $2, parts = $3 WHERE id = $1`, [ask.id, funded, n]);
    const total = { minor: ask.amount, currency: ask.currency };
    const fundedAmount = { minor: funded, currency: ask.currency };
    await notifyPerson(tx, {
      key: `notify:${ref}`,
      personId: ask.borrower,
      template: IOU_TEMPLATES['borrow.funded'],
      params: {
        amount: formatAmount(amount),
        lender: await nameOf(tx, input.lender),
        funded: formatAmount(fundedAmount),
        total: formatAmount(total),
      },
    });
    // Fully funded: closed by a job now (never from a press, which holds the button's lock shared).
    if (full)
      await schedule(tx, {
        key: closeKey(ask.id, 2),
        kind: 'borrow.close',
        dueAt: now,
        payload: { askId: ask.id.toString() },
      });
    log.info({ askId: ask.id, iouId, part }, 'borrow ask funded');
    return {
      type: 'funded',
      askId: ask.id,
      iouId,
      amount,
      funded: fundedAmount,
      total,
      full,
      borrowerName: await nameOf(tx, ask.borrower),
    };
  }

  async function pressed(tx: Tx, action: GroupAction, personId: bigint): Promise<BorrowFundOutcome> {
    const r = await tx.query(`SELECT id FROM borrow_asks WHERE all_action_id = $1 OR half_action_id = $1`, [action.id]);
    const row = r.rows[0];
    if (!row) return { type: 'rejected', error: 'AskNotFound' };
    return fund(tx, { askId: big(row.id), lender: personId, amount: action.payload.share === 'half' ? 'half' : 'all' });
  }

  const fundButton: GroupActionHandler = {
    kind: BORROW_FUND.kind,
    eligible: () => Promise.resolve(true),
    pressed: (tx, action, _tally, personId) => pressed(tx, action, personId),
  };

  return {
    groupActions: [fundButton],
    fund,

    async ask(tx, input) {
      const { amount, chat } = input;
      if (chat.kind !== 'group') return { type: 'rejected', error: 'NotInGroup' };
      if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
        return { type: 'rejected', error: 'InvalidAmount' };
      const now = await dbNow(tx);
      if (dayText(input.due) < dayText(zonedParts(now, input.timeZone)))
        return { type: 'rejected', error: 'DueInPast' };
      const button = (share: 'all' | 'half') =>
        createGroupAction(tx, {
          kind: BORROW_FUND.kind,
          payload: { share },
          platform: chat.platform,
          chatId: chat.chatId,
          createdBy: input.borrower.id,
          ttlMs: deps.config.ttlMs,
          ref: `borrow:${input.key}:${share}`,
          mode: 'once',
        });
      const all = await button('all');
      const half = await button('half');
      const note = storedNote(input.note ?? null);
      const r = await tx.query(
        `INSERT INTO borrow_asks (key, borrower, amount, currency, note, due_on, time_zone, platform, chat_id,
                                  all_action_id, half_action_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12) RETURNING id`,
        [
          input.key,
          input.borrower.id,
          amount.minor,
          amount.currency,
          note,
          dayText(input.due),
          input.timeZone,
          chat.platform,
          chat.chatId,
          all.id,
          half.id,
          all.expiresAt.toISOString(),
        ],
      );
      const askId = big(r.rows[0]?.id);
      await schedule(tx, {
        key: `borrow.nudge:${askId}`,
        kind: 'borrow.nudge',
        dueAt: new Date(now.getTime() + deps.config.ttlMs / 2),
        payload: { askId: askId.toString() },
      });
      await schedule(tx, {
        key: closeKey(askId, 1),
        kind: 'borrow.close',
        dueAt: all.expiresAt,
        payload: { askId: askId.toString() },
      });
      return {
        type: 'asked',
        askId,
        amount,
        dueOn: dayText(input.due),
        note,
        borrowerName: input.borrower.displayName,
        record: await ious.record(tx, input.borrower.id),
        allActionId: all.id,
        halfActionId: half.id,
        expiresAt: all.expiresAt,
      };
    },

    nudge(exec, askId) {
      return inTx(exec, async (tx): Promise<BorrowNudgeOutcome> => {
        const ask = await lockAsk(tx, askId);
        if (!ask) return { type: 'noop', reason: 'Unknown', dueAt: null };
        if (ask.closedAt || ask.funded === ask.amount) return { type: 'noop', reason: 'Resolved', dueAt: null };
        const half = new Date((ask.createdAt.getTime() + ask.expiresAt.getTime()) / 2);
        if (half.getTime() > (await dbNow(tx)).getTime()) return { type: 'noop', reason: 'NotDue', dueAt: half };
        await notifyPerson(tx, {
          key: `notify:borrow:${ask.id}:halfway`,
          personId: ask.borrower,
          template: IOU_TEMPLATES['borrow.halfway'],
          params: {
            funded: formatAmount({ minor: ask.funded, currency: ask.currency }),
            total: formatAmount({ minor: ask.amount, currency: ask.currency }),
          },
        });
        return { type: 'nudged', askId: ask.id };
      });
    },

    close(exec, askId) {
      return inTx(exec, async (tx): Promise<BorrowCloseOutcome> => {
        const ask = await lockAsk(tx, askId);
        if (!ask) return { type: 'noop', reason: 'Unknown', dueAt: null };
        if (ask.closedAt) return { type: 'noop', reason: 'Resolved', dueAt: null };
        const now = await dbNow(tx);
        const full = ask.funded === ask.amount;
        if (!full && ask.expiresAt.getTime() > now.getTime())
          return { type: 'noop', reason: 'NotDue', dueAt: ask.expiresAt };
        await tx.query(`UPDATE borrow_asks SET state = $2, closed_at = now() WHERE id = $1`, [
          ask.id,
          full ? 'funded' : 'expired',
        ]);
        await closeGroupAction(tx, ask.allActionId);
        await closeGroupAction(tx, ask.halfActionId);
        const funded = { minor: ask.funded, currency: ask.currency };
        const total = { minor: ask.amount, currency: ask.currency };
        await notifyPerson(tx, {
          key: `notify:borrow:${ask.id}:closed`,
          personId: ask.borrower,
          template: IOU_TEMPLATES['borrow.closed'],
          params: { funded: formatAmount(funded), total: formatAmount(total) },
        });
        return { type: 'closed', askId: ask.id, funded, total };
      });
    },
  };
}
