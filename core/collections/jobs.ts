import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Collections } from './service.js';

/** The 24 h reminder of a collection's unpaid people (core/reminders policy `collection.unpaid`). */
export const COLLECTION_JOBS = defineJobs({ 'collect.remind': 'reminders' });

export const collectionJobs = (collections: Collections, log: Log): HandlersOf<typeof COLLECTION_JOBS> => ({
  'collect.remind': async (db, payload, job) =>
    settle(log, job, await collections.remindDue(db, idFrom(payload, 'collectionId', job.key))),
});
