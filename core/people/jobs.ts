import type { Log } from '../log.js';
import { defineJobs, idFrom, type HandlersOf } from '../outbox/jobs.js';
import type { People } from './service.js';

/** A minute after a /link join: money that reached the joined wallet meanwhile moves to the survivor. */
export const PEOPLE_JOBS = defineJobs({ 'link.sweep': 'expiry' });

export const peopleJobs = (people: Pick<People, 'sweepJoinedWallets'>, log: Log): HandlersOf<typeof PEOPLE_JOBS> => ({
  'link.sweep': async (db, payload, job) => {
    const moved = await people.sweepJoinedWallets(db, idFrom(payload, 'from', job.key), idFrom(payload, 'to', job.key));
    if (moved.length > 0) log.info({ job: job.key, moved }, 'money that reached a joined wallet was swept over');
  },
});
