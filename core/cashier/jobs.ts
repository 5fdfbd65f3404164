import { inTx } from '../db/retry.js';
import type { Log } from '../log.js';
import { InvalidJobPayload, defineJobs, idFrom, type HandlersOf } from '../outbox/jobs.js';
import type { Cashier } from './service.js';

/**
 * A verified webhook event stored in the inbox is processed on the settlement queue; so is the check of a deposit
 * whose payer came back from Checkout.
 */
export const CASHIER_JOBS = defineJobs({ 'stripe.event': 'settlement', 'stripe.deposit': 'settlement' });

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
});
