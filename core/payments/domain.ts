import { defineDomain } from '../domain.js';
import { PAYMENT_JOBS } from './jobs.js';
import { PAYMENT_ACTIONS } from './model.js';
import { PAYMENT_TEMPLATES } from './templates.js';

/** Payments and money held for an @username: Confirm, Undo, Release and Return buttons; expiry of held money. */
export const PAYMENTS = defineDomain({ actions: PAYMENT_ACTIONS, templates: PAYMENT_TEMPLATES, jobs: PAYMENT_JOBS });
