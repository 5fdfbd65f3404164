/**
 * The cashier's gauges on /metrics, read from Postgres when Prometheus scrapes (so every process shows the same):
 * what people owe per currency (receivable accounts, after refunds and disputes of money already spent) and the
 * latest Stripe reconciliation — when it ran and its differences by kind (alert on any).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';
import { latestFindings, receivables, type FindingKind } from '../../core/cashier/index.js';

/** Every kind, each a gauge from 0 (a Record, so a new kind without its gauge fails to compile). */
const FINDING_KINDS = Object.keys({
  uncredited: true,
  untaken: true,
  amount_mismatch: true,
  unknown_object: true,
  no_stripe_object: true,
  sum_mismatch: true,
  replay_rejected: true,
  unposted_transfer: true,
  no_stripe_transfer: true,
  duplicate_object: true,
  unreversed_payout: true,
  reversal_without_failure: true,
} satisfies Record<FindingKind, true>) as FindingKind[];

export function registerCashierMetrics(registry: Registry, sources: { db: Db; log?: Log }): void {
  const registers = [registry];
  const warn = (err: unknown, what: string) => sources.log?.warn({ err }, `metrics: could not read ${what}`);
  new Gauge({
    name: 'chipin_receivables_owed_minor',
    help: 'What people owe chipin after refunds or disputes of card deposits they had spent, per currency (minor units).',
    labelNames: ['currency'],
    registers,
    async collect() {
      try {
        this.reset();
        for (const t of (await receivables(sources.db)).totals) this.set({ currency: t.currency }, Number(t.owed));
      } catch (err) {
        warn(err, 'receivables');
      }
    },
  });
  const findings = new Gauge({
    name: 'chipin_reconcile_findings',
    help: 'Differences between Stripe and the ledger found by the latest reconciliation run, by kind.',
    labelNames: ['kind'],
    registers,
    async collect() {
      try {
        const latest = await latestFindings(sources.db);
        for (const kind of FINDING_KINDS) this.set({ kind }, latest.findings.filter((f) => f.kind === kind).length);
      } catch (err) {
        warn(err, 'reconciliation findings');
      }
    },
  });
  for (const kind of FINDING_KINDS) findings.set({ kind }, 0);
  new Gauge({
    name: 'chipin_reconcile_last_run_timestamp_seconds',
    help: 'When the latest Stripe reconciliation finished (0: never).',
    registers,
    async collect() {
      try {
        const latest = await latestFindings(sources.db);
        this.set(latest.finishedAt ? latest.finishedAt.getTime() / 1000 : 0);
      } catch (err) {
        warn(err, 'reconciliation runs');
      }
    },
  });
}
