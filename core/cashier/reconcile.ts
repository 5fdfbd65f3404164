/**
 * Reconciliation with Stripe (RELIABILITY S2, INV-5): the daily `stripe.reconcile` job and `chipin reconcile`.
 *
 * 1. Events since the last run's watermark (or `--since`): one we handle that is not in our inbox was never
 *    delivered — it is stored as the webhook would (`receiveEvent`, with its job) and run through the same handler.
 * 2. Balance transactions (from a day before, so a charge made just before `since` and credited after is seen):
 *    each whose source carries our metadata (or our payment intent) must map to exactly one ledger unit of the same
 *    amount — a charge to its deposit's credit `stripe:<session>`, a refund or dispute to `stripe:<id>#n` — and the
 *    sums per currency over the deposits clearing account must agree.
 * 3. Each ledger transfer on the deposits clearing account since then must have its Stripe object (a credit with no
 *    paid session behind it is money we made up).
 * 4. Withdrawals (reconcile-payouts.ts): first, an attempt left `started` longer than Stripe keeps idempotency keys
 *    (24 h) is resolved by looking its object up by metadata, never by re-sending (payouts.ts `resolveStale`); then
 *    each transfer, transfer reversal and payout carrying `chipin_withdrawal_id` must map to exactly one withdrawal
 *    whose ledger state agrees, posted holds must have a transfer behind them, and system:payouts sums must agree.
 * Differences are logged, stored as the run's findings (`chipin check` reports the latest run's as violations; the
 * metrics read them) and returned. The watermark is the newest event seen.
 */
import type { Db, Tx } from '../db/executor.js';
import { big, textOrNull } from '../db/rows.js';
import type { Log } from '../log.js';
import { formatAmount } from '../money/format.js';
import { JobRejected } from '../outbox/errors.js';
import { DEPOSIT_METADATA } from './deposits.js';
import { eventKey } from './events.js';
import {
  StripeRefused,
  type BalanceTransaction,
  type CheckoutSession,
  type StripeEvent,
  type StripeGateway,
} from './gateway.js';
import type { EventOutcome, Finding, FindingKind } from './model.js';
import type { StaleResolution } from './payouts.js';
import { reconcileWithdrawals } from './reconcile-payouts.js';

export type { Finding, FindingKind } from './model.js';

export interface ReconcileReport {
  runId: bigint;
  since: Date;
  watermark: Date;
  events: number;
  balanceTransactions: number;
  /** Ids of the events that were never delivered and were replayed now. */
  replayed: string[];
  /** Stripe transfers and payouts read for the withdrawals. */
  transfers: number;
  payouts: number;
  /** Withdrawal attempts unanswered past a key's lifetime, resolved by looking their object up (F9). */
  recovered: StaleResolution[];
  findings: Finding[];
}

export interface ReconcileDeps {
  db: Db | undefined;
  gateway: StripeGateway | undefined;
  /** The event types the cashier handles (only those are replayed). */
  handles: (type: string) => boolean;
  receive: (exec: Db, event: StripeEvent) => Promise<{ stored: boolean }>;
  process: (exec: Db, eventId: string) => Promise<EventOutcome>;
  /** Resolves withdrawal attempts left `started` past a key's lifetime (payouts.ts `resolveStale`). */
  resolveStale: (db: Db) => Promise<StaleResolution[]>;
  log: Log;
}

/** How far back the first run looks (Stripe lists events of the last 30 days). */
const FIRST_RUN_DAYS = 3;
/** The next run re-reads a little before the watermark: events of the same second, clocks. Replays are no-ops. */
const OVERLAP_S = 300;
/** Balance transactions are read from this much before `since`: a charge precedes its credit. */
const BALANCE_MARGIN_S = 86_400;

const secondsOf = (d: Date): number => Math.floor(d.getTime() / 1000);

interface DepositRef {
  id: bigint;
  sessionId: string | null;
  currency: string;
}

/** What the ledger moved for one Stripe object on the deposits clearing account. */
interface LedgerSide {
  units: number;
  /** Signed as Stripe signs it: money into chipin positive. */
  amount: bigint;
}

export function createReconciler(deps: ReconcileDeps) {
  const { log } = deps;

  async function depositFor(
    db: Db,
    source: NonNullable<BalanceTransaction['source']>,
  ): Promise<DepositRef | 'unknown' | undefined> {
    if (source.paymentIntent) {
      const r = await db.query(`SELECT id, session_id, currency FROM deposits WHERE payment_intent = $1`, [
        source.paymentIntent,
      ]);
      const row = r.rows[0];
      if (row) return { id: big(row.id), sessionId: textOrNull(row.session_id), currency: String(row.currency) };
    }
    const tagged = source.metadata[DEPOSIT_METADATA];
    if (tagged === undefined) return undefined;
    if (!/^[0-9]{1,19}$/.test(tagged)) return 'unknown';
    const r = await db.query(`SELECT id, session_id, currency FROM deposits WHERE id = $1`, [tagged]);
    const row = r.rows[0];
    return row ? { id: big(row.id), sessionId: textOrNull(row.session_id), currency: String(row.currency) } : 'unknown';
  }

  /** The ledger's side of refs `stripe:<id>` (a credit) or `stripe:<id>#n` (a clawback's legs). */
  async function ledgerOf(db: Db, stripeId: string, clearing: 'in' | 'out'): Promise<LedgerSide> {
    const r = await db.query(
      `SELECT count(DISTINCT coalesce(t.batch_ref, t.ref))::int AS units, coalesce(sum(t.amount), 0) AS amount
         FROM transfers t JOIN accounts c ON c.id = ${clearing === 'out' ? 't.debit_account' : 't.credit_account'}
        WHERE (t.ref = $1 OR t.ref LIKE $2) AND c.owner = 'system:deposits' AND t.state = 'posted'`,
      [`stripe:${stripeId}`, `stripe:${stripeId.replace(/[\\%_]/g, '\\$&')}#%`],
    );
    const row = r.rows[0];
    const amount = big(row?.amount);
    return { units: Number(row?.units ?? 0), amount: clearing === 'out' ? amount : -amount };
  }

  async function replayMissed(db: Db, events: readonly StripeEvent[], findings: Finding[]): Promise<string[]> {
    const replayed: string[] = [];
    for (const event of events) {
      if (!deps.handles(event.type)) continue;
      const seen = await db.query(`SELECT 1 FROM inbox WHERE key = $1`, [eventKey(event.id)]);
      if (seen.rows.length > 0) continue;
      const { stored } = await deps.receive(db, event);
      if (!stored) continue;
      replayed.push(event.id);
      log.warn({ eventId: event.id, type: event.type }, 'reconciliation: an event never delivered is replayed');
      try {
        // The same handler the settlement job runs; the stored job then finds the event done.
        await deps.process(db, event.id);
      } catch (err) {
        if (err instanceof JobRejected)
          findings.push({
            kind: 'replay_rejected',
            stripeId: event.id,
            message: `missed event ${event.id} (${event.type}) was replayed and refused: ${err.message}`,
            details: { type: event.type },
          });
        // Anything else: its job retries it.
        else log.warn({ err, eventId: event.id }, 'reconciliation: a replayed event failed; its job retries it');
      }
    }
    return replayed;
  }

  async function compareBalance(
    db: Db,
    transactions: readonly BalanceTransaction[],
    findings: Finding[],
  ): Promise<{ seen: Set<string>; sums: Map<string, { stripe: bigint; ledger: bigint }> }> {
    const seen = new Set<string>();
    const sums = new Map<string, { stripe: bigint; ledger: bigint }>();
    for (const t of transactions) {
      const source = t.source;
      if (!source || !['charge', 'refund', 'dispute'].includes(source.object)) continue;
      const deposit = await depositFor(db, source);
      if (deposit === undefined) continue; // not ours (another integration on the account)
      if (deposit === 'unknown') {
        findings.push({
          kind: 'unknown_object',
          stripeId: source.id,
          message: `${source.object} ${source.id} names deposit ${source.metadata[DEPOSIT_METADATA] ?? '?'}, which we do not have`,
          details: { balanceTransaction: t.id, amount: t.amount.toString(), currency: t.currency },
        });
        continue;
      }
      // A charge is credited under its session; a refund or dispute under its own id (won: `<dispute>:won`).
      const stripeId =
        source.object === 'charge'
          ? (deposit.sessionId ?? source.id)
          : source.object === 'dispute' && t.amount > 0n
            ? `${source.id}:won`
            : source.id;
      seen.add(stripeId);
      const side = await ledgerOf(db, stripeId, t.amount > 0n ? 'out' : 'in');
      const sum = sums.get(t.currency) ?? { stripe: 0n, ledger: 0n };
      sum.stripe += t.amount;
      sum.ledger += side.amount;
      sums.set(t.currency, sum);
      const details = {
        balanceTransaction: t.id,
        deposit: deposit.id.toString(),
        stripe: formatAmount({ minor: t.amount, currency: t.currency }),
        ledger: formatAmount({ minor: side.amount, currency: t.currency }),
      };
      if (side.units === 0)
        findings.push({
          kind: t.amount > 0n && source.object === 'charge' ? 'uncredited' : 'untaken',
          stripeId,
          message: `${source.object} ${source.id} of deposit ${deposit.id} (${details.stripe}) has no ledger transfer`,
          details,
        });
      else if (side.units > 1 || side.amount !== t.amount)
        findings.push({
          kind: 'amount_mismatch',
          stripeId,
          message: `${source.object} ${source.id} of deposit ${deposit.id}: Stripe ${details.stripe}, ledger ${details.ledger} in ${side.units} unit(s)`,
          details: { ...details, units: String(side.units) },
        });
    }
    for (const [currency, sum] of sums)
      if (sum.stripe !== sum.ledger)
        findings.push({
          kind: 'sum_mismatch',
          stripeId: null,
          message: `deposits clearing ${currency}: Stripe ${formatAmount({ minor: sum.stripe, currency })}, ledger ${formatAmount({ minor: sum.ledger, currency })}`,
          details: { currency, stripe: sum.stripe.toString(), ledger: sum.ledger.toString() },
        });
    return { seen, sums };
  }

  /** Every ledger transfer on the deposits clearing account since `since` has its Stripe object. */
  async function compareLedger(db: Db, since: Date, seen: ReadonlySet<string>, findings: Finding[]): Promise<void> {
    const gateway = deps.gateway;
    if (!gateway) return;
    const r = await db.query(
      `SELECT t.id, t.ref, t.amount, t.currency, t.kind FROM transfers t
         JOIN accounts c ON c.id IN (t.debit_account, t.credit_account)
        WHERE c.owner = 'system:deposits' AND t.created_at >= $1 AND t.state = 'posted' ORDER BY t.id`,
      [since.toISOString()],
    );
    for (const row of r.rows) {
      const ref = String(row.ref);
      const stripeId = /^stripe:([^#]+)(#.*)?$/.exec(ref)?.[1];
      const amount = { minor: big(row.amount), currency: String(row.currency) };
      const details = { transfer: String(row.id), ref, amount: formatAmount(amount), kind: String(row.kind) };
      if (stripeId !== undefined && seen.has(stripeId)) continue;
      if (stripeId?.startsWith('cs_')) {
        // A credit whose charge fell outside the balance window: ask for its session.
        let session: CheckoutSession | undefined;
        try {
          session = await gateway.retrieveCheckoutSession(stripeId);
        } catch (err) {
          if (!(err instanceof StripeRefused)) throw err;
        }
        if (session?.paymentStatus === 'paid' && session.amountTotal === amount.minor) continue;
        findings.push({
          kind: session?.paymentStatus === 'paid' ? 'amount_mismatch' : 'no_stripe_object',
          stripeId,
          message: session
            ? `transfer ${String(row.id)} credits ${details.amount} for session ${stripeId}, which is ${session.paymentStatus} for ${String(session.amountTotal)}`
            : `transfer ${String(row.id)} credits ${details.amount} for session ${stripeId}, which Stripe does not have`,
          details,
        });
        continue;
      }
      findings.push({
        kind: 'no_stripe_object',
        stripeId: stripeId ?? null,
        message: `transfer ${String(row.id)} (${ref}, ${details.amount}) on the deposits clearing account has no Stripe balance transaction`,
        details,
      });
    }
  }

  async function store(tx: Tx, report: Omit<ReconcileReport, 'runId'>): Promise<bigint> {
    const r = await tx.query(
      `INSERT INTO stripe_reconciliations (since, watermark, events, balance_transactions, replayed, finished_at)
       VALUES ($1, $2, $3, $4, $5, now()) RETURNING id`,
      [
        report.since.toISOString(),
        report.watermark.toISOString(),
        report.events,
        report.balanceTransactions,
        report.replayed.length,
      ],
    );
    const runId = big(r.rows[0]?.id);
    for (const f of report.findings)
      await tx.query(
        `INSERT INTO stripe_reconcile_findings (run_id, kind, stripe_id, message, details) VALUES ($1, $2, $3, $4, $5::jsonb)`,
        [runId, f.kind, f.stripeId, f.message, JSON.stringify(f.details)],
      );
    return runId;
  }

  /** Where a run starts when not told: the last run's watermark (less an overlap), else a few days back. */
  async function defaultSince(db: Db): Promise<Date> {
    const r = await db.query(
      `SELECT watermark FROM stripe_reconciliations WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    );
    const last = r.rows[0]?.watermark;
    if (last instanceof Date) return new Date(last.getTime() - OVERLAP_S * 1000);
    if (typeof last === 'string') return new Date(new Date(last).getTime() - OVERLAP_S * 1000);
    return new Date(Date.now() - FIRST_RUN_DAYS * 86_400_000);
  }

  /** One reconciliation run (see the file's comment). Throws when Stripe or the database is not there. */
  async function run(options: { since?: Date } = {}): Promise<ReconcileReport> {
    const { db, gateway } = deps;
    if (!db || !gateway) throw new Error('reconciliation needs Stripe (STRIPE_SECRET_KEY) and the database');
    const since = options.since ?? (await defaultSince(db));
    const findings: Finding[] = [];
    const events = (await gateway.listEvents(secondsOf(since))).filter((e) => e.created >= secondsOf(since));
    const replayed = await replayMissed(db, events, findings);
    const recovered = await deps.resolveStale(db);
    for (const r of recovered)
      log.warn(
        { withdrawalId: r.withdrawalId, step: r.step, key: r.key, result: r.result, objectId: r.objectId },
        'reconciliation: a withdrawal attempt unanswered past the key lifetime was resolved by lookup',
      );
    const transactions = await gateway.listBalanceTransactions(secondsOf(since) - BALANCE_MARGIN_S);
    const { seen } = await compareBalance(db, transactions, findings);
    await compareLedger(db, since, seen, findings);
    const read = await reconcileWithdrawals(db, gateway, since, BALANCE_MARGIN_S, findings);
    const newest = events.reduce((max, e) => Math.max(max, e.created), secondsOf(since));
    const watermark = new Date(Math.min(newest * 1000, Date.now()));
    const report = {
      since,
      watermark,
      events: events.length,
      balanceTransactions: transactions.length,
      replayed,
      transfers: read.transfers,
      payouts: read.payouts,
      recovered,
      findings,
    };
    const runId = await db.transaction((tx) => store(tx, report));
    for (const f of findings)
      log.warn({ runId, kind: f.kind, stripeId: f.stripeId, ...f.details }, `reconciliation: ${f.message}`);
    log.info(
      { runId, since, watermark, events: events.length, replayed: replayed.length, findings: findings.length },
      'reconciliation finished',
    );
    return { runId, ...report };
  }

  return { run, db: deps.db };
}

export type Reconciler = ReturnType<typeof createReconciler>;

/** The findings of the latest finished run (what `chipin check` reports and the metrics show). */
export async function latestFindings(
  exec: Pick<Db, 'query'> | Tx,
): Promise<{ runId: bigint | null; finishedAt: Date | null; findings: Finding[] }> {
  const run = await exec.query(
    `SELECT id, finished_at FROM stripe_reconciliations WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
  );
  const row = run.rows[0];
  if (!row) return { runId: null, finishedAt: null, findings: [] };
  const runId = big(row.id);
  const r = await exec.query(
    `SELECT kind, stripe_id, message, details FROM stripe_reconcile_findings WHERE run_id = $1 ORDER BY id`,
    [runId],
  );
  return {
    runId,
    finishedAt: row.finished_at instanceof Date ? row.finished_at : new Date(String(row.finished_at)),
    findings: r.rows.map((f) => ({
      kind: f.kind as FindingKind,
      stripeId: textOrNull(f.stripe_id),
      message: String(f.message),
      details: (f.details ?? {}) as Record<string, string>,
    })),
  };
}
