/**
 * The processor of the timed queues (expiry, reminders, recurring, settlement): one outbox row per job,
 * dispatched to the handler registered for its kind. The handler runs in the transaction that locks the
 * row and marks it done, so its effect and the row's `done` commit together: a duplicate, a re-run after
 * a crash or a job that fires early finds the row done, not due, or locked, and does nothing.
 */
import { DelayedError, UnrecoverableError } from 'bullmq';
import { scrubSecrets } from '../config/logger.js';
import { isDatabaseUnavailable, type Db, type Tx } from '../core/db/executor.js';
import type { Log } from '../core/log.js';
import { JobNotDue, type TimedHandler } from '../core/jobs.js';
import { JobRejected, claimDue, inspect, markDone, postpone, recordFailure } from '../core/outbox/index.js';
import type { WorkerMetrics } from './metrics.js';
import { isTick, type JobData, type OutboxJobData, type QueueName } from './queues.js';

/**
 * By outbox kind (`claim.expire`, `request.nudge`, …): core/jobs.ts `createTimedHandlers(deps)`. Each runs in the
 * transaction that marks the row done (core/outbox/jobs.ts says what a handler may throw).
 */
export type TimedHandlers = Readonly<Record<string, TimedHandler<Tx>>>;

/** How long a job waits before looking again at a row another transaction holds. */
export const LOCKED_RECHECK_MS = 500;

/** How long a job waits when its handler says "not due yet" without saying until when. */
export const NOT_DUE_RECHECK_MS = 60_000;

/** How long a job whose database was unreachable waits before it runs again. */
export const OUTAGE_RECHECK_MS = 5_000;

/**
 * A job as the processors see it: a BullMQ Job, or one of the in-process queue (workers/in-process.ts), which
 * honours the same contract (DelayedError after moveToDelayed keeps the attempts; UnrecoverableError fails at once).
 */
export interface OutboxJob {
  readonly id?: string | undefined;
  readonly name: string;
  readonly data: JobData;
  /** Attempts finished before this one. */
  readonly attemptsMade: number;
  readonly opts: { readonly attempts?: number | undefined };
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

/** Runs one job; BullMQ passes the lock token `later` needs. */
export type Processor = (job: OutboxJob, token?: string) => Promise<void>;

export interface FailureDeps {
  db: Db;
  log: Log;
  metrics: WorkerMetrics;
  queue: QueueName;
}

/** An error as one scrubbed line for `outbox.last_error`. */
export const describeError = (err: unknown): string =>
  scrubSecrets(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 2_000);

/**
 * Records a failed attempt on the row and rethrows for BullMQ: a rejection (or the last attempt) makes
 * the row a dead letter first, so the dead letter exists before the job is failed in Redis. A database
 * outage is no attempt: the job waits `OUTAGE_RECHECK_MS` with its attempts untouched, however long the
 * outage lasts (retry-safe: the row is claimed and marked done in the handler's transaction).
 */
export async function failAttempt(
  deps: FailureDeps,
  job: OutboxJob,
  token: string | undefined,
  data: OutboxJobData,
  err: unknown,
): Promise<never> {
  const context = { err, key: data.key, kind: job.name, queue: deps.queue, attempt: job.attemptsMade + 1 };
  if (isDatabaseUnavailable(err)) {
    deps.log.warn({ ...context, retryInMs: OUTAGE_RECHECK_MS }, 'outbox job: database unreachable; will run again');
    return later(job, token, OUTAGE_RECHECK_MS);
  }
  const rejected = err instanceof JobRejected || err instanceof UnrecoverableError;
  const dead = rejected || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const error = describeError(err);
  deps.metrics.failed(deps.queue, job.name);
  try {
    await recordFailure(deps.db, data.outboxId, { error, dead });
  } catch (recordErr) {
    // The row stays pending: if this was the last attempt, the sweeper finds the failed job and retries the row.
    deps.log.error({ ...context, recordErr }, 'could not record a failed outbox job');
  }
  if (dead) {
    deps.metrics.dead(deps.queue, job.name);
    deps.log.error(context, rejected ? 'outbox job rejected: dead letter' : 'outbox job failed for good: dead letter');
    throw new UnrecoverableError(error);
  }
  deps.log.warn(context, 'outbox job failed; will retry');
  throw err;
}

/** Moves the job back to delayed for `waitMs` (it keeps its attempts) and ends this run. */
export async function later(job: OutboxJob, token: string | undefined, waitMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(waitMs)), token);
  throw new DelayedError();
}

export interface TimedDeps extends FailureDeps {
  handlers: TimedHandlers;
}

export function timedProcessor(deps: TimedDeps): Processor {
  const { db, handlers } = deps;
  return async (job, token) => {
    const data = job.data;
    if (isTick(data)) throw new UnrecoverableError(`a notifications tick on the ${deps.queue} queue`);
    const id = data.outboxId;
    let ran: { kind: string; dueAt: Date } | undefined;
    try {
      ran = await db.transaction(async (tx) => {
        const row = await claimDue(tx, id);
        if (!row) return undefined;
        const handler = handlers[row.kind];
        // Transient on purpose: during a rolling deploy an older process may see a newer kind.
        if (!handler) throw new Error(`no handler for outbox kind ${row.kind} in this process`);
        await handler(tx, row.payload, { key: row.key, dueAt: row.dueAt });
        await markDone(tx, [row.id]);
        return { kind: row.kind, dueAt: row.dueAt };
      });
    } catch (err) {
      if (err instanceof JobNotDue) {
        // The object's own deadline moved later (core/jobs): move the row with it, so the database clock agrees.
        if (err.dueAt) await postpone(db, [id], err.dueAt);
        return later(job, token, err.dueAt ? err.dueAt.getTime() - Date.now() : NOT_DUE_RECHECK_MS);
      }
      return failAttempt(deps, job, token, data, err);
    }
    if (ran) {
      deps.metrics.finished(deps.queue, ran.kind, (Date.now() - ran.dueAt.getTime()) / 1000);
      return;
    }
    // Not claimed: done, cancelled or dead (a duplicate job: nothing to do), not due yet, or held by another run.
    const [row] = await inspect(db, [id]);
    if (!row || row.state !== 'pending') return;
    return later(job, token, row.dueInMs > 0 ? row.dueInMs : LOCKED_RECHECK_MS);
  };
}
