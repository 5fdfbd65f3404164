import { defineDomain } from '../domain.js';
import { CASHIER_JOBS } from './jobs.js';
import { PAYOUT_ACTIONS } from './payouts.js';
import { CASHIER_TEMPLATES } from './templates.js';

/** Money in and out through Stripe: deposit notices; webhook events processed on the settlement queue. */
export const CASHIER = defineDomain({ actions: PAYOUT_ACTIONS, templates: CASHIER_TEMPLATES, jobs: CASHIER_JOBS });
