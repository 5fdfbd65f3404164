/**
 * Borrow asks (`/borrow amount due [note]` in a group): the card shows the borrower's record and two Fund buttons
 * (the whole rest, half of it) any friend may press. Each funded part moves lender → borrower and opens an IOU
 * (`source = 'borrow'`, `source_ref = borrow:<ask>:<lender>:<n>`) in the same transaction. The ask row is locked
 * FOR UPDATE by every funding and each part is min(asked part, rest), so friends pressing together never fund more
 * than asked. It closes when fully funded or at BORROW_TTL (`borrow.close`), and the borrower is told what came in.
 *
 * The card is a live message (core/live, ref `borrow:<id>`): each funded part and the close edit it. Named friends
 * (`/borrow 50 friday @ann @ben`) are asked in a DM instead, with Lend all / Lend half buttons only they can press
 * (personal actions, `borrow.lend`), and only they may lend to it; typed in a group, the chat sees a short reply
 * naming them and no buttons. At half-time the chat gets a reminder pointing at the card; at expiry short of the
 * amount the borrower gets "Ask others" (`borrow.reask`): a new ask for the rest, posted in the same chat.
 */
import {
  closeGroupAction,
  createGroupAction,
  groupButtonId,
  type GroupAction,
  type GroupActionHandler,
} from '../actions/group.js';
import type { Action } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import { createAction, reopenAction } from '../actions/service.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, dbNow, textOrNull } from '../db/rows.js';
import { openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import type { LiveView } from '../live/model.js';
import { postLive, readLive, touchLive } from '../live/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { schedule } from '../outbox/index.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner, type Locale, type Person } from '../people/model.js';
import type { People, Someone } from '../people/service.js';
import type { Platform } from '../platform.js';
import { storedNote } from '../text/clean.js';
import { zonedParts } from '../time/zoned.js';
import {
  BORROW_FUND,
  BORROW_LEND,
  BORROW_REASK,
  dayText,
  type BorrowCard,
  type BorrowError,
  type BorrowReaskOutcome,
  type IouRecord,
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
  people: Pick<People, 'get' | 'resolve'>;
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
  /** The card's language (the chat's reader). */
  locale: Locale;
  /** Named friends: each is asked in a DM and only they may lend (none: the chat is asked with a card). */
  friends?: readonly Someone[];
  /** "Ask others": the ask whose rest this is. */
  reaskedFrom?: bigint;
}

export interface Borrow {
  /** The Fund buttons (group actions). */
  readonly groupActions: readonly GroupActionHandler[];
  /** A named friend's Lend all / Lend half in their DM; the borrower's "Ask others" after expiry. */
  readonly actions: readonly ActionHandler[];
  ask(tx: Tx, input: BorrowInput): Promise<BorrowOutcome>;
  /** A friend funds `amount` (capped at what is still asked), the whole rest, or half of it, of ask `askId`. */
  fund(tx: Tx, input: { askId: bigint; lender: bigint; amount: Amount | 'all' | 'half' }): Promise<BorrowFundOutcome>;
  /** Timed `borrow.nudge` at half the TTL: tells the borrower what came in so far (nothing once it is funded). */
  nudge(exec: Executor, askId: bigint): Promise<BorrowNudgeOutcome>;
  /** `borrow.reask` tap: a new ask for what did not come in, same due date and note, its card posted in the chat. */
  reask(tx: Tx, action: Action): Promise<BorrowReaskOutcome>;
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
  allActionId: string | null;
  halfActionId: string | null;
  locale: Locale;
  named: boolean;
  chatKind: 'private' | 'group';
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
    allActionId: textOrNull(r.all_action_id),
    halfActionId: textOrNull(r.half_action_id),
    locale: String(r.locale) as Locale,
    named: r.named === true,
    chatKind: r.chat_kind === 'private' ? 'private' : 'group',
    expiresAt: date(r.expires_at),
    createdAt: date(r.created_at),
    closedAt: r.closed_at === null ? null : date(r.closed_at),
  };
}

const closeKey = (id: bigint, n: number): string => `borrow.close:${id}:${n}`;
export const borrowPartRef = (askId: bigint, lender: bigint, n: number): string => `borrow:${askId}:${lender}:${n}`;
/** The live card of ask `id` in its chat. */
export const borrowCardRef = (id: bigint): string => `borrow:${id}`;
const lendRef = (id: bigint, friend: bigint, share: 'all' | 'half'): string => `borrow:${id}:friend:${friend}:${share}`;

const recordParams = (record: IouRecord) => ({
  onTime: String(record.onTime),
  late: String(record.late),
  open: String(record.open),
});

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

  /**
   * The card as the chat sees it now (the caller holds the ask's lock). The record is the one shown when the ask
   * was posted (kept from the card's first view): the parts funded since are this ask's own IOUs.
   */
  async function card(tx: Tx, ask: Ask, record?: IouRecord): Promise<BorrowCard> {
    const ref = borrowCardRef(ask.id);
    const shown = record ? recordParams(record) : (await readLive(tx, ref))?.view.template.params;
    const money = (minor: bigint) => formatAmount({ minor, currency: ask.currency });
    const open = ask.state === 'open' && ask.funded < ask.amount;
    const view: LiveView = {
      template: {
        key: IOU_TEMPLATES['borrow.card'].key,
        params: {
          borrower: await nameOf(tx, ask.borrower),
          amount: money(ask.amount),
          due: ask.dueOn,
          id: ask.id.toString(),
          funded: money(ask.funded),
          rest: money(ask.amount - ask.funded),
          onTime: shown?.onTime ?? '0',
          late: shown?.late ?? '0',
          open: shown?.open ?? '0',
          ...(ask.note ? { note: ask.note } : {}),
          ...(ask.state === 'open' ? (open ? {} : { reason: 'funded' }) : { reason: ask.state }),
        },
        ...(open && ask.allActionId && ask.halfActionId
          ? {
              buttons: [
                [
                  { labelKey: 'borrow.fund_all', actionId: groupButtonId(ask.allActionId) },
                  { labelKey: 'borrow.fund_half', actionId: groupButtonId(ask.halfActionId) },
                ],
              ],
            }
          : {}),
      },
      locale: ask.locale,
      timeZone: ask.timeZone,
    };
    const { version } = await touchLive(tx, ref, view);
    return { ref, version, view };
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
    if (ask.named) {
      const r = await tx.query(`SELECT 1 FROM borrow_ask_friends WHERE ask_id = $1 AND person_id = $2`, [
        ask.id,
        input.lender,
      ]);
      if (r.rowCount === 0) return rejected('NotAsked');
    }
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
    if (!ask.named) await card(tx, { ...ask, funded, parts: n });
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

  /** A named friend's button in their DM (bound to them by core/actions); short of money, they may tap it again. */
  async function lendPressed(tx: Tx, action: Action): Promise<BorrowFundOutcome> {
    const askId = action.payload.askId;
    if (typeof askId !== 'string' || !/^\d{1,19}$/.test(askId)) return { type: 'rejected', error: 'AskNotFound' };
    const outcome = await fund(tx, {
      askId: BigInt(askId),
      lender: action.personId,
      amount: action.payload.share === 'half' ? 'half' : 'all',
    });
    if (outcome.type === 'rejected' && outcome.error === 'LenderShort') await reopenAction(tx, action.id);
    return outcome;
  }

  /** Resolves the named friends (each at most once); the first one that cannot be asked refuses the whole ask. */
  async function friendsOf(
    tx: Tx,
    borrower: Person,
    named: readonly Someone[],
  ): Promise<Person[] | { error: BorrowError; name: string }> {
    const out: Person[] = [];
    for (const who of named) {
      const label = 'actor' in who ? who.actor.displayName : 'username' in who ? `@${who.username}` : '—';
      const found = await people.resolve(tx, who);
      if (typeof found === 'string') return { error: found, name: label };
      if (found.person.id === borrower.id) return { error: 'OwnAsk', name: label };
      if (!out.some((p) => p.id === found.person.id)) out.push(found.person);
    }
    return out;
  }

  async function ask(tx: Tx, input: BorrowInput): Promise<BorrowOutcome> {
    const { amount, chat } = input;
    const named = input.friends ?? [];
    if (named.length === 0 && chat.kind !== 'group') return { type: 'rejected', error: 'NotInGroup' };
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return { type: 'rejected', error: 'InvalidAmount' };
    const now = await dbNow(tx);
    if (dayText(input.due) < dayText(zonedParts(now, input.timeZone))) return { type: 'rejected', error: 'DueInPast' };
    const friends = await friendsOf(tx, input.borrower, named);
    if (!Array.isArray(friends)) return { type: 'rejected', ...friends };
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
    const all = friends.length === 0 ? await button('all') : null;
    const half = friends.length === 0 ? await button('half') : null;
    const expiresAt = all?.expiresAt ?? new Date(now.getTime() + deps.config.ttlMs);
    const note = storedNote(input.note ?? null);
    const r = await tx.query(
      `INSERT INTO borrow_asks (key, borrower, amount, currency, note, due_on, time_zone, platform, chat_id,
                                all_action_id, half_action_id, expires_at, locale, named, chat_kind, reasked_from)
       VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (key) DO NOTHING RETURNING ${COLUMNS}`,
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
        all?.id ?? null,
        half?.id ?? null,
        expiresAt.toISOString(),
        input.locale,
        friends.length > 0,
        chat.kind,
        input.reaskedFrom ?? null,
      ],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`borrow ask ${input.key} exists already`);
    const created = toAsk(row);
    const askId = created.id;
    await schedule(tx, {
      key: `borrow.nudge:${askId}`,
      kind: 'borrow.nudge',
      dueAt: new Date(now.getTime() + deps.config.ttlMs / 2),
      payload: { askId: askId.toString() },
    });
    await schedule(tx, {
      key: closeKey(askId, 1),
      kind: 'borrow.close',
      dueAt: expiresAt,
      payload: { askId: askId.toString() },
    });
    const record = await ious.record(tx, input.borrower.id);
    const params = {
      borrower: input.borrower.displayName,
      amount: formatAmount(amount),
      due: dayText(input.due),
      id: askId.toString(),
      ...recordParams(record),
      ...(note ? { note } : {}),
    };
    for (const friend of friends) {
      await tx.query(`INSERT INTO borrow_ask_friends (ask_id, person_id) VALUES ($1, $2)`, [askId, friend.id]);
      const lendButton = async (share: 'all' | 'half') =>
        (
          await createAction(tx, {
            personId: friend.id,
            kind: BORROW_LEND,
            payload: { askId: askId.toString(), share },
            ttlMs: deps.config.ttlMs,
            ref: lendRef(askId, friend.id, share),
          })
        ).id;
      await notifyPerson(tx, {
        key: `notify:borrow:${askId}:asked:${friend.id}`,
        personId: friend.id,
        template: IOU_TEMPLATES['borrow.asked'],
        params,
        buttons: [
          [
            { labelKey: 'borrow.fund_all', actionId: await lendButton('all') },
            { labelKey: 'borrow.fund_half', actionId: await lendButton('half') },
          ],
        ],
      });
    }
    return {
      type: 'asked',
      askId,
      amount,
      dueOn: dayText(input.due),
      note,
      borrowerName: input.borrower.displayName,
      record,
      allActionId: all?.id ?? null,
      halfActionId: half?.id ?? null,
      expiresAt,
      card: friends.length === 0 ? await card(tx, created, record) : null,
      friends: friends.map((f) => f.displayName),
    };
  }

  async function reask(tx: Tx, action: Action): Promise<BorrowReaskOutcome> {
    const askId = action.payload.askId;
    if (typeof askId !== 'string' || !/^\d{1,19}$/.test(askId)) return { type: 'rejected', error: 'AskNotFound' };
    const old = await lockAsk(tx, BigInt(askId));
    const borrower = old && (await people.get(tx, old.borrower));
    if (!old || !borrower) return { type: 'rejected', error: 'AskNotFound' };
    if (old.chatKind !== 'group') return { type: 'rejected', error: 'NotInGroup' };
    const again = await tx.query(`SELECT 1 FROM borrow_asks WHERE reasked_from = $1`, [old.id]);
    if (again.rowCount > 0) return { type: 'rejected', error: 'AlreadyReasked' };
    const rest = { minor: old.amount - old.funded, currency: old.currency };
    if (rest.minor <= 0n) return { type: 'rejected', error: 'NothingLeft' };
    const outcome = await ask(tx, {
      key: `borrow:reask:${old.id}`,
      borrower,
      amount: rest,
      // The same due date, even if it is today.
      due: dayOf(old.dueOn),
      timeZone: old.timeZone,
      note: old.note,
      chat: { platform: old.platform, chatId: old.chatId, kind: 'group' },
      locale: old.locale,
      reaskedFrom: old.id,
    });
    // The due date has passed since (an ask due today, re-asked tomorrow): a new /borrow names a new one.
    if (outcome.type === 'rejected')
      return { type: 'rejected', error: outcome.error === 'DueInPast' ? 'DueInPast' : 'AskNotFound' };
    if (!outcome.card) return { type: 'rejected', error: 'AskNotFound' };
    // No command reply carries this card (the tap was in a DM): a worker posts it in the ask's chat.
    await postLive(tx, { ref: outcome.card.ref, view: outcome.card.view, platform: old.platform, chatId: old.chatId });
    log.info({ askId: outcome.askId, from: old.id }, 'borrow ask re-posted');
    return { type: 'reasked', askId: outcome.askId, amount: rest };
  }

  return {
    groupActions: [fundButton],
    actions: [handles(BORROW_LEND, lendPressed), handles(BORROW_REASK, reask)],
    fund,
    ask,
    reask,

    nudge(exec, askId) {
      return inTx(exec, async (tx): Promise<BorrowNudgeOutcome> => {
        const ask = await lockAsk(tx, askId);
        if (!ask) return { type: 'noop', reason: 'Unknown', dueAt: null };
        if (ask.closedAt || ask.funded === ask.amount) return { type: 'noop', reason: 'Resolved', dueAt: null };
        const half = new Date((ask.createdAt.getTime() + ask.expiresAt.getTime()) / 2);
        if (half.getTime() > (await dbNow(tx)).getTime()) return { type: 'noop', reason: 'NotDue', dueAt: half };
        const funded = formatAmount({ minor: ask.funded, currency: ask.currency });
        const total = formatAmount({ minor: ask.amount, currency: ask.currency });
        await notifyPerson(tx, {
          key: `notify:borrow:${ask.id}:halfway`,
          personId: ask.borrower,
          template: IOU_TEMPLATES['borrow.halfway'],
          params: { funded, total },
        });
        // The chat that has the card hears it too (a named ask's friends were asked in their DMs: nothing there).
        if (!ask.named)
          await postLive(tx, {
            ref: `borrow:${ask.id}:halfway`,
            view: {
              template: {
                key: IOU_TEMPLATES['borrow.halfway_chat'].key,
                params: {
                  borrower: await nameOf(tx, ask.borrower),
                  id: ask.id.toString(),
                  funded,
                  total,
                  rest: formatAmount({ minor: ask.amount - ask.funded, currency: ask.currency }),
                },
              },
              locale: ask.locale,
              timeZone: ask.timeZone,
            },
            platform: ask.platform,
            chatId: ask.chatId,
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
        const state = full ? 'funded' : 'expired';
        await tx.query(`UPDATE borrow_asks SET state = $2, closed_at = now() WHERE id = $1`, [ask.id, state]);
        if (ask.allActionId) await closeGroupAction(tx, ask.allActionId);
        if (ask.halfActionId) await closeGroupAction(tx, ask.halfActionId);
        if (!ask.named) await card(tx, { ...ask, state, closedAt: now });
        const funded = { minor: ask.funded, currency: ask.currency };
        const total = { minor: ask.amount, currency: ask.currency };
        const key = `notify:borrow:${ask.id}:closed`;
        if (full || ask.chatKind !== 'group')
          await notifyPerson(tx, {
            key,
            personId: ask.borrower,
            template: IOU_TEMPLATES['borrow.closed'],
            params: { funded: formatAmount(funded), total: formatAmount(total) },
          });
        else {
          const others = await createAction(tx, {
            personId: ask.borrower,
            kind: BORROW_REASK,
            payload: { askId: ask.id.toString() },
            ttlMs: deps.config.ttlMs,
            ref: `borrow:${ask.id}:reask`,
          });
          await notifyPerson(tx, {
            key,
            personId: ask.borrower,
            template: IOU_TEMPLATES['borrow.expired'],
            params: {
              funded: formatAmount(funded),
              total: formatAmount(total),
              rest: formatAmount({ minor: ask.amount - ask.funded, currency: ask.currency }),
            },
            buttons: [[{ labelKey: 'button.askOthers', actionId: others.id }]],
          });
        }
        return { type: 'closed', askId: ask.id, funded, total };
      });
    },
  };
}
