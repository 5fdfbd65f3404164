/**
 * Withdrawals (`/withdraw 50`) to the person's connected account and on to their bank.
 *
 * 1. `/withdraw` checks (Stripe configured, a connected account with payouts enabled, nothing owed, the wallet
 *    covers amount + fee) and answers with a confirm card; nothing changes yet.
 * 2. Confirm (only its person, once) holds the money: pending ledger transfers wallet → system:payouts (the amount)
 *    and wallet → system:fees (the fee, its own leg), one unit, under the wallet's balance guard; it schedules the
 *    settlement job.
 * 3. The settlement job makes ONE Stripe call per run, with an attempt (`<withdrawal id>:<n>` for the transfer,
 *    `<withdrawal id>:payout:<n>` for the payout) that the transaction scheduling the job recorded: the key is
 *    committed before any call sends it, and no second connection is needed (PGlite has one). No answer (timeout,
 *    dropped response, 5xx): the job fails and its retry re-sends the SAME key and parameters (RELIABILITY S1). A
 *    definite error is recorded with the answer, and the next call gets a new attempt, `n + 1`.
 *    `balance_insufficient` on the platform is retried later with no ledger effect (S7); any other refusal of the
 *    transfer voids the holds and tells the person. A transfer made posts the holds (the money left chipin).
 *    Stripe prunes keys after 24 h (S1, IDEMPOTENCY_KEY_TTL_MS): an attempt still `started` that long is never
 *    re-sent; its object is looked up by our metadata (`recover`, run by the job and by reconciliation): found, it is
 *    the attempt's answer; not found, the attempt is `lapsed` and the next one takes a new key.
 * 4. `payout.*` events re-read the payout and move forward only: settling → paid → failed. A failed (or canceled)
 *    payout — even after `paid` (S6) — re-credits the person with reversals of the posted legs (one unit, unique
 *    refs: never twice) and tells them once; the settlement job then reverses the Stripe transfer (key
 *    `<withdrawal id>:reversal:<n>`), bringing the money back from the connected account to the platform (S7).
 *
 * Fee policy (CoreConfig `withdrawFee`, default 25 minor units + 0.25 % rounded up — what Stripe charges a platform
 * per Connect payout): charged with the withdrawal, refunded whenever the withdrawal fails.
 */
import { actionKind, type Action } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import { createAction, reopenAction } from '../actions/service.js';
import type { Db, Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, textOrNull } from '../db/rows.js';
import { balancesOf, getTransferByRef, openAccount, openSystemAccount } from '../ledger/queries.js';
import type { Leg } from '../ledger/model.js';
import type { Ledger } from '../ledger/service.js';
import type { Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { JobRejected } from '../outbox/errors.js';
import { InvalidJobPayload, idFrom } from '../outbox/jobs.js';
import { notifyPerson } from '../outbox/notify.js';
import { schedule } from '../outbox/service.js';
import { walletOwner, type Person } from '../people/model.js';
import { accountOf } from './accounts.js';
import { objectField, type EventHandlers } from './events.js';
import {
  StripeRefused,
  StripeUnknownOutcome,
  type StripeEvent,
  type StripeGateway,
  type StripePayout,
} from './gateway.js';
import type { EventOutcome } from './model.js';
import { owedBy } from './receivable.js';
import { CASHIER_TEMPLATES } from './templates.js';

/** What a withdrawal costs: `fixedMinor` (minor units of its currency) plus `basisPoints` of the amount, rounded up. */
export interface WithdrawFee {
  fixedMinor: bigint;
  basisPoints: number;
}

export const DEFAULT_WITHDRAW_FEE: WithdrawFee = { fixedMinor: 25n, basisPoints: 25 };

/** The fee of withdrawing `amount` (pure: integer arithmetic only). */
export function withdrawFee(amount: Amount, policy: WithdrawFee = DEFAULT_WITHDRAW_FEE): Amount {
  const bps = BigInt(Math.max(0, Math.trunc(policy.basisPoints)));
  const share = (amount.minor * bps + 9_999n) / 10_000n;
  const fixed = policy.fixedMinor > 0n ? policy.fixedMinor : 0n;
  return { minor: fixed + share, currency: amount.currency };
}

/** Why /withdraw (or its Confirm) did nothing. */
export const WITHDRAW_ERRORS = [
  'StripeUnavailable',
  'InvalidAmount',
  /** No connected account, or Stripe does not let it receive payouts yet: /connect. */
  'NotConnected',
  /** Card money was taken back after it was spent: withdrawals wait until that is covered. */
  'Owed',
  /** The wallet does not cover amount + fee. */
  'InsufficientFunds',
] as const;
export type WithdrawError = (typeof WITHDRAW_ERRORS)[number];

export type WithdrawOutcome =
  | { type: 'confirm'; actionId: string; amount: Amount; fee: Amount; total: Amount }
  | { type: 'rejected'; error: WithdrawError };

export type WithdrawConfirmOutcome =
  | { type: 'held'; withdrawalId: bigint; amount: Amount; fee: Amount; total: Amount }
  | { type: 'rejected'; error: WithdrawError };

export const WITHDRAW_CONFIRM = actionKind<WithdrawConfirmOutcome>()('withdraw.confirm');
export const PAYOUT_ACTIONS = [WITHDRAW_CONFIRM] as const;

export type WithdrawalState = 'held' | 'transferred' | 'settling' | 'paid' | 'failed' | 'refused';

export interface Withdrawal {
  id: bigint;
  personId: bigint;
  accountId: string;
  amount: Amount;
  fee: Amount;
  state: WithdrawalState;
  stripeTransfer: string | null;
  stripePayout: string | null;
  /** The reversal of the Stripe transfer after a failed payout (the money back on the platform balance). */
  stripeReversal: string | null;
  failureCode: string | null;
}

/** What one run of the settlement job did. */
export type SettleOutcome =
  | { type: 'transferred'; transferId: string }
  | { type: 'payout'; payoutId: string }
  | { type: 'reversed'; reversalId: string }
  | { type: 'retry_later'; code: string; dueAt: Date }
  | { type: 'refused'; code: string }
  /** An unanswered attempt past IDEMPOTENCY_KEY_TTL_MS whose object Stripe does not have: closed, a new key next. */
  | { type: 'lapsed'; key: string }
  | { type: 'noop'; reason: string };

/**
 * Stripe prunes idempotency keys at least this old (RELIABILITY S1): re-sending such a key may execute the call
 * again. An attempt left `started` longer than this is never re-sent; its object is looked up by our metadata.
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

/** What resolving one stale attempt did (the reconciler reports it). */
export interface StaleResolution {
  withdrawalId: bigint;
  step: 'transfer' | 'payout' | 'reversal';
  key: string;
  /** `found`: Stripe has the object, recorded as the attempt's result; `not_made`: closed, a new attempt follows. */
  result: 'found' | 'not_made';
  objectId: string | null;
}

/** Metadata chipin puts on the transfer and the payout: how events and reconciliation map them back. */
export const WITHDRAWAL_METADATA = 'chipin_withdrawal_id';

export const SETTLE_KIND = 'settlement.withdrawal';

export interface PayoutsDeps {
  ledger: Pick<Ledger, 'apply'>;
  gateway: StripeGateway | undefined;
  log: Log;
  fee?: WithdrawFee;
  /** How long the confirm card's button works (default 10 min). */
  confirmTtlMs?: number;
  /** How long after a refusal worth retrying (`balance_insufficient`) the call is tried again (default 1 h). */
  retryLaterMs?: number;
}

const COLUMNS =
  'id, person_id, account_id, amount, fee, currency, state, stripe_transfer, stripe_payout, stripe_reversal, failure_code';

const toWithdrawal = (r: Row): Withdrawal => {
  const currency = String(r.currency);
  return {
    id: big(r.id),
    personId: big(r.person_id),
    accountId: String(r.account_id),
    amount: { minor: big(r.amount), currency },
    fee: { minor: big(r.fee), currency },
    state: r.state as WithdrawalState,
    stripeTransfer: textOrNull(r.stripe_transfer),
    stripePayout: textOrNull(r.stripe_payout),
    stripeReversal: textOrNull(r.stripe_reversal),
    failureCode: textOrNull(r.failure_code),
  };
};

const lock = async (tx: Tx, id: bigint): Promise<Withdrawal | undefined> => {
  const r = await tx.query(`SELECT ${COLUMNS} FROM withdrawals WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0] ? toWithdrawal(r.rows[0]) : undefined;
};

const total = (w: { amount: Amount; fee: Amount }): Amount => ({
  minor: w.amount.minor + w.fee.minor,
  currency: w.amount.currency,
});

type Step = 'transfer' | 'payout' | 'reversal';
/** The attempt of a step still waiting for an answer (`started`). */
interface OpenAttempt {
  n: number;
  key: string;
  createdAt: Date;
}
const attemptKey = (id: bigint, step: Step, n: number): string =>
  step === 'transfer' ? `${id}:${n}` : `${id}:${step}:${n}`;
const jobKey = (id: bigint, step: Step, n: number): string => `${SETTLE_KIND}:${id}:${step}:${n}`;
/** Ledger refs of a withdrawal's legs: the hold (amount, fee), its post, its void, the reversal of the post. */
const legRef = (id: bigint, what: 'post' | 'void' | 'reversal', n: 1 | 2): string => `withdrawal:${id}:${what}#${n}`;

export function createPayouts(deps: PayoutsDeps) {
  const { ledger, gateway, log } = deps;
  const policy = deps.fee ?? DEFAULT_WITHDRAW_FEE;
  const retryLaterMs = deps.retryLaterMs ?? 3_600_000;

  /** The checks /withdraw and its Confirm share; `undefined` when the withdrawal may go ahead. */
  async function refusal(exec: Executor, person: bigint, amount: Amount, fee: Amount): Promise<WithdrawError | null> {
    if (!gateway) return 'StripeUnavailable';
    if (amount.minor <= 0n || !isCurrency(amount.currency)) return 'InvalidAmount';
    const account = await accountOf(exec, person);
    if (!account?.payoutsEnabled) return 'NotConnected';
    if ((await owedBy(exec, person)).length > 0) return 'Owed';
    const balance = (await balancesOf(exec, walletOwner(person))).find((b) => b.currency === amount.currency);
    if ((balance?.available ?? 0n) < amount.minor + fee.minor) return 'InsufficientFunds';
    return null;
  }

  /** `/withdraw amount`: the confirm card (amount, fee, total), or why not. Nothing moves until Confirm. */
  async function withdraw(tx: Tx, input: { key: string; person: Person; amount: Amount }): Promise<WithdrawOutcome> {
    const { amount, person } = input;
    const fee = withdrawFee(amount, policy);
    const error = await refusal(tx, person.id, amount, fee);
    if (error) return { type: 'rejected', error };
    const action = await createAction(tx, {
      personId: person.id,
      kind: WITHDRAW_CONFIRM,
      payload: { minor: amount.minor.toString(), fee: fee.minor.toString(), currency: amount.currency },
      ttlMs: deps.confirmTtlMs ?? 600_000,
      ref: `withdraw:${input.key}`,
    });
    return { type: 'confirm', actionId: action.id, amount, fee, total: total({ amount, fee }) };
  }

  function confirmed(action: Action): { amount: Amount; fee: Amount } {
    const { minor, fee, currency } = action.payload;
    if (typeof minor !== 'string' || typeof fee !== 'string' || typeof currency !== 'string')
      throw new Error(`withdraw action ${action.id} has a malformed payload`);
    return { amount: { minor: BigInt(minor), currency }, fee: { minor: BigInt(fee), currency } };
  }

  /** Confirm: holds amount + fee and schedules the settlement job, once per action (the press consumed it). */
  async function confirm(tx: Tx, action: Action): Promise<WithdrawConfirmOutcome> {
    const { amount, fee } = confirmed(action);
    const person = action.personId;
    const error = await refusal(tx, person, amount, fee);
    // The balance is re-checked by the ledger's guard below (a concurrent spend); this is the friendly answer.
    if (error && error !== 'InsufficientFunds') return { type: 'rejected', error };
    const account = await accountOf(tx, person);
    if (!account) return { type: 'rejected', error: 'NotConnected' };
    const next = await tx.query(`SELECT nextval(pg_get_serial_sequence('withdrawals', 'id')) AS id`);
    const id = big(next.rows[0]?.id);
    const wallet = await openAccount(tx, { kind: 'wallet', owner: walletOwner(person), currency: amount.currency });
    const payouts = await openSystemAccount(tx, 'payouts', amount.currency);
    const meta = { withdrawalId: id.toString() };
    const legs: Leg[] = [
      {
        op: 'transfer',
        ref: `act:${action.id}#1`,
        debit: wallet.id,
        credit: payouts.id,
        amount: amount.minor,
        kind: 'withdrawal',
        meta,
        pending: {},
      },
    ];
    if (fee.minor > 0n) {
      const fees = await openSystemAccount(tx, 'fees', amount.currency);
      legs.push({
        op: 'transfer',
        ref: `act:${action.id}#2`,
        debit: wallet.id,
        credit: fees.id,
        amount: fee.minor,
        kind: 'withdrawal.fee',
        meta,
        pending: {},
      });
    }
    const held = await ledger.apply(tx, { legs, batchRef: `act:${action.id}` });
    if (!held.ok) {
      if (held.error !== 'InsufficientFunds') throw new Error(`withdrawal hold refused by the ledger: ${held.error}`);
      // Nothing is held; the button works again until its TTL, so the person can top up and tap again.
      await reopenAction(tx, action.id);
      return { type: 'rejected', error: 'InsufficientFunds' };
    }
    const [hold, feeHold] = held.transfers;
    if (!hold) throw new Error('ledger returned no hold');
    await tx.query(
      `INSERT INTO withdrawals (id, key, person_id, account_id, amount, fee, currency, hold_transfer_id, fee_transfer_id)
       OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        `act:${action.id}`,
        person,
        account.accountId,
        amount.minor,
        fee.minor,
        amount.currency,
        hold.id,
        feeHold?.id ?? null,
      ],
    );
    await prepare(tx, id, 'transfer', new Date());
    return { type: 'held', withdrawalId: id, amount, fee, total: total({ amount, fee }) };
  }

  /** The legs' ledger ops on the holds (post or void), amount first, then the fee. */
  async function resolveHolds(tx: Tx, w: Withdrawal, op: 'post' | 'void'): Promise<void> {
    const r = await tx.query(`SELECT hold_transfer_id, fee_transfer_id FROM withdrawals WHERE id = $1`, [w.id]);
    const row = r.rows[0];
    if (!row) throw new Error(`withdrawal ${w.id} vanished`);
    const ids = [row.hold_transfer_id, row.fee_transfer_id].filter((v) => v != null).map(big);
    const legs = ids.map((pendingId, i): Leg => ({
      op,
      ref: legRef(w.id, op, i === 0 ? 1 : 2),
      pendingId,
      meta: { withdrawalId: `${w.id}` },
    }));
    const done = await ledger.apply(tx, { legs, batchRef: `withdrawal:${w.id}:${op}` });
    if (!done.ok) throw new Error(`withdrawal ${w.id}: ${op} refused by the ledger: ${done.error}`);
  }

  /**
   * Records the next attempt of `step` (its idempotency key) and schedules the job that makes the call, in the
   * caller's transaction: the key is committed before any run can send it (RELIABILITY S1).
   */
  async function prepare(tx: Tx, id: bigint, step: Step, dueAt: Date): Promise<void> {
    const r = await tx.query(
      `SELECT coalesce(max(n), 0) + 1 AS n FROM withdrawal_attempts WHERE withdrawal_id = $1 AND step = $2`,
      [id, step],
    );
    const n = Number(r.rows[0]?.n ?? 1);
    await tx.query(`INSERT INTO withdrawal_attempts (withdrawal_id, step, n, key) VALUES ($1, $2, $3, $4)`, [
      id,
      step,
      n,
      attemptKey(id, step, n),
    ]);
    await schedule(tx, { key: jobKey(id, step, n), kind: SETTLE_KIND, payload: { withdrawalId: `${id}` }, dueAt });
  }

  /** What the withdrawal needs from Stripe next, if anything. */
  function stepOf(w: Withdrawal): Step | undefined {
    if (w.state === 'held') return 'transfer';
    if (w.state === 'transferred') return 'payout';
    if (w.state === 'failed' && w.stripeTransfer !== null && w.stripeReversal === null) return 'reversal';
    return undefined;
  }

  const answered = (tx: Tx, key: string, state: 'succeeded' | 'refused', detail: string): Promise<unknown> =>
    tx.query(
      `UPDATE withdrawal_attempts SET state = $2, ${state === 'succeeded' ? 'object_id' : 'code'} = $3,
              answered_at = now() WHERE key = $1`,
      [key, state, detail.slice(0, 255)],
    );

  /**
   * One run of the settlement job of withdrawal `id`: one Stripe call, with the step's open attempt — recorded by
   * an earlier, committed transaction (`prepare`). Runs in the worker's transaction (`exec`), which holds the
   * withdrawal's row lock through the call, so the answer's effects commit with the job's `done`. No answer: the
   * job fails, the attempt stays open, and the retry sends the same key with the same parameters.
   */
  async function settle(exec: Executor, id: bigint): Promise<SettleOutcome> {
    return inTx(exec, async (tx) => {
      if (!gateway) throw new Error('a withdrawal settlement without a stripe gateway');
      const w = await lock(tx, id);
      if (!w) throw new JobRejected(`withdrawal ${id} does not exist`);
      const step = stepOf(w);
      if (!step) return { type: 'noop', reason: `Already${w.state}` };
      const open = await openAttempt(tx, id, step);
      if (!open) {
        // Nothing recorded to send (a job from before its attempt): record one now, call in the next run.
        await prepare(tx, id, step, new Date());
        return { type: 'noop', reason: 'Prepared' };
      }
      // Past the key's lifetime a re-sent key may execute again (S1): look the object up instead.
      if (Date.now() - open.createdAt.getTime() >= IDEMPOTENCY_KEY_TTL_MS) return recover(tx, w, step, open);
      return call(tx, w, step, open.n, open.key);
    });
  }

  async function openAttempt(tx: Tx, id: bigint, step: Step): Promise<OpenAttempt | undefined> {
    const r = await tx.query(
      `SELECT n, key, created_at FROM withdrawal_attempts WHERE withdrawal_id = $1 AND step = $2 AND state = 'started'
        ORDER BY n DESC LIMIT 1`,
      [id, step],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const createdAt = row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at));
    return { n: Number(row.n), key: String(row.key), createdAt };
  }

  const ours = (w: Withdrawal, metadata: Readonly<Record<string, string>>): boolean =>
    metadata[WITHDRAWAL_METADATA] === w.id.toString();

  /** The object an attempt of `step` made at Stripe, found by our metadata (never by re-sending the key). */
  async function lookUp(w: Withdrawal, step: Step, since: Date): Promise<string | undefined> {
    if (!gateway) throw new Error('a withdrawal settlement without a stripe gateway');
    // The attempt was recorded before its call: its object is newer (less an hour for clocks).
    const createdGte = Math.floor(since.getTime() / 1000) - 3_600;
    if (step === 'transfer') {
      const transfers = await gateway.listTransfers({ createdGte, destination: w.accountId });
      return transfers.find((t) => ours(w, t.metadata))?.id;
    }
    if (step === 'payout')
      return (await gateway.listPayouts(w.accountId, createdGte)).find((p) => ours(w, p.metadata))?.id;
    if (w.stripeTransfer === null) return undefined;
    return (await gateway.retrieveTransfer(w.stripeTransfer)).reversals.find((r) => ours(w, r.metadata))?.id;
  }

  /**
   * An attempt unanswered for longer than Stripe keeps its key (F9 variant): found by metadata, it is the attempt's
   * result and the withdrawal moves on as if the call had answered; not found, the call never happened — the attempt
   * is closed (`lapsed`) and the next one takes a new key. Safe either way: the caller holds the withdrawal's lock,
   * so no call with the old key is in flight, and a lapsed key is never sent again.
   */
  async function recover(tx: Tx, w: Withdrawal, step: Step, open: OpenAttempt): Promise<SettleOutcome> {
    const found = await lookUp(w, step, open.createdAt);
    if (found !== undefined) {
      log.warn(
        { withdrawalId: w.id, key: open.key, step, objectId: found },
        'stale withdrawal attempt found at stripe',
      );
      return succeeded(tx, w.id, step, open.key, found);
    }
    await tx.query(
      `UPDATE withdrawal_attempts SET state = 'lapsed', code = 'not_found', answered_at = now() WHERE key = $1`,
      [open.key],
    );
    await prepare(tx, w.id, step, new Date());
    log.warn({ withdrawalId: w.id, key: open.key, step }, 'stale withdrawal attempt not made at stripe; new key');
    return { type: 'lapsed', key: open.key };
  }

  /**
   * Resolves every withdrawal whose current attempt has been `started` for `ttlMs` or more (the reconciler's part
   * of RELIABILITY F9): each in its own transaction, under the withdrawal's lock, with `recover`.
   */
  async function resolveStale(db: Db, ttlMs = IDEMPOTENCY_KEY_TTL_MS): Promise<StaleResolution[]> {
    const r = await db.query(
      `SELECT DISTINCT withdrawal_id FROM withdrawal_attempts
        WHERE state = 'started' AND created_at <= now() - make_interval(secs => $1) ORDER BY withdrawal_id`,
      [ttlMs / 1000],
    );
    const resolved: StaleResolution[] = [];
    for (const row of r.rows) {
      const id = big(row.withdrawal_id);
      const done = await resolveOne(db, id, ttlMs).catch((err: unknown) => {
        // Stripe did not answer the lookup: nothing changed; the next run (or the job) looks again.
        log.warn({ err, withdrawalId: id }, 'could not look a stale withdrawal attempt up');
        return undefined;
      });
      if (done) resolved.push(done);
    }
    return resolved;
  }

  /** One withdrawal's stale attempt, under its lock; `undefined` when it moved on meanwhile. */
  async function resolveOne(db: Db, id: bigint, ttlMs: number): Promise<StaleResolution | undefined> {
    return db.transaction(async (tx): Promise<StaleResolution | undefined> => {
      const w = await lock(tx, id);
      const step = w ? stepOf(w) : undefined;
      if (!w || !step) return undefined;
      const open = await openAttempt(tx, id, step);
      if (!open || Date.now() - open.createdAt.getTime() < ttlMs) return undefined;
      const outcome = await recover(tx, w, step, open);
      const objectId = await tx.query(`SELECT object_id FROM withdrawal_attempts WHERE key = $1`, [open.key]);
      return {
        withdrawalId: id,
        step,
        key: open.key,
        result: outcome.type === 'lapsed' ? 'not_made' : 'found',
        objectId: textOrNull(objectId.rows[0]?.object_id),
      };
    });
  }

  async function call(tx: Tx, w: Withdrawal, step: Step, n: number, key: string): Promise<SettleOutcome> {
    if (!gateway) throw new Error('a withdrawal settlement without a stripe gateway');
    const metadata = { [WITHDRAWAL_METADATA]: w.id.toString(), chipin_person_id: w.personId.toString() };
    const description = `chipin withdrawal ${w.id}`;
    const params = {
      idempotencyKey: key,
      amountMinor: w.amount.minor,
      currency: w.amount.currency,
      description,
      metadata,
    };
    let objectId: string;
    try {
      if (step === 'transfer') objectId = (await gateway.createTransfer({ ...params, destination: w.accountId })).id;
      else if (step === 'payout') objectId = (await gateway.createPayout({ ...params, account: w.accountId })).id;
      else {
        if (w.stripeTransfer === null) throw new Error(`withdrawal ${w.id} has no transfer to reverse`);
        const reversal = { idempotencyKey: key, transferId: w.stripeTransfer, amountMinor: w.amount.minor, metadata };
        objectId = (await gateway.reverseTransfer(reversal)).id;
      }
    } catch (err) {
      if (err instanceof StripeUnknownOutcome) {
        // The attempt stays `started`: the job's retry re-sends this key with these parameters.
        log.warn(
          { err, withdrawalId: w.id, key },
          'stripe did not answer a withdrawal call; retrying with the same key',
        );
        throw err;
      }
      if (!(err instanceof StripeRefused)) throw err;
      return refused(tx, w.id, step, n, key, err);
    }
    return succeeded(tx, w.id, step, key, objectId);
  }

  async function succeeded(tx: Tx, id: bigint, step: Step, key: string, objectId: string): Promise<SettleOutcome> {
    const w = await lock(tx, id);
    if (!w) throw new Error(`withdrawal ${id} vanished`);
    await answered(tx, key, 'succeeded', objectId);
    if (step === 'transfer') {
      if (w.state !== 'held') return { type: 'noop', reason: `Already${w.state}` };
      // The money left the platform for the person's connected account: the holds become final.
      await resolveHolds(tx, w, 'post');
      await tx.query(
        `UPDATE withdrawals SET state = 'transferred', stripe_transfer = $2, failure_code = NULL, updated_at = now()
          WHERE id = $1`,
        [id, objectId],
      );
      await prepare(tx, id, 'payout', new Date());
      return { type: 'transferred', transferId: objectId };
    }
    if (step === 'reversal') {
      await tx.query(`UPDATE withdrawals SET stripe_reversal = $2, updated_at = now() WHERE id = $1`, [id, objectId]);
      return { type: 'reversed', reversalId: objectId };
    }
    // A payout event may have got here first and recorded the payout (and moved on): keep the later state.
    await tx.query(
      `UPDATE withdrawals SET stripe_payout = COALESCE(stripe_payout, $2), updated_at = now(),
              state = CASE WHEN state = 'transferred' THEN 'settling' ELSE state END
        WHERE id = $1`,
      [id, objectId],
    );
    return { type: 'payout', payoutId: objectId };
  }

  async function refused(
    tx: Tx,
    id: bigint,
    step: Step,
    n: number,
    key: string,
    err: StripeRefused,
  ): Promise<SettleOutcome> {
    const w = await lock(tx, id);
    if (!w) throw new Error(`withdrawal ${id} vanished`);
    await answered(tx, key, 'refused', err.code);
    await tx.query(`UPDATE withdrawals SET failure_code = $2, updated_at = now() WHERE id = $1`, [id, err.code]);
    // A payout (or a transfer reversal) refused after the transfer: the money is on the person's connected account,
    // not ours to void; try again later (with a new key) and leave it to the log and reconciliation if it persists.
    if (err.code === 'balance_insufficient' || step !== 'transfer') {
      const dueAt = new Date(Date.now() + retryLaterMs);
      await prepare(tx, id, step, dueAt);
      log.warn({ withdrawalId: id, code: err.code, step, dueAt }, 'stripe refused a withdrawal call; retrying later');
      return { type: 'retry_later', code: err.code, dueAt };
    }
    if (w.state !== 'held') return { type: 'noop', reason: `Already${w.state}` };
    await resolveHolds(tx, w, 'void');
    await tx.query(`UPDATE withdrawals SET state = 'refused', updated_at = now() WHERE id = $1`, [id]);
    await notifyPerson(tx, {
      key: `withdraw.refused:${id}`,
      personId: w.personId,
      template: CASHIER_TEMPLATES['withdraw.refused'],
      params: { amount: formatAmount(w.amount), total: formatAmount(total(w)) },
    });
    log.warn({ withdrawalId: id, code: err.code }, 'stripe refused a withdrawal transfer; holds voided');
    return { type: 'refused', code: err.code };
  }

  /** Re-credits a failed payout: the reversal of each posted leg, in one unit (unique refs: never twice). */
  async function fail(tx: Tx, w: Withdrawal, payout: StripePayout): Promise<EventOutcome> {
    const legs: Leg[] = [];
    for (const n of [1, 2] as const) {
      const posted = await getTransferByRef(tx, legRef(w.id, 'post', n));
      if (posted)
        legs.push({
          op: 'reverse',
          ref: legRef(w.id, 'reversal', n),
          transferId: posted.id,
          kind: n === 1 ? 'withdrawal.returned' : 'withdrawal.fee_returned',
          meta: { withdrawalId: `${w.id}`, payout: payout.id },
        });
    }
    if (legs.length === 0) throw new Error(`withdrawal ${w.id} is ${w.state} without posted legs`);
    const r = await ledger.apply(tx, { legs, batchRef: `withdrawal:${w.id}:reversal` });
    if (!r.ok) throw new Error(`withdrawal ${w.id}: reversal refused by the ledger: ${r.error}`);
    await tx.query(
      `UPDATE withdrawals SET state = 'failed', failure_code = $2, stripe_payout = COALESCE(stripe_payout, $3),
              updated_at = now() WHERE id = $1`,
      [w.id, payout.failureCode ?? payout.status, payout.id],
    );
    // The payout's money is back on the connected account: the settlement job takes it back to the platform.
    await prepare(tx, w.id, 'reversal', new Date());
    await notifyPerson(tx, {
      key: `withdraw.returned:${w.id}`,
      personId: w.personId,
      template: CASHIER_TEMPLATES['withdraw.returned'],
      params: { amount: formatAmount(w.amount), total: formatAmount(total(w)) },
    });
    return { type: 'withdrawal', withdrawalId: w.id, state: 'failed' };
  }

  /** Any `payout.*` event: re-read the payout and move the withdrawal forward to what Stripe says now (S3, S6). */
  async function onPayout(tx: Tx, event: StripeEvent): Promise<EventOutcome> {
    if (!gateway) throw new Error('a stripe event without a stripe gateway');
    const payoutId = objectField(event, 'id');
    const { object } = event;
    const metadata =
      object !== null && typeof object === 'object' && !Array.isArray(object) ? object.metadata : undefined;
    const tag =
      metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)
        ? metadata?.[WITHDRAWAL_METADATA]
        : undefined;
    // Not ours (a payout another integration made): an alert, never a credit (RELIABILITY C2).
    if (typeof tag !== 'string' || !/^[0-9]{1,19}$/.test(tag))
      throw new JobRejected(`stripe event ${event.id}: payout ${payoutId} carries no ${WITHDRAWAL_METADATA}`);
    const w = await lock(tx, BigInt(tag));
    if (!w) throw new JobRejected(`stripe event ${event.id}: no withdrawal ${tag}`);
    if (event.account !== null && event.account !== w.accountId)
      throw new JobRejected(`stripe event ${event.id}: withdrawal ${w.id} went to another account`);
    const payout = await gateway.retrievePayout(payoutId, w.accountId);
    if (w.state === 'failed' || w.state === 'refused' || w.state === 'held')
      return { type: 'noop', reason: `Already${w.state}` };
    if (payout.status === 'failed' || payout.status === 'canceled') return fail(tx, w, payout);
    if (payout.status === 'paid') {
      if (w.state === 'paid') return { type: 'noop', reason: 'Alreadypaid' };
      await tx.query(
        `UPDATE withdrawals SET state = 'paid', stripe_payout = COALESCE(stripe_payout, $2), updated_at = now()
          WHERE id = $1`,
        [w.id, payout.id],
      );
      await notifyPerson(tx, {
        key: `withdraw.paid:${w.id}`,
        personId: w.personId,
        template: CASHIER_TEMPLATES['withdraw.paid'],
        params: { amount: formatAmount(w.amount) },
      });
      return { type: 'withdrawal', withdrawalId: w.id, state: 'paid' };
    }
    if (w.state === 'transferred')
      await tx.query(
        `UPDATE withdrawals SET state = 'settling', stripe_payout = COALESCE(stripe_payout, $2), updated_at = now()
          WHERE id = $1`,
        [w.id, payout.id],
      );
    return { type: 'noop', reason: 'NotFinalYet' };
  }

  const events: EventHandlers = {
    'payout.created': onPayout,
    'payout.updated': onPayout,
    'payout.paid': onPayout,
    'payout.failed': onPayout,
    'payout.canceled': onPayout,
  };

  async function get(exec: Executor, id: bigint): Promise<Withdrawal | undefined> {
    const r = await exec.query(`SELECT ${COLUMNS} FROM withdrawals WHERE id = $1`, [id]);
    return r.rows[0] ? toWithdrawal(r.rows[0]) : undefined;
  }

  const actions: readonly ActionHandler[] = [handles(WITHDRAW_CONFIRM, confirm)];

  /** The settlement job's handler (payload `{ withdrawalId }`). */
  async function job(exec: Executor, payload: unknown, key: string): Promise<SettleOutcome> {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      throw new InvalidJobPayload(`${key}: payload is not an object`);
    return settle(exec, idFrom(payload as Parameters<typeof idFrom>[0], 'withdrawalId', key));
  }

  return {
    withdraw,
    confirm,
    settle,
    job,
    events,
    actions,
    get,
    resolveStale,
    fee: (amount: Amount) => withdrawFee(amount, policy),
  };
}

export type Payouts = ReturnType<typeof createPayouts>;
