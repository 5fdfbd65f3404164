import { CLAIM_RELEASE, CLAIM_RETURN, PAY_CONFIRM, PAY_UNDO } from './model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import type { Action, ActionPayload } from '../actions/model.js';
import { createAction, reopenAction } from '../actions/service.js';
import type { LiveView } from '../live/model.js';
import { notifyPerson, withNote } from '../outbox/notify.js';
import { PAYMENT_TEMPLATES } from './templates.js';
import { amountFromWire, bigintFromWire } from '../db/wire.js';
import type { Executor, Tx } from '../db/executor.js';
import { transferRefusalOf, type LedgerError } from '../ledger/errors.js';
import { balancesOf, getTransfer, openAccount, openAccounts, openSystemAccount } from '../ledger/queries.js';
import { balanceOf } from '../ledger/model.js';
import { big } from '../db/rows.js';
import { whereSeen } from '../groups/service.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import {
  PLATFORMS,
  WALLET_OWNER_PREFIX,
  walletOwner,
  type Locale,
  type Person,
  type Platform,
} from '../people/model.js';
import { pickLocale } from '../people/settings.js';
import { normalizeUsername, PERSON_COLUMNS_OF_P, toPerson, type People } from '../people/service.js';
import { storedNote } from '../text/clean.js';
import { createClaims } from './claims.js';
import { historyCsv } from './csv.js';
import { historyOf } from './history.js';
import type {
  BalanceLine,
  ChatScope,
  ClaimOutcome,
  ConfirmReason,
  FaucetOutcome,
  HistoryPage,
  Noop,
  PayError,
  PayOutcome,
  PayRecipient,
  UndoOutcome,
} from './model.js';

export interface PaymentsConfig {
  defaultCurrency: string;
  /** In the default currency; a person's own threshold overrides it; 0 = confirm every payment. */
  confirmThreshold: Amount;
  holdTtlMs: number;
  undoWindowMs: number;
  demoMoney: boolean;
  /** How long a confirm card's button stays valid (default 15 minutes). */
  confirmTtlMs?: number;
}

export interface PaymentsDeps {
  ledger: Ledger;
  people: People;
  config: PaymentsConfig;
  log?: Log;
}

export interface PayInput {
  /** Idempotency key of the command (SPEC §5); the ledger ref of the transfer or hold. */
  key: string;
  from: Person;
  to: PayRecipient;
  amount: Amount;
  note?: string | null;
  chat: ChatScope;
  /** The payer already confirmed (a confirm card tap, a request's Pay button). */
  confirmed?: boolean;
  /** Offer an Undo button (default true; a paid request cannot be undone). */
  undo?: boolean;
  /** Send the recipient `pay.received` (default true; a paid request sends `request.paid` instead). */
  notifyRecipient?: boolean;
  /** `key` is a delivery's on its first run (core/once `fresh`): no transfer carries it yet (ledger `newRefs`). */
  firstRun?: boolean;
  /**
   * How the payer reads the reply (the command's reader): its final state, once its Undo or Confirm button can no
   * longer be used, is shown in this language. Default: the payer's settings.
   */
  reader?: { locale: Locale; timeZone: string };
}

export interface Payments {
  /** The handlers of this domain's buttons (createCore dispatches presses to them by kind). */
  readonly actions: readonly ActionHandler[];
  /** /pay: paid at once, or a confirm card, or money held for an unseen @username, or a refusal. */
  pay(tx: Tx, input: PayInput): Promise<PayOutcome>;
  /** A `pay.confirm` tap: the payment on the card, with ref `act:<action id>`. */
  confirmPay(tx: Tx, action: Action): Promise<PayOutcome>;
  /** A `pay.undo` tap: reverses the payment while the recipient's available balance covers it. */
  undoPay(tx: Tx, action: Action): Promise<UndoOutcome>;
  /** A `claim.release` tap: the claimant gets the held money. */
  releaseClaim(tx: Tx, action: Action): Promise<ClaimOutcome>;
  /** A `claim.return` tap: the sender takes the held money back now. */
  returnClaim(tx: Tx, action: Action): Promise<ClaimOutcome>;
  /**
   * Timed `claim.expire`: the hold goes back to the sender unless released meanwhile. Runs in the
   * caller's transaction when given a Tx (the worker's, which marks the outbox row done), else in its own.
   */
  expireClaim(exec: Executor, claimId: bigint): Promise<ClaimOutcome | Noop>;
  /** /faucet (DEMO_MONEY only). */
  faucet(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<FaucetOutcome>;
  /** /balance: the default currency first (always present), then the others with any money. */
  balances(exec: Executor, personId: bigint): Promise<BalanceLine[]>;
  history(exec: Executor, personId: bigint, query: { limit: number; cursor?: string | null }): Promise<HistoryPage>;
  /** /export: the whole history as CSV (RFC 4180, formula-safe), oldest first. */
  exportCsv(exec: Executor, personId: bigint): Promise<string>;
}

const EXPORT_MAX_ROWS = 20_000;
const rejected = (error: PayError): PayOutcome => ({ type: 'rejected', error });

/** Ledger refusals a payment can meet; anything else is a bug and throws. */
const payErrorOf = (error: LedgerError): PayError => transferRefusalOf(error, 'a payment');

/** The action payload of a confirm card: everything needed to make the payment on tap. */
function confirmPayload(input: ConfirmPayload): ActionPayload {
  return {
    to:
      'personId' in input.to
        ? { personId: input.to.personId.toString() }
        : { username: input.to.username, platform: input.to.platform },
    ...(input.named === undefined ? {} : { named: input.named }),
    amount: { minor: input.amount.minor.toString(), currency: input.amount.currency },
    note: input.note,
    chat: { platform: input.chat.platform, chatId: input.chat.chatId },
  };
}

/** A confirm card's payment. `named`: the @username a person was named by (recorded as theirs for the payer once paid). */
interface ConfirmPayload {
  to: { personId: bigint } | { username: string; platform: Platform };
  named?: string;
  amount: Amount;
  note: string | null;
  chat: ChatScope;
}

function readConfirmPayload(payload: ActionPayload): ConfirmPayload {
  const p = payload as {
    to: { personId?: string; username?: string; platform?: string };
    named?: string;
    amount: { minor: string; currency: string };
    note: string | null;
    chat: { platform: string; chatId: string };
  };
  const platformOf = (v: string | undefined): Platform => {
    const found = PLATFORMS.find((x) => x === v);
    if (!found) throw new Error(`bad platform in action payload: ${String(v)}`);
    return found;
  };
  const to =
    p.to.personId !== undefined
      ? { personId: bigintFromWire(p.to.personId) }
      : { username: String(p.to.username), platform: platformOf(p.to.platform) };
  return {
    to,
    ...(typeof p.named === 'string' ? { named: p.named } : {}),
    amount: amountFromWire(p.amount),
    note: p.note ?? null,
    chat: { platform: platformOf(p.chat.platform), chatId: String(p.chat.chatId) },
  };
}

/**
 * Why paying `amount` needs a confirmation from `from`, or null: above their threshold (their own, else the
 * configured `threshold`), or in another currency than the threshold's (which cannot be compared).
 */
export function confirmReasonFor(from: Person, amount: Amount, threshold: Amount): ConfirmReason | null {
  if (amount.currency !== threshold.currency) return 'currency';
  return amount.minor > (from.confirmThresholdMinor ?? threshold.minor) ? 'threshold' : null;
}

export function createPayments(deps: PaymentsDeps): Payments {
  const { ledger, people, config } = deps;
  const log = deps.log ?? silentLog;
  const confirmTtlMs = config.confirmTtlMs ?? 15 * 60_000;
  const claims = createClaims({
    ledger,
    people,
    holdTtlMs: config.holdTtlMs,
    log,
    mapLedgerError: payErrorOf,
  });

  /** What a payer's message shows once its button can no longer be used, in the payer's language. */
  const endView = (input: PayInput, key: string, params: Record<string, string>): LiveView => ({
    template: { key, params },
    locale: input.reader?.locale ?? pickLocale(input.from.locale, null, people.defaults.locale),
    timeZone: input.reader?.timeZone ?? input.from.timezone ?? people.defaults.timezone,
  });

  const confirmReason = (from: Person, amount: Amount): ConfirmReason | null =>
    confirmReasonFor(from, amount, config.confirmThreshold);

  /** The refusal for lack of money, saying what the payer has available in `currency`. */
  function short(available: bigint, currency: string): PayOutcome {
    return { type: 'rejected', error: 'InsufficientFunds', available: { minor: available, currency } };
  }

  /** What `from` can spend now in `currency` (0 without a wallet in it). */
  async function availableOf(exec: Executor, from: Person, currency: string): Promise<bigint> {
    return (await balancesOf(exec, walletOwner(from.id))).find((b) => b.currency === currency)?.available ?? 0n;
  }

  /**
   * A confirm card: the whole payment waits in a `pay.confirm` action bound to the payer and this chat. A payer who
   * cannot cover it is told at once, with what they have, rather than after the tap (the tap checks again).
   */
  async function confirmCard(
    tx: Tx,
    input: PayInput,
    reason: ConfirmReason,
    payload: Omit<ConfirmPayload, 'amount' | 'chat'>,
    card: Pick<
      Extract<PayOutcome, { type: 'confirm' }>,
      'toName' | 'toPersonId' | 'toUserId' | 'toUsername' | 'seen' | 'changedHands'
    >,
  ): Promise<PayOutcome> {
    const available = await availableOf(tx, input.from, input.amount.currency);
    if (available < input.amount.minor) return short(available, input.amount.currency);
    const action = await createAction(tx, {
      personId: input.from.id,
      platform: input.chat.platform,
      chatId: input.chat.chatId,
      kind: PAY_CONFIRM,
      payload: confirmPayload({ ...payload, amount: input.amount, chat: input.chat }),
      ttlMs: confirmTtlMs,
      ref: `confirm:${input.key}`,
      // Not confirmed in time: the card says so, without its button.
      endsAs: endView(input, PAYMENT_TEMPLATES['pay.confirm_expired'].key, {
        amount: formatAmount(input.amount),
        name: card.toName,
        ...withNote(payload.note),
      }),
    });
    return {
      type: 'confirm',
      actionId: action.id,
      expiresAt: action.expiresAt,
      reason,
      amount: input.amount,
      note: payload.note,
      ...card,
    };
  }

  /** Whom `payer` last paid as @`username` (null: never). */
  async function paidAs(tx: Tx, payer: bigint, platform: Platform, username: string): Promise<bigint | null> {
    const r = await tx.query(
      `SELECT payee_id FROM username_payees WHERE payer_id = $1 AND platform = $2 AND username = $3`,
      [payer, platform, username],
    );
    const row = r.rows[0];
    return row === undefined ? null : big(row.payee_id);
  }

  /** `payer` paid `payee` as @username: the name is theirs for this payer until it changes hands. */
  async function rememberNamed(tx: Tx, payer: bigint, platform: Platform, username: string, payee: bigint) {
    await tx.query(
      `INSERT INTO username_payees (payer_id, platform, username, payee_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (payer_id, platform, username) DO UPDATE SET payee_id = EXCLUDED.payee_id, paid_at = now()`,
      [payer, platform, username, payee],
    );
  }

  async function pay(tx: Tx, input: PayInput): Promise<PayOutcome> {
    const { from, amount } = input;
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return rejected('InvalidAmount');
    const note = storedNote(input.note);

    let recipient: Person;
    let viaUsername: { userId: string; username: string } | null = null;
    const to = input.to;
    if ('person' in to) {
      recipient = to.person;
    } else if ('personId' in to) {
      if (to.personId === from.id) return rejected('SelfPayment');
      const found = await people.get(tx, to.personId);
      if (!found) return rejected('UnknownRecipient');
      recipient = found;
    } else if ('actor' in to) {
      const touched = await people.touch(tx, to.actor);
      if (!touched.ok) return rejected(touched.error === 'InvalidUserId' ? 'UnknownRecipient' : 'RecipientIsBot');
      recipient = touched.person;
    } else {
      const username = normalizeUsername(to.username);
      if (!username) return rejected('InvalidUsername');
      const holder = await people.findByUsername(tx, to.platform, username);
      if (!holder) {
        const reason = input.confirmed ? null : confirmReason(from, amount);
        if (reason) {
          const card = {
            toName: `@${username}`,
            toPersonId: null,
            toUserId: null,
            toUsername: username,
            seen: null,
            changedHands: false,
          };
          return confirmCard(tx, input, reason, { to: { username, platform: to.platform }, note }, card);
        }
        const held = await claims.escrow(tx, {
          key: input.key,
          from,
          username,
          platform: to.platform,
          amount,
          note,
          chat: input.chat,
        });
        return held.type === 'rejected' && held.error === 'InsufficientFunds'
          ? short(await availableOf(tx, from, amount.currency), amount.currency)
          : held;
      }
      recipient = holder.person;
      viaUsername = { userId: holder.identity.userId, username };
    }
    if (recipient.id === from.id) return rejected('SelfPayment');

    // A bare @username pays at once only someone present in this chat, and only while the name still belongs to
    // whom the payer paid under it before (usernames change hands); else the card shows who holds it now and where
    // they were seen. An earlier confirmation does not cover it (it was for money held for the name, or the amount).
    const overThreshold = input.confirmed ? null : confirmReason(from, amount);
    const seen = viaUsername || overThreshold ? await whereSeen(tx, input.chat, recipient.id) : null;
    const paidBefore = viaUsername ? await paidAs(tx, from.id, input.chat.platform, viaUsername.username) : null;
    const changedHands = paidBefore !== null && paidBefore !== recipient.id;
    const reason = overThreshold ?? (seen && (!seen.here || changedHands) ? ('username' as const) : null);
    if (reason) {
      const toUserId = viaUsername?.userId ?? (await people.identityOf(tx, recipient.id))?.userId ?? null;
      const card = {
        toName: recipient.displayName,
        toPersonId: recipient.id,
        toUserId,
        toUsername: viaUsername?.username ?? null,
        seen,
        changedHands,
      };
      const payload = { to: { personId: recipient.id }, note, ...(viaUsername ? { named: viaUsername.username } : {}) };
      return confirmCard(tx, input, reason, payload, card);
    }

    const wallet = (id: bigint) => ({ kind: 'wallet' as const, owner: walletOwner(id), currency: amount.currency });
    // Read locked, so the ledger need not lock them again.
    const wallets = await openAccounts(tx, [wallet(from.id), wallet(recipient.id)], { lock: true });
    const [fromWallet, toWallet] = wallets;
    if (!fromWallet || !toWallet) throw new Error('wallets were not opened');
    const r = await ledger.apply(
      tx,
      {
        legs: [
          {
            op: 'transfer',
            ref: input.key,
            debit: fromWallet.id,
            credit: toWallet.id,
            amount: amount.minor,
            kind: 'pay',
            meta: note ? { note } : {},
          },
        ],
      },
      { locked: wallets, newRefs: input.firstRun === true },
    );
    if (!r.ok) {
      const error = payErrorOf(r.error);
      return error === 'InsufficientFunds' ? short(balanceOf(fromWallet).available, amount.currency) : rejected(error);
    }
    const transfer = r.transfers[0];
    if (!transfer) throw new Error('ledger returned no transfer');
    if (viaUsername) await rememberNamed(tx, from.id, input.chat.platform, viaUsername.username, recipient.id);

    const undo =
      input.undo === false
        ? null
        : await createAction(tx, {
            personId: from.id,
            platform: input.chat.platform,
            chatId: input.chat.chatId,
            kind: PAY_UNDO,
            payload: { transferId: transfer.id.toString() },
            ttlMs: config.undoWindowMs,
            ref: `undo:${transfer.id}`,
            // At the end of the window the reply loses its hint and its Undo button.
            endsAs: endView(input, PAYMENT_TEMPLATES['pay.paid'].key, {
              amount: formatAmount(amount),
              name: recipient.displayName,
              ...withNote(note),
            }),
          });
    if (input.notifyRecipient !== false)
      await notifyPerson(tx, {
        key: `notify:transfer:${transfer.id}:received`,
        personId: recipient.id,
        template: PAYMENT_TEMPLATES['pay.received'],
        params: { amount: formatAmount(amount), from: from.displayName, ...withNote(note) },
      });
    return {
      type: 'paid',
      transferId: transfer.id,
      amount,
      toPersonId: recipient.id,
      toName: recipient.displayName,
      note,
      undoActionId: undo?.id ?? null,
      undoUntil: undo?.expiresAt ?? null,
    };
  }

  async function payer(tx: Tx, action: Action): Promise<Person> {
    const person = await people.get(tx, action.personId);
    if (!person) throw new Error(`person ${action.personId} of action ${action.id} is missing`);
    return person;
  }

  async function confirmPay(tx: Tx, action: Action): Promise<PayOutcome> {
    if (action.kind !== PAY_CONFIRM.kind) throw new Error(`confirmPay got a ${action.kind} action`);
    const p = readConfirmPayload(action.payload);
    const outcome = await pay(tx, {
      key: `act:${action.id}`,
      from: await payer(tx, action),
      to: p.to,
      amount: p.amount,
      note: p.note,
      chat: p.chat,
      confirmed: true,
    });
    if (outcome.type === 'paid' && p.named !== undefined)
      await rememberNamed(tx, action.personId, p.chat.platform, p.named, outcome.toPersonId);
    // Short of money: the card stays usable until it expires, so a top-up and a second tap work.
    if (outcome.type === 'rejected' && outcome.error === 'InsufficientFunds') await reopenAction(tx, action.id);
    return outcome;
  }

  async function undoPay(tx: Tx, action: Action): Promise<UndoOutcome> {
    if (action.kind !== PAY_UNDO.kind) throw new Error(`undoPay got a ${action.kind} action`);
    const raw = action.payload.transferId;
    if (typeof raw !== 'string') throw new Error(`action ${action.id} has no transfer id`);
    const transferId = bigintFromWire(raw);
    const original = await getTransfer(tx, transferId);
    if (!original) throw new Error(`transfer ${transferId} of action ${action.id} is missing`);
    // The action was consumed in this transaction: no reversal carries its ref yet (ledger `newRefs`).
    const r = await ledger.apply(
      tx,
      { legs: [{ op: 'reverse', ref: `act:${action.id}`, transferId, kind: 'pay.undo' }] },
      { referenced: [original], newRefs: true },
    );
    if (!r.ok) {
      // The recipient's wallet no longer covers it: they already spent it. The button stays until the window ends
      // (money coming back to them makes it work again), when its message loses it like an unused one.
      if (r.error === 'InsufficientFunds') {
        await reopenAction(tx, action.id);
        return { type: 'rejected', error: 'UndoTooLate' };
      }
      if (r.error === 'ReversalExceedsTransfer' || r.error === 'NotReversible')
        return { type: 'rejected', error: 'AlreadyUndone' };
      throw new Error(`undo of transfer ${transferId} refused by the ledger: ${r.error}`);
    }
    const reversal = r.transfers[0];
    if (!reversal) throw new Error('ledger returned no transfer');
    // Payer and recipient (the owner of the credited wallet) in one read.
    const found = await tx.query(
      `WITH payee AS (
         SELECT substr(owner, length($3) + 1)::bigint AS id FROM accounts WHERE id = $2 AND starts_with(owner, $3)
       )
       SELECT ${PERSON_COLUMNS_OF_P}, p.id = (SELECT id FROM payee) AS credited
         FROM people p WHERE p.id = $1 OR p.id = (SELECT id FROM payee)`,
      [action.personId, original.creditAccount, WALLET_OWNER_PREFIX],
    );
    const from = found.rows.map(toPerson).find((p) => p.id === action.personId);
    const payee = found.rows.find((row) => row.credited === true);
    if (!from) throw new Error(`person ${action.personId} of action ${action.id} is missing`);
    if (!payee) throw new Error(`transfer ${transferId} was not paid to a person`);
    const recipient = toPerson(payee);
    const toPersonId = recipient.id;
    const amount = { minor: reversal.amount, currency: reversal.currency };
    await notifyPerson(tx, {
      key: `notify:transfer:${reversal.id}:undone`,
      personId: toPersonId,
      template: PAYMENT_TEMPLATES['pay.undone'],
      params: { amount: formatAmount(amount), from: from.displayName },
    });
    log.info({ transferId, reversalId: reversal.id }, 'payment undone');
    return {
      type: 'undone',
      transferId: reversal.id,
      originalTransferId: transferId,
      amount,
      toPersonId,
      toName: recipient.displayName,
    };
  }

  async function faucet(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<FaucetOutcome> {
    if (!config.demoMoney) return { type: 'rejected', error: 'FaucetDisabled' };
    const { amount } = input;
    if (amount.minor <= 0n || !isCurrency(amount.currency)) return { type: 'rejected', error: 'InvalidAmount' };
    const source = await openSystemAccount(tx, 'faucet', amount.currency);
    const wallet = await openAccount(tx, {
      kind: 'wallet',
      owner: walletOwner(input.person.id),
      currency: amount.currency,
    });
    const r = await ledger.apply(tx, {
      legs: [
        { op: 'transfer', ref: input.key, debit: source.id, credit: wallet.id, amount: amount.minor, kind: 'faucet' },
      ],
    });
    if (!r.ok) {
      if (r.error === 'IdempotencyConflict') return { type: 'rejected', error: 'KeyConflict' };
      throw new Error(`faucet refused by the ledger: ${r.error}`);
    }
    const transfer = r.transfers[0];
    if (!transfer) throw new Error('ledger returned no transfer');
    const line = (await balances(tx, input.person.id)).find((b) => b.currency === amount.currency);
    return {
      type: 'funded',
      transferId: transfer.id,
      amount,
      available: line?.available ?? { minor: 0n, currency: amount.currency },
    };
  }

  async function balances(exec: Executor, personId: bigint): Promise<BalanceLine[]> {
    const all = await balancesOf(exec, walletOwner(personId));
    const dc = config.defaultCurrency;
    const lines = all
      .filter((b) => b.currency === dc || b.posted !== 0n || b.pendingIn !== 0n || b.pendingOut !== 0n)
      .map((b): BalanceLine => {
        const of = (minor: bigint): Amount => ({ minor, currency: b.currency });
        return {
          currency: b.currency,
          available: of(b.available),
          pendingIn: of(b.pendingIn),
          pendingOut: of(b.pendingOut),
          posted: of(b.posted),
        };
      });
    if (!lines.some((l) => l.currency === dc)) {
      const zero: Amount = { minor: 0n, currency: dc };
      lines.push({ currency: dc, available: zero, pendingIn: zero, pendingOut: zero, posted: zero });
    }
    return lines.sort((a, b) =>
      a.currency === dc ? -1 : b.currency === dc ? 1 : a.currency.localeCompare(b.currency),
    );
  }

  async function exportCsv(exec: Executor, personId: bigint): Promise<string> {
    const entries = [];
    let cursor: string | null = null;
    do {
      const page: HistoryPage = await historyOf(exec, personId, { limit: 500, cursor });
      entries.push(...page.entries);
      cursor = page.next;
    } while (cursor !== null && entries.length < EXPORT_MAX_ROWS);
    return historyCsv(entries);
  }

  const releaseClaim = (tx: Tx, action: Action): Promise<ClaimOutcome> => {
    if (action.kind !== CLAIM_RELEASE.kind) throw new Error(`releaseClaim got a ${action.kind} action`);
    return claims.release(tx, action);
  };
  const returnClaim = (tx: Tx, action: Action): Promise<ClaimOutcome> => {
    if (action.kind !== CLAIM_RETURN.kind) throw new Error(`returnClaim got a ${action.kind} action`);
    return claims.takeBack(tx, action);
  };

  return {
    actions: [
      handles(PAY_CONFIRM, confirmPay),
      handles(PAY_UNDO, undoPay),
      handles(CLAIM_RELEASE, releaseClaim),
      handles(CLAIM_RETURN, returnClaim),
    ],
    pay,
    confirmPay,
    undoPay,
    releaseClaim,
    returnClaim,
    expireClaim: (exec, claimId) => claims.expire(exec, claimId),
    faucet,
    balances,
    history: historyOf,
    exportCsv,
  };
}
