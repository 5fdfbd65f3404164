/**
 * Timed jobs: work that happens later, one outbox kind each, declared by the domain that owns it (its `jobs.ts`:
 * the kind, the queue that runs it, its handler). Each handler re-checks the state in Postgres (by the database
 * clock), so a duplicate run does nothing. Given a Tx (the worker's transaction that marks the outbox row done) a
 * handler writes through it, so its effect and the row's `done` commit together; given the Db it opens its own
 * transaction. A run before its time throws `JobNotDue` (nothing happened; retry at `dueAt`); a malformed payload
 * throws `InvalidJobPayload`, a `JobRejected` (never retried: a dead letter at once).
 */
import type { Executor } from '../db/executor.js';
import type { Json } from '../db/wire.js';
import type { Log } from '../log.js';
import { JobRejected } from './errors.js';

/** The queues the workers run: one per concern. */
export const QUEUE_NAMES = ['notifications', 'expiry', 'reminders', 'recurring', 'settlement', 'live'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface TimedJob {
  /** The outbox key (`claim.expire:<id>:1`). */
  key: string;
  dueAt: Date;
}

/**
 * Does the work of one due outbox row. The workers give the transaction that marks the row done (`TimedHandler<Tx>`:
 * write through it, never through the pool); the core's handlers also take the Db and open their own.
 */
export type TimedHandler<E extends Executor = Executor> = (exec: E, payload: Json, job: TimedJob) => Promise<void>;

/** A domain's timed kinds and the queue of each: `defineJobs({ 'claim.expire': 'expiry' })`. */
export const defineJobs = <const J extends Record<string, QueueName>>(jobs: J): J => jobs;

/** Handlers for every kind a domain declared (exhaustive: a declared kind without a handler does not compile). */
export type HandlersOf<J> = { [K in keyof J]: TimedHandler };

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

const field = (payload: Json, name: string): Json | undefined =>
  payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[name] : undefined;

/** A bigint id in the payload (ids travel as decimal strings). */
export function idFrom(payload: Json, name: string, key: string): bigint {
  const value = field(payload, name);
  if (typeof value !== 'string' || !/^[0-9]{1,19}$/.test(value))
    throw new InvalidJobPayload(`${key}: payload.${name} is not an id`);
  return BigInt(value);
}

/** A positive count in the payload, or `fallback` when absent. */
export function countFrom(payload: Json, name: string, key: string, fallback?: number): number {
  const value = field(payload, name);
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,8}$/.test(value))
    throw new InvalidJobPayload(`${key}: payload.${name} is not a count`);
  return Number(value);
}

/** What a timed run says it did; `NotDue` means it ran early (the job is retried at `dueAt`). */
export interface RunOutcome {
  type: string;
  reason?: string;
  dueAt?: Date | null;
}

/** Throws `JobNotDue` for an early run, logs anything else. */
export function settle(log: Log, job: TimedJob, outcome: RunOutcome): void {
  if (outcome.type === 'noop' && outcome.reason === 'NotDue') throw new JobNotDue(job.key, outcome.dueAt ?? null);
  log.debug({ job: job.key, outcome: outcome.type, reason: outcome.reason }, 'timed job ran');
}
