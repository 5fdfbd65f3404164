import { ACTION_END_KIND, buttonEndOf, endButton } from '../actions/end.js';
import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Payments } from './service.js';

/**
 * Money held for an @username nobody claimed returns to the sender; an Undo or Confirm button nobody pressed in time
 * leaves its message (core/actions end.ts).
 */
export const PAYMENT_JOBS = defineJobs({ 'claim.expire': 'expiry', [ACTION_END_KIND]: 'expiry' });

export const paymentJobs = (payments: Payments, log: Log): HandlersOf<typeof PAYMENT_JOBS> => ({
  'claim.expire': async (db, payload, job) =>
    settle(log, job, await payments.expireClaim(db, idFrom(payload, 'claimId', job.key))),
  [ACTION_END_KIND]: async (db, payload, job) => {
    settle(log, job, await endButton(db, buttonEndOf(payload, job.key)));
  },
});
