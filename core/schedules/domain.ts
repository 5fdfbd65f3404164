import { defineDomain } from '../domain.js';
import { SCHEDULE_JOBS } from './jobs.js';
import { SCHEDULE_ACTIONS } from './model.js';
import { SCHEDULE_TEMPLATES } from './templates.js';

/** Recurring transfers: Activate; each run and the notice the day before. */
export const SCHEDULES = defineDomain({
  actions: SCHEDULE_ACTIONS,
  templates: SCHEDULE_TEMPLATES,
  jobs: SCHEDULE_JOBS,
});
