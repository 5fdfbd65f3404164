/**
 * Work that happens later, as plain functions the workers call: one per outbox kind. Each re-checks
 * the state in Postgres (by the database clock), so a duplicate run does nothing. Given a Tx (the
 * worker's transaction that marks the outbox row done) a handler writes through it, so its effect and
 * the row's `done` commit together; given the Db it opens its own transaction. A run before its time
 * throws `JobNotDue` (nothing happened; retry at `dueAt`); a malformed payload throws
 * `InvalidJobPayload`, a `JobRejected` (never retry: a dead letter at once).
 */
import type { Json } from './commands/wire.js';
import type { Executor } from './db/executor.js';
import { silentLog, type Log } from './log.js';
import { JobRejected } from './outbox/errors.js';
import type { Payments } from './payments/service.js';
import type { People } from './people/service.js';
import type { Requests } from './requests/service.js';
import type { Schedules } from './schedules/service.js';

export const TIMED_KINDS = [
  'claim.expire',
  'request.nudge',
  'request.expire',
  'schedule.run',
  'schedule.notice',
  'link.sweep',
] as const;
export type TimedKind = (typeof TIMED_KINDS)[number];

export interface TimedJob {
  /** The outbox key (`claim.expire:<id>:1`). */
  key: string;
  dueAt: Date;
}

export type TimedHandler = (exec: Executor, payload: Json, job: TimedJob) => Promise<void>;

export class JobNotDue extends Error {
  override name = 'JobNotDue';

  constructor(
    readonly key: string,
    readonly dueAt: Date | null,
  ) {
    super(`${key} is not due yet${dueAt ? ` (due ${dueAt.toISOString()})` : ''}`);
  }
}

export class InvalidJobPayload extends JobRejected {
  override name = 'InvalidJobPayload';
}

function idFrom(payload: Json, field: string, key: string): bigint {
  const value = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[field] : undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,19}$/.test(value))
    throw new InvalidJobPayload(`${key}: payload.${field} is not an id`);
  return BigInt(value);
}

function countFrom(payload: Json, field: string, key: string, fallback?: number): number {
  const value = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[field] : undefined;
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,8}$/.test(value))
    throw new InvalidJobPayload(`${key}: payload.${field} is not a count`);
  return Number(value);
}

export interface TimedDeps {
  people: Pick<People, 'sweepJoinedWallets'>;
  payments: Payments;
  requests: Requests;
  schedules: Schedules;
  log?: Log;
}

export function createTimedHandlers(deps: TimedDeps): Record<TimedKind, TimedHandler> {
  const log = deps.log ?? silentLog;
  const settle = (job: TimedJob, outcome: { type: string; reason?: string; dueAt?: Date | null }): void => {
    if (outcome.type === 'noop' && outcome.reason === 'NotDue') throw new JobNotDue(job.key, outcome.dueAt ?? null);
    log.debug({ job: job.key, outcome: outcome.type, reason: outcome.reason }, 'timed job ran');
  };
  return {
    'claim.expire': async (db, payload, job) =>
      settle(job, await deps.payments.expireClaim(db, idFrom(payload, 'claimId', job.key))),
    'request.nudge': async (db, payload, job) =>
      settle(job, await deps.requests.nudge(db, idFrom(payload, 'requestId', job.key))),
    'request.expire': async (db, payload, job) =>
      settle(job, await deps.requests.expire(db, idFrom(payload, 'requestId', job.key))),
    'schedule.run': async (db, payload, job) =>
      settle(
        job,
        await deps.schedules.run(
          db,
          idFrom(payload, 'scheduleId', job.key),
          countFrom(payload, 'n', job.key),
          countFrom(payload, 'try', job.key, 1),
        ),
      ),
    'link.sweep': async (db, payload, job) => {
      const moved = await deps.people.sweepJoinedWallets(
        db,
        idFrom(payload, 'from', job.key),
        idFrom(payload, 'to', job.key),
      );
      if (moved.length > 0) log.info({ job: job.key, moved }, 'money that reached a joined wallet was swept over');
    },
    'schedule.notice': async (db, payload, job) =>
      settle(
        job,
        await deps.schedules.notice(db, idFrom(payload, 'scheduleId', job.key), countFrom(payload, 'n', job.key)),
      ),
  };
}
