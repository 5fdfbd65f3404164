import type { Log } from '../log.js';
import { countFrom, defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Schedules } from './service.js';

/** Each run of a recurring transfer (and its retries), and the notice the day before. */
export const SCHEDULE_JOBS = defineJobs({ 'schedule.run': 'recurring', 'schedule.notice': 'reminders' });

export const scheduleJobs = (schedules: Schedules, log: Log): HandlersOf<typeof SCHEDULE_JOBS> => ({
  'schedule.run': async (db, payload, job) =>
    settle(
      log,
      job,
      await schedules.run(
        db,
        idFrom(payload, 'scheduleId', job.key),
        countFrom(payload, 'n', job.key),
        countFrom(payload, 'try', job.key, 1),
      ),
    ),
  'schedule.notice': async (db, payload, job) =>
    settle(
      log,
      job,
      await schedules.notice(db, idFrom(payload, 'scheduleId', job.key), countFrom(payload, 'n', job.key)),
    ),
});
