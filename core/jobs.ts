/**
 * Every domain's timed jobs, merged: the kinds with their queues (for the relay, which has no core instance) and
 * the handlers the workers run. Each domain declares its own in its `jobs.ts`; this only lists the domains.
 */
import { silentLog, type Log } from './log.js';
import type { TimedHandler } from './outbox/jobs.js';
import { PAYMENT_JOBS, paymentJobs } from './payments/jobs.js';
import type { Payments } from './payments/service.js';
import { PEOPLE_JOBS, peopleJobs } from './people/jobs.js';
import type { People } from './people/service.js';
import { REQUEST_JOBS, requestJobs } from './requests/jobs.js';
import type { Requests } from './requests/service.js';
import { SCHEDULE_JOBS, scheduleJobs } from './schedules/jobs.js';
import type { Schedules } from './schedules/service.js';

export {
  InvalidJobPayload,
  JobNotDue,
  QUEUE_NAMES,
  type QueueName,
  type TimedHandler,
  type TimedJob,
} from './outbox/jobs.js';

/** Every timed kind and the queue that runs it. */
export const TIMED_JOBS = { ...PAYMENT_JOBS, ...REQUEST_JOBS, ...SCHEDULE_JOBS, ...PEOPLE_JOBS } as const;
export type TimedKind = keyof typeof TIMED_JOBS;
export const TIMED_KINDS = Object.keys(TIMED_JOBS) as TimedKind[];

export interface TimedDeps {
  people: Pick<People, 'sweepJoinedWallets'>;
  payments: Payments;
  requests: Requests;
  schedules: Schedules;
  log?: Log;
}

export function createTimedHandlers(deps: TimedDeps): Record<TimedKind, TimedHandler> {
  const log = deps.log ?? silentLog;
  return {
    ...paymentJobs(deps.payments, log),
    ...requestJobs(deps.requests, log),
    ...scheduleJobs(deps.schedules, log),
    ...peopleJobs(deps.people, log),
  };
}
