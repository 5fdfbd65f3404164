/**
 * The handlers the workers run, one per timed kind. Each domain builds its own from its service (its `jobs.ts`) and
 * `createCore` hands them all here, where a kind nobody handles is a wiring bug caught at start (the kinds and their
 * queues are declared by the domains, core/domains.ts).
 */
import type { TimedHandler } from './outbox/jobs.js';
import { TIMED_JOBS, type TimedKind } from './domains.js';

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

/** Every domain's handlers as one map; throws when a declared kind has none. */
export function createTimedHandlers(
  ...domains: ReadonlyArray<Partial<Record<TimedKind, TimedHandler>>>
): Record<TimedKind, TimedHandler> {
  const handlers: Partial<Record<TimedKind, TimedHandler>> = {};
  for (const domain of domains) Object.assign(handlers, domain);
  const missing = TIMED_KINDS.filter((kind) => handlers[kind] === undefined);
  if (missing.length > 0) throw new Error(`no handler for timed kinds ${missing.join(', ')}`);
  return handlers as Record<TimedKind, TimedHandler>;
}
