/**
 * The handlers the workers run, one per timed kind, built from each domain's service (the kinds and their queues
 * are declared by the domains, core/domains.ts).
 */
import { collectionJobs } from './collections/jobs.js';
import type { Collections } from './collections/service.js';
import { fundJobs } from './funds/jobs.js';
import { iouJobs } from './ious/jobs.js';
import type { Borrow } from './ious/borrow.js';
import type { Ious } from './ious/service.js';
import type { Funds } from './funds/service.js';
import { silentLog, type Log } from './log.js';
import type { TimedHandler } from './outbox/jobs.js';
import { TIMED_JOBS, type TimedKind } from './domains.js';
import { paymentJobs } from './payments/jobs.js';
import type { Payments } from './payments/service.js';
import { peopleJobs } from './people/jobs.js';
import { redPacketJobs } from './redpackets/jobs.js';
import type { RedPackets } from './redpackets/service.js';
import type { People } from './people/service.js';
import { requestJobs } from './requests/jobs.js';
import type { Requests } from './requests/service.js';
import { scheduleJobs } from './schedules/jobs.js';
import type { Schedules } from './schedules/service.js';

export {
  InvalidJobPayload,
  JobNotDue,
  QUEUE_NAMES,
  type QueueName,
  type TimedHandler,
  type TimedJob,
} from './outbox/jobs.js';

export { TIMED_JOBS, type TimedKind };
export const TIMED_KINDS = Object.keys(TIMED_JOBS) as TimedKind[];

export interface TimedDeps {
  people: Pick<People, 'sweepJoinedWallets'>;
  payments: Payments;
  requests: Requests;
  schedules: Schedules;
  funds: Funds;
  collections: Collections;
  ious: Ious;
  borrow: Borrow;
  redpackets: RedPackets;
  log?: Log;
}

export function createTimedHandlers(deps: TimedDeps): Record<TimedKind, TimedHandler> {
  const log = deps.log ?? silentLog;
  return {
    ...paymentJobs(deps.payments, log),
    ...requestJobs(deps.requests, log),
    ...scheduleJobs(deps.schedules, log),
    ...fundJobs(deps.funds, log),
    ...iouJobs(deps.ious, deps.borrow, log),
    ...peopleJobs(deps.people, log),
    ...collectionJobs(deps.collections, log),
    ...redPacketJobs(deps.redpackets, log),
  };
}
