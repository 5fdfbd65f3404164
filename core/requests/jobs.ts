import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Requests } from './service.js';

/** A nudge at half-time of an open request, and its expiry. */
export const REQUEST_JOBS = defineJobs({ 'request.nudge': 'reminders', 'request.expire': 'expiry' });

export const requestJobs = (requests: Requests, log: Log): HandlersOf<typeof REQUEST_JOBS> => ({
  'request.nudge': async (db, payload, job) =>
    settle(log, job, await requests.nudge(db, idFrom(payload, 'requestId', job.key))),
  'request.expire': async (db, payload, job) =>
    settle(log, job, await requests.expire(db, idFrom(payload, 'requestId', job.key))),
});
