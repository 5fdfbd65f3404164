import type { Log } from '../log.js';
import { InvalidJobPayload, defineJobs, type HandlersOf } from '../outbox/jobs.js';
import type { Cashier } from './service.js';

/** A verified webhook event stored in the inbox is processed on the settlement queue. */
export const CASHIER_JOBS = defineJobs({
  'stripe.event': 'settlement',
  /** One Stripe call of a withdrawal (core/cashier/payouts.ts). */
  'settlement.withdrawal': 'settlement',
});

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
  'settlement.withdrawal': async (exec, payload, job) => {
    const outcome = await cashier.payouts.job(exec, payload, job.key);
    log.info({ key: job.key, outcome }, 'withdrawal settlement ran');
  },
});
