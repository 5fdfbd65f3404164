import { defineDomain } from '../domain.js';
import { REQUEST_JOBS } from './jobs.js';
import { REQUEST_ACTIONS } from './model.js';
import { REQUEST_TEMPLATES } from './templates.js';

/** Money requests: Pay, Decline and Ask someone else; the half-time nudge and the expiry. */
export const REQUESTS = defineDomain({ actions: REQUEST_ACTIONS, templates: REQUEST_TEMPLATES, jobs: REQUEST_JOBS });
