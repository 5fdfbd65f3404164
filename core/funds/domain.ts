import { defineDomain } from '../domain.js';
import { FUND_JOBS } from './jobs.js';
import { FUND_ACTIONS } from './model.js';
import { FUND_TEMPLATES } from './templates.js';

/** Group funds: spending votes (group buttons or native polls), decided by a job when passed or at the deadline. */
export const FUNDS = defineDomain({ actions: FUND_ACTIONS, templates: FUND_TEMPLATES, jobs: FUND_JOBS });
