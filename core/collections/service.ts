/**
 * Group collections (/collect, /split): a collector asks several people of a group chat for money. Each owes a
 * share; one live card in the chat shows who paid, and its Pay button (a group action, each person once) pays the
 * presser's share into the collector's wallet — or into a fund of the chat, as a contribution through the funds
 * service. Every share is paid by one transfer with the ledger ref `collect:<collection>:<person>` (unique), so it
 * is never paid twice; the ledger refuses a payment the wallet cannot cover.
 *
 * Lock order: a press holds its button's lock shared (core/actions/group.ts), then everything that changes a
 * collection (a payment, an excuse, a reminder run, the close) locks its row FOR UPDATE before its debtors, the
 * ledger's accounts and the card. Payments of one collection therefore run one after another — they would anyway,
 * all crediting one wallet and editing one card — and whoever pays last sees that nobody is left and completes it.
 */
import type { Action } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import { createAction, reopenAction } from '../actions/service.js';
import { createGroupAction, groupButtonId, unpress, type GroupActionHandler } from '../actions/group.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, dateOrNull, textOrNull } from '../db/rows.js';
import type { Funds } from '../funds/service.js';
import type { FundError } from '../funds/model.js';
import { membersOf } from '../groups/service.js';
import { balancesOf, getTransferByRef } from '../ledger/queries.js';
import { touchLive } from '../live/service.js';
import type { LiveView } from '../live/model.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { idFrom } from '../outbox/jobs.js';
import { cancel, schedule } from '../outbox/service.js';
import { notifyPerson } from '../outbox/notify.js';
import type { PayError } from '../payments/model.js';
import { confirmReasonFor, type Payments } from '../payments/service.js';
import type { Locale } from '../people/model.js';
import { walletOwner } from '../people/model.js';
import type { People } from '../people/service.js';
import type { Platform } from '../platform.js';
import { isMuted, muteButton } from '../reminders/mute.js';
import { nextReminder } from '../reminders/policy.js';
import { storedNote } from '../text/clean.js';
import {
  COLLECT_CLOSE,
  COLLECT_CONFIRM,
  COLLECT_PAY,
  COLLECT_REMIND,
  type Collection,
  type CollectCloseOutcome,
  type CollectInput,
  type CollectOutcome,
  type CollectPayOutcome,
  type CollectRemindOutcome,
  type CollectionCard,
  type CollectionChat,
  type CollectionError,
  type CollectionRejected,
  type Debtor,
  type ExcuseOutcome,
  type RemindRun,
} from './model.js';
import { planShares } from './plan.js';
import { COLLECTION_TEMPLATES } from './templates.js';

/** The ledger ref of a share's payment: one per collection and person, so a share is never paid twice. */
export const collectionRef = (id: bigint, personId: bigint): string => `collect:${id}:${personId}`;
/** The live card's ref. */
export const collectionCardRef = (id: bigint): string => `collection:${id}`;
const remindKey = (id: bigint, n: number): string => `collect.remind:${id}:${n}`;
/** The reminder thread ("Stop reminding me" mutes it). */
const threadOf = (id: bigint): string => `collection:${id}`;

/** A collection stays open until it is complete or closed; its buttons work this long at most. */
const BUTTON_TTL_MS = 365 * 24 * 3_600_000;
/** A confirmation above the payer's threshold. */
const CONFIRM_TTL_MS = 15 * 60_000;
/** The Pay button of a reminder. */
const REMINDER_PAY_TTL_MS = 7 * 24 * 3_600_000;
/** The collector's "remind now": at most once an hour, so members are not flooded. */
const REMIND_NOW_EVERY = '1 hour';

export interface CollectionsDeps {
  people: Pick<People, 'get' | 'resolve' | 'defaults'>;
  payments: Pick<Payments, 'pay'>;
  funds: Pick<Funds, 'add' | 'show'>;
  log?: Log;
}

export interface Collections {
  /** The card's buttons: Pay (those who owe), Remind and Close (the collector). */
  readonly groupActions: readonly GroupActionHandler[];
  /** The payer's Confirm button (above their threshold, or from a reminder). */
  readonly actions: readonly ActionHandler[];
  /** /collect and /split: the shares, the card, the first 24 h reminder. */
  create(tx: Tx, input: CollectInput): Promise<CollectOutcome>;
  /** Pays `personId`'s share (the Pay button, `confirmed` after a confirmation). */
  pay(tx: Tx, collectionId: bigint, personId: bigint, options?: { confirmed?: boolean }): Promise<CollectPayOutcome>;
  /** The collector lets someone off: they owe nothing more and are not reminded. */
  excuse(
    tx: Tx,
    input: {
      collector: { id: bigint };
      chat: { platform: Platform; chatId: string };
      who: Parameters<People['resolve']>[1];
      /** Default: the collector's latest open collection in the chat. */
      collectionId?: bigint;
    },
  ): Promise<ExcuseOutcome>;
  /** Timed `collect.remind`: the unpaid are reminded, and the next reminder scheduled 24 h on. */
  remindDue(exec: Executor, collectionId: bigint): Promise<RemindRun>;
  get(exec: Executor, collectionId: bigint): Promise<{ collection: Collection; debtors: Debtor[] } | undefined>;
}

const COLUMNS = `id, kind, platform, chat_id, collector, reason, currency, fund_name, collector_share, locale, time_zone, pay_action,
  remind_action, close_action, state, reminders_sent, next_remind_at, created_at`;

function toCollection(r: Row): Collection & { nextRemindAt: Date | null } {
  return {
    id: big(r.id),
    kind: r.kind as Collection['kind'],
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    collector: big(r.collector),
    reason: String(r.reason),
    currency: String(r.currency).trim(),
    fund: textOrNull(r.fund_name),
    collectorShare: r.collector_share === null || r.collector_share === undefined ? null : big(r.collector_share),
    locale: r.locale as Locale,
    timeZone: String(r.time_zone),
    state: r.state as Collection['state'],
    payAction: String(r.pay_action),
    remindAction: String(r.remind_action),
    closeAction: String(r.close_action),
    remindersSent: Number(r.reminders_sent),
    nextRemindAt: dateOrNull(r.next_remind_at),
    createdAt: date(r.created_at),
  };
}

const rejected = (error: CollectionError): CollectionRejected => ({ type: 'rejected', error });
const sum = (amounts: readonly Amount[], currency: string): Amount => ({
  minor: amounts.reduce((acc, a) => acc + a.minor, 0n),
  currency,
});

/** A payment the ledger or the payments service refused: what the payer can do something about. */
function payRefusal(error: PayError): CollectionError {
  if (error === 'InsufficientFunds' || error === 'CurrencyMismatch' || error === 'InvalidAmount') return error;
  throw new Error(`collection payment refused: ${error}`);
}

function fundRefusal(error: FundError): CollectionError {
  if (
    error === 'InsufficientFunds' ||
    error === 'CurrencyMismatch' ||
    error === 'UnknownFund' ||
    error === 'FundClosed' ||
    error === 'InvalidAmount'
  )
    return error;
  throw new Error(`collection payment into a fund refused: ${error}`);
}

const MARKS: Record<Debtor['state'], string> = { paid: '✓', unpaid: '◻', excused: '⊘' };
const ORDER: Record<Debtor['state'], number> = { paid: 0, unpaid: 1, excused: 2 };

export function createCollections(deps: CollectionsDeps): Collections {
  const { people, payments, funds } = deps;
  const log = deps.log ?? silentLog;
  const groupChat = (c: Collection): CollectionChat => ({ platform: c.platform, chatId: c.chatId, kind: 'group' });

  async function lock(tx: Tx, id: bigint) {
    const r = await tx.query(`SELECT ${COLUMNS} FROM collections WHERE id = $1 FOR UPDATE`, [id]);
    return r.rows[0] ? toCollection(r.rows[0]) : undefined;
  }

  async function byAction(exec: Executor, column: 'pay_action' | 'remind_action' | 'close_action', id: string) {
    const r = await exec.query(`SELECT ${COLUMNS} FROM collections WHERE ${column} = $1`, [id]);
    return r.rows[0] ? toCollection(r.rows[0]) : undefined;
  }

  async function debtorsOf(exec: Executor, c: Collection): Promise<Debtor[]> {
    const r = await exec.query(
      `SELECT d.person_id, d.amount, d.state, p.display_name
         FROM collection_debtors d JOIN people p ON p.id = d.person_id
        WHERE d.collection_id = $1 ORDER BY d.position`,
      [c.id],
    );
    return r.rows.map((row) => ({
      personId: big(row.person_id),
      name: String(row.display_name),
      amount: { minor: big(row.amount), currency: c.currency },
      state: row.state as Debtor['state'],
    }));
  }

  async function nameOf(exec: Executor, personId: bigint): Promise<string> {
    return (await people.get(exec, personId))?.displayName ?? '—';
  }

  /** Where the money goes, as the card and reminders show it. */
  const toOf = async (exec: Executor, c: Collection): Promise<string> =>
    c.fund !== null ? `💼 ${c.fund}` : nameOf(exec, c.collector);

  /** The card as it stands, in the collector's language and time zone; bumps the live message (core/live). */
  async function showCard(tx: Tx, c: Collection): Promise<CollectionCard> {
    const debtors = await debtorsOf(tx, c);
    const collector = await people.get(tx, c.collector);
    const owing = debtors.filter((d) => d.state !== 'excused');
    const paid = debtors.filter((d) => d.state === 'paid');
    const roster = [...debtors]
      .sort((a, b) => ORDER[a.state] - ORDER[b.state])
      .map((d) => `${MARKS[d.state]} ${d.name} ${formatAmount(d.amount)}`)
      .join('\n');
    const view: LiveView = {
      template: {
        key: COLLECTION_TEMPLATES['collect.card'].key,
        params: {
          id: c.id.toString(),
          collector: collector?.displayName ?? '—',
          what: c.reason,
          to: await toOf(tx, c),
          collected: formatAmount(
            sum(
              paid.map((d) => d.amount),
              c.currency,
            ),
          ),
          expected: formatAmount(
            sum(
              owing.map((d) => d.amount),
              c.currency,
            ),
          ),
          paid: String(paid.length),
          count: String(owing.length),
          roster,
          ...(c.state === 'open' ? {} : { reason: c.state }),
        },
        ...(c.state === 'open'
          ? {
              buttons: [
                [{ labelKey: 'button.pay', actionId: groupButtonId(c.payAction) }],
                [
                  { labelKey: 'button.remindUnpaid', actionId: groupButtonId(c.remindAction) },
                  { labelKey: 'button.closeCollection', actionId: groupButtonId(c.closeAction) },
                ],
              ],
            }
          : {}),
      },
      locale: c.locale,
      timeZone: c.timeZone,
    };
    const ref = collectionCardRef(c.id);
    const { version } = await touchLive(tx, ref, view);
    return { ref, version, view };
  }

  /** With nobody left to pay, the collection is complete: no more reminders, the collector is told. */
  async function completeIfDone(tx: Tx, c: Collection & { remindersSent: number }): Promise<boolean> {
    const r = await tx.query(
      `SELECT count(*) FILTER (WHERE state = 'unpaid')::int AS unpaid, count(*) FILTER (WHERE state = 'paid')::int AS paid,
              coalesce(sum(amount) FILTER (WHERE state = 'paid'), 0) AS collected
         FROM collection_debtors WHERE collection_id = $1`,
      [c.id],
    );
    const row = r.rows[0];
    if (!row || Number(row.unpaid) > 0) return false;
    await tx.query(`UPDATE collections SET state = 'complete', ended_at = now() WHERE id = $1 AND state = 'open'`, [
      c.id,
    ]);
    c.state = 'complete';
    await cancel(tx, remindKey(c.id, c.remindersSent + 1));
    await notifyPerson(tx, {
      key: `notify:collect:${c.id}:complete`,
      personId: c.collector,
      template: COLLECTION_TEMPLATES['collect.complete'],
      params: {
        what: c.reason,
        collected: formatAmount({ minor: big(row.collected), currency: c.currency }),
        count: String(row.paid),
      },
    });
    log.info({ collectionId: c.id.toString() }, 'collection complete');
    return true;
  }

  /** Reminds everyone still unpaid (and not muted); `tag` makes each round's messages its own. */
  async function remindUnpaid(tx: Tx, c: Collection, tag: string): Promise<number> {
    const debtors = (await debtorsOf(tx, c)).filter((d) => d.state === 'unpaid');
    const collector = await nameOf(tx, c.collector);
    const to = await toOf(tx, c);
    const thread = threadOf(c.id);
    let count = 0;
    for (const d of debtors) {
      if (await isMuted(tx, d.personId, thread)) continue;
      const pay = await createAction(tx, {
        personId: d.personId,
        kind: COLLECT_CONFIRM,
        payload: { collectionId: c.id.toString() },
        ttlMs: REMINDER_PAY_TTL_MS,
        ref: `collect:${c.id}:${d.personId}:pay:${tag}`,
      });
      await notifyPerson(tx, {
        key: `notify:collect:${c.id}:${d.personId}:${tag}`,
        personId: d.personId,
        template: COLLECTION_TEMPLATES['collect.reminder'],
        params: { collector, what: c.reason, amount: formatAmount(d.amount), to },
        buttons: [[{ labelKey: 'button.pay', actionId: pay.id }], [await muteButton(tx, d.personId, thread)]],
        thread,
      });
      count += 1;
    }
    return count;
  }

  async function pay(
    tx: Tx,
    collectionId: bigint,
    personId: bigint,
    options: { confirmed?: boolean } = {},
  ): Promise<CollectPayOutcome> {
    const c = await lock(tx, collectionId);
    if (!c) return rejected('UnknownCollection');
    const r = await tx.query(
      `SELECT amount, state FROM collection_debtors WHERE collection_id = $1 AND person_id = $2 FOR UPDATE`,
      [c.id, personId],
    );
    const row = r.rows[0];
    if (!row) return rejected('NotADebtor');
    if (row.state === 'paid') return rejected('AlreadyPaid');
    if (row.state === 'excused') return rejected('AlreadyExcused');
    if (c.state !== 'open') return rejected('CollectionClosed');
    const payer = await people.get(tx, personId);
    if (!payer) throw new Error(`person ${personId} of collection ${c.id} is missing`);
    const amount: Amount = { minor: big(row.amount), currency: c.currency };
    const to = c.fund ?? (await nameOf(tx, c.collector));
    const about = { collectionId: c.id, amount, to, fund: c.fund, reason: c.reason };

    // Above the payer's threshold the tap asks first: a Confirm button only they can press. Someone who cannot pay
    // is told so at once rather than asked to confirm (the ledger is what refuses, below, if this read is stale).
    if (options.confirmed !== true && confirmReasonFor(payer, amount, people.defaults.confirmThreshold)) {
      const wallet = (await balancesOf(tx, walletOwner(personId))).find((b) => b.currency === amount.currency);
      if ((wallet?.available ?? 0n) < amount.minor) return rejected('InsufficientFunds');
      const action = await createAction(tx, {
        personId,
        kind: COLLECT_CONFIRM,
        payload: { collectionId: c.id.toString() },
        ttlMs: CONFIRM_TTL_MS,
      });
      return { type: 'confirm', actionId: action.id, ...about };
    }

    const ref = collectionRef(c.id, personId);
    if (c.fund !== null) {
      // A contribution like `/fund add`: the payer becomes a member of the fund.
      const added = await funds.add(tx, {
        key: ref,
        person: payer,
        chat: groupChat(c),
        name: c.fund,
        amount,
        note: c.reason,
      });
      if (added.type === 'rejected') return rejected(fundRefusal(added.error));
    } else {
      const paid = await payments.pay(tx, {
        key: ref,
        from: payer,
        to: { personId: c.collector },
        amount,
        note: c.reason,
        chat: { platform: c.platform, chatId: c.chatId },
        // The card shows the amount and whom it is for: the tap (or the confirmation) is the payer's yes.
        confirmed: true,
        undo: false,
        notifyRecipient: false,
      });
      if (paid.type === 'rejected') return rejected(payRefusal(paid.error));
      if (paid.type !== 'paid') throw new Error(`paying collection ${c.id} did not pay (${paid.type})`);
    }
    const transfer = await getTransferByRef(tx, ref);
    if (!transfer) throw new Error(`collection ${c.id}: no transfer ${ref}`);
    await tx.query(
      `UPDATE collection_debtors SET state = 'paid', transfer_id = $3, settled_at = now()
        WHERE collection_id = $1 AND person_id = $2 AND state = 'unpaid'`,
      [c.id, personId, transfer.id],
    );
    const complete = await completeIfDone(tx, c);
    await showCard(tx, c);
    log.info({ collectionId: c.id.toString(), transferId: transfer.id.toString() }, 'collection share paid');
    return { type: 'paid', ...about, complete };
  }

  async function confirmPay(tx: Tx, action: Action): Promise<CollectPayOutcome> {
    if (action.kind !== COLLECT_CONFIRM.kind) throw new Error(`confirmPay got a ${action.kind} action`);
    const outcome = await pay(tx, idFrom(action.payload, 'collectionId', action.kind), action.personId, {
      confirmed: true,
    });
    // Short of money: the button stays usable, so a top-up and a second tap work.
    if (outcome.type === 'rejected' && outcome.error === 'InsufficientFunds') await reopenAction(tx, action.id);
    return outcome;
  }

  const payButton: GroupActionHandler = {
    kind: COLLECT_PAY.kind,
    async eligible(tx, action, personId) {
      const c = await byAction(tx, 'pay_action', action.id);
      if (!c) return false;
      if (c.state !== 'open') return 'Closed';
      const r = await tx.query(`SELECT state FROM collection_debtors WHERE collection_id = $1 AND person_id = $2`, [
        c.id,
        personId,
      ]);
      const state = r.rows[0]?.state;
      if (state === 'paid') return 'AlreadyPressed';
      return state === 'unpaid';
    },
    async pressed(tx, action, _tally, personId) {
      const c = await byAction(tx, 'pay_action', action.id);
      if (!c) return rejected('UnknownCollection');
      const outcome = await pay(tx, c.id, personId);
      // Not paid yet (it waits for the confirmation): the Pay button stays pressable.
      if (outcome.type === 'confirm') await unpress(tx, action.id, personId);
      return outcome;
    },
  };

  const collectorOnly =
    (column: 'remind_action' | 'close_action'): GroupActionHandler['eligible'] =>
    async (tx, action, personId) => {
      const c = await byAction(tx, column, action.id);
      if (!c || c.collector !== personId) return false;
      return c.state === 'open' ? true : 'Closed';
    };

  const remindButton: GroupActionHandler = {
    kind: COLLECT_REMIND.kind,
    eligible: collectorOnly('remind_action'),
    async pressed(tx, action, _tally, personId): Promise<CollectRemindOutcome> {
      // "Remind now" may be pressed again later (at most once an hour).
      await unpress(tx, action.id, personId);
      const found = await byAction(tx, 'remind_action', action.id);
      const c = found && (await lock(tx, found.id));
      if (!c) return rejected('UnknownCollection');
      if (c.state !== 'open') return rejected('CollectionClosed');
      const left = await tx.query(
        `SELECT count(*)::int AS n FROM collection_debtors WHERE collection_id = $1 AND state = 'unpaid'`,
        [c.id],
      );
      if (Number(left.rows[0]?.n ?? 0) === 0) return rejected('NothingToRemind');
      const stamped = await tx.query(
        `UPDATE collections SET reminded_at = now()
          WHERE id = $1 AND (reminded_at IS NULL OR reminded_at <= now() - interval '${REMIND_NOW_EVERY}')
          RETURNING extract(epoch FROM reminded_at)::bigint AS at`,
        [c.id],
      );
      const stampedRow = stamped.rows[0];
      if (!stampedRow) return rejected('RemindedRecently');
      const count = await remindUnpaid(tx, c, `now:${big(stampedRow.at)}`);
      log.info({ collectionId: c.id.toString(), count }, 'collection reminded now');
      return { type: 'reminded', collectionId: c.id, count };
    },
  };

  const closeButton: GroupActionHandler = {
    kind: COLLECT_CLOSE.kind,
    eligible: collectorOnly('close_action'),
    async pressed(tx, action): Promise<CollectCloseOutcome> {
      const found = await byAction(tx, 'close_action', action.id);
      const c = found && (await lock(tx, found.id));
      if (!c) return rejected('UnknownCollection');
      if (c.state !== 'open') return rejected('CollectionClosed');
      await tx.query(`UPDATE collections SET state = 'closed', ended_at = now() WHERE id = $1`, [c.id]);
      c.state = 'closed';
      await cancel(tx, remindKey(c.id, c.remindersSent + 1));
      await showCard(tx, c);
      const r = await tx.query(
        `SELECT coalesce(sum(amount), 0) AS collected FROM collection_debtors WHERE collection_id = $1 AND state = 'paid'`,
        [c.id],
      );
      log.info({ collectionId: c.id.toString() }, 'collection closed');
      return {
        type: 'closed',
        collectionId: c.id,
        collected: { minor: big(r.rows[0]?.collected ?? 0), currency: c.currency },
      };
    },
  };

  async function create(tx: Tx, input: CollectInput): Promise<CollectOutcome> {
    const { chat, split, collector } = input;
    if (chat.kind !== 'group') return rejected('NotInGroup');
    const reason = storedNote(input.reason);
    if (reason === null) return rejected('NoReason');
    const given = split.mode === 'perPerson' ? split.amounts : [split.amount];
    if (given.length === 0 || given.some((a) => a.minor <= 0n || !isCurrency(a.currency)))
      return rejected('InvalidAmount');
    const currency = given[0]?.currency ?? '';
    if (given.some((a) => a.currency !== currency)) return rejected('CurrencyMismatch');

    // Who owes, in the order named (or the chat's members, longest-standing first); never the collector.
    let named: Array<{ id: bigint; amount?: Amount }> = [];
    if (input.debtors.length > 0) {
      for (const [i, who] of input.debtors.entries()) {
        const found = await people.resolve(tx, who);
        if (typeof found === 'string') return rejected(found);
        const amount = split.mode === 'perPerson' ? split.amounts[i] : undefined;
        if (named.some((n) => n.id === found.person.id)) {
          if (split.mode === 'perPerson') return rejected('DuplicateDebtor');
          continue;
        }
        named.push({ id: found.person.id, ...(amount ? { amount } : {}) });
      }
    } else {
      if (split.mode === 'perPerson') return rejected('NoDebtors');
      named = (await membersOf(tx, chat)).map((m) => ({ id: m.personId }));
    }
    named = named.filter((n) => n.id !== collector.id);
    const plan = planShares(
      split.mode === 'perPerson'
        ? { mode: 'perPerson', amounts: named.map((n) => n.amount ?? split.amounts[0]!) }
        : split,
      named.length,
    );
    if (typeof plan === 'string') return rejected(plan);

    let fund: string | null = null;
    if (input.fund !== undefined) {
      const view = await funds.show(tx, chat, input.fund);
      if (!view) return rejected('UnknownFund');
      if (view.fund.state !== 'open') return rejected('FundClosed');
      if (view.fund.currency !== currency) return rejected('CurrencyMismatch');
      fund = view.fund.name;
    }

    const button = (kind: string, what: string) =>
      createGroupAction(tx, {
        kind,
        payload: {},
        platform: chat.platform,
        chatId: chat.chatId,
        createdBy: collector.id,
        ttlMs: BUTTON_TTL_MS,
        ref: `collect:${input.key}:${what}`,
        mode: 'once',
      });
    const self = await people.get(tx, collector.id);
    const reader = input.reader ?? {
      locale: self?.locale ?? people.defaults.locale,
      timeZone: self?.timezone ?? people.defaults.timezone,
    };
    const payAction = await button(COLLECT_PAY.kind, 'pay');
    const remindAction = await button(COLLECT_REMIND.kind, 'remind');
    const closeAction = await button(COLLECT_CLOSE.kind, 'close');
    const inserted = await tx.query(
      `INSERT INTO collections (key, kind, platform, chat_id, collector, reason, currency, fund_name, collector_share,
                                pay_action, remind_action, close_action, locale, time_zone)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        input.key,
        split.mode === 'bill' ? 'split' : 'collect',
        chat.platform,
        chat.chatId,
        collector.id,
        reason,
        currency,
        fund,
        plan.collectorShare?.minor ?? null,
        payAction.id,
        remindAction.id,
        closeAction.id,
        reader.locale,
        reader.timeZone,
      ],
    );
    let row = inserted.rows[0];
    if (!row) {
      // retry-safe: the same delivery again finds its collection.
      row = (await tx.query(`SELECT ${COLUMNS} FROM collections WHERE key = $1`, [input.key])).rows[0];
      if (!row) throw new Error(`collection ${input.key} vanished`);
    } else {
      const c = toCollection(row);
      await tx.query(
        `INSERT INTO collection_debtors (collection_id, person_id, position, amount)
         SELECT $1, person_id, position, amount
           FROM unnest($2::bigint[], $3::int[], $4::bigint[]) AS d (person_id, position, amount)`,
        [c.id, named.map((n) => n.id.toString()), named.map((_, i) => i), plan.shares.map((s) => s.minor.toString())],
      );
      const next = nextReminder('collection.unpaid', { openedAt: c.createdAt, after: c.createdAt, open: true });
      if (next) {
        await tx.query(`UPDATE collections SET next_remind_at = $2 WHERE id = $1`, [c.id, next.toISOString()]);
        await schedule(tx, {
          key: remindKey(c.id, 1),
          kind: 'collect.remind',
          dueAt: next,
          payload: { collectionId: c.id.toString(), n: '1' },
        });
      }
      log.info({ collectionId: c.id.toString(), debtors: named.length }, 'collection opened');
    }
    const c = toCollection(row);
    const debtors = await debtorsOf(tx, c);
    return {
      type: 'collecting',
      collection: c,
      debtors,
      expected: sum(
        debtors.map((d) => d.amount),
        c.currency,
      ),
      card: await showCard(tx, c),
    };
  }

  async function excuse(tx: Tx, input: Parameters<Collections['excuse']>[1]): Promise<ExcuseOutcome> {
    const found =
      input.collectionId !== undefined
        ? await tx.query(`SELECT id FROM collections WHERE platform = $1 AND chat_id = $2 AND id = $3`, [
            input.chat.platform,
            input.chat.chatId,
            input.collectionId,
          ])
        : await tx.query(
            `SELECT id FROM collections WHERE platform = $1 AND chat_id = $2 AND collector = $3 AND state = 'open'
              ORDER BY id DESC LIMIT 1`,
            [input.chat.platform, input.chat.chatId, input.collector.id],
          );
    const id = found.rows[0]?.id;
    const c = id === undefined ? undefined : await lock(tx, big(id));
    if (!c) return rejected('UnknownCollection');
    if (c.collector !== input.collector.id) return rejected('NotCollector');
    if (c.state !== 'open') return rejected('CollectionClosed');
    const who = await people.resolve(tx, input.who);
    if (typeof who === 'string') return rejected(who);
    const r = await tx.query(
      `SELECT amount, state FROM collection_debtors WHERE collection_id = $1 AND person_id = $2 FOR UPDATE`,
      [c.id, who.person.id],
    );
    const row = r.rows[0];
    if (!row) return rejected('NotADebtor');
    if (row.state === 'paid') return rejected('AlreadyPaid');
    if (row.state === 'excused') return rejected('AlreadyExcused');
    await tx.query(
      `UPDATE collection_debtors SET state = 'excused', settled_at = now() WHERE collection_id = $1 AND person_id = $2`,
      [c.id, who.person.id],
    );
    const complete = await completeIfDone(tx, c);
    await showCard(tx, c);
    return {
      type: 'excused',
      collectionId: c.id,
      name: who.person.displayName,
      amount: { minor: big(row.amount), currency: c.currency },
      complete,
    };
  }

  function remindDue(exec: Executor, collectionId: bigint): Promise<RemindRun> {
    return inTx(exec, async (tx): Promise<RemindRun> => {
      const c = await lock(tx, collectionId);
      if (!c) return { type: 'noop', reason: 'Unknown' };
      if (c.state !== 'open' || c.nextRemindAt === null) return { type: 'noop', reason: 'Resolved' };
      const now = await tx.query(`SELECT $1::timestamptz > now() AS early`, [c.nextRemindAt.toISOString()]);
      if (now.rows[0]?.early === true) return { type: 'noop', reason: 'NotDue', dueAt: c.nextRemindAt };
      const n = c.remindersSent + 1;
      const count = await remindUnpaid(tx, c, `r${n}`);
      const next = nextReminder('collection.unpaid', { openedAt: c.createdAt, after: c.nextRemindAt, open: true });
      await tx.query(`UPDATE collections SET reminders_sent = $2, next_remind_at = $3 WHERE id = $1`, [
        c.id,
        n,
        next?.toISOString() ?? null,
      ]);
      if (next)
        await schedule(tx, {
          key: remindKey(c.id, n + 1),
          kind: 'collect.remind',
          dueAt: next,
          payload: { collectionId: c.id.toString(), n: String(n + 1) },
        });
      log.info({ collectionId: c.id.toString(), count, n }, 'collection reminded');
      return { type: 'reminded', collectionId: c.id, count, next };
    });
  }

  return {
    groupActions: [payButton, remindButton, closeButton],
    actions: [handles(COLLECT_CONFIRM, confirmPay)],
    create,
    pay,
    excuse,
    remindDue,
    async get(exec, collectionId) {
      const r = await exec.query(`SELECT ${COLUMNS} FROM collections WHERE id = $1`, [collectionId]);
      if (!r.rows[0]) return undefined;
      const collection = toCollection(r.rows[0]);
      return { collection, debtors: await debtorsOf(exec, collection) };
    },
  };
}
