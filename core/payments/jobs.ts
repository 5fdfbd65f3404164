import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Payments } from './service.js';

/** Money held for an @username nobody claimed returns to the sender. */
export const PAYMENT_JOBS = defineJobs({ 'claim.expire': 'expiry' });

export const paymentJobs = (payments: Payments, log: Log): HandlersOf<typeof PAYMENT_JOBS> => ({
  'claim.expire': async (db, payload, job) =>
    settle(log, job, await payments.expireClaim(db, idFrom(payload, 'claimId', job.key))),
});
