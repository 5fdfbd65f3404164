import { defineDomain } from '../domain.js';
import { COLLECTION_JOBS } from './jobs.js';
import { COLLECTION_ACTIONS } from './model.js';
import { COLLECTION_TEMPLATES } from './templates.js';

/** Group collections (/collect, /split): the payer's Confirm button, the card and reminders, the 24 h reminder. */
export const COLLECTIONS = defineDomain({
  actions: COLLECTION_ACTIONS,
  templates: COLLECTION_TEMPLATES,
  jobs: COLLECTION_JOBS,
});
