import { inTx } from '../db/retry.js';
import type { Log } from '../log.js';
import { InvalidJobPayload, defineJobs, idFrom, type HandlersOf } from '../outbox/jobs.js';
import type { Executor } from '../db/executor.js';
import { schedule } from '../outbox/service.js';
import type { Cashier } from './service.js';

/**
 * A verified webhook event stored in the inbox is processed on the settlement queue; so is the check of a deposit
 * whose payer came back from Checkout, each Stripe call of a withdrawal, and the daily reconciliation.
 */
export const CASHIER_JOBS = defineJobs({
  'stripe.event': 'settlement',
  'stripe.deposit': 'settlement',
  /** One Stripe call of a withdrawal (core/cashier/payouts.ts). */
  'settlement.withdrawal': 'settlement',
  /** Daily: Stripe's events and balance transactions against the ledger (reconcile.ts); schedules the next day's. */
  'stripe.reconcile': 'settlement',
});

/** The hour (UTC) the daily reconciliation is due. */
const RECONCILE_HOUR_UTC = 3;

const reconcileDay = (day: Date): { key: string; dueAt: Date } => {
  const date = day.toISOString().slice(0, 10);
  return { key: `stripe.reconcile:${date}`, dueAt: new Date(`${date}T0${RECONCILE_HOUR_UTC}:00:00.000Z`) };
};

/**
 * Schedules the reconciliation of `day` (default today; once per day: the key is the date). Workers call it at
 * start, so the first run happens without anyone asking; each run schedules the next day's.
 */
export function scheduleReconcile(exec: Executor, day: Date = new Date()): Promise<boolean> {
  const { key, dueAt } = reconcileDay(day);
  return schedule(exec, { key, kind: 'stripe.reconcile', dueAt, payload: {} });
}

const EVENT_ID = /^evt_[A-Za-z0-9_]{1,250}$/;

export const cashierJobs = (cashier: Cashier, log: Log): HandlersOf<typeof CASHIER_JOBS> => ({
  'stripe.event': async (exec, payload, job) => {
    const eventId =
      payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload.eventId : undefined;
    if (typeof eventId !== 'string' || !EVENT_ID.test(eventId))
      throw new InvalidJobPayload(`${job.key}: payload.eventId is not a Stripe event id`);
    const outcome = await cashier.process(exec, eventId);
    log.info({ eventId, outcome: outcome.type, key: job.key }, 'stripe event processed');
  },
  'stripe.deposit': async (exec, payload, job) => {
    const depositId = idFrom(payload, 'depositId', job.key);
    const outcome = await inTx(exec, (tx) => cashier.deposits.check(tx, depositId));
    log.info({ depositId, outcome: outcome.type, key: job.key }, 'deposit checked on the payer’s return');
  },
  'stripe.reconcile': async (exec, _payload, job) => {
    if (!cashier.available) {
      log.info({ key: job.key }, 'stripe reconciliation skipped: Stripe is not configured');
      return;
    }
    // Tomorrow's first, committed on its own: a run that fails for good (a dead letter) does not end the chain.
    await scheduleReconcile(cashier.reconciler.db ?? exec, new Date(job.dueAt.getTime() + 86_400_000));
    const report = await cashier.reconciler.run();
    log.info(
      { key: job.key, runId: report.runId, replayed: report.replayed.length, findings: report.findings.length },
      'stripe reconciliation ran',
    );
  },
  'settlement.withdrawal': async (exec, payload, job) => {
    const outcome = await cashier.payouts.job(exec, payload, job.key);
    log.info({ key: job.key, outcome }, 'withdrawal settlement ran');
  },
});
