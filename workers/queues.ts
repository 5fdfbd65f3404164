/**
 * The queues: one per concern. A job of the timed queues is one outbox row: its data holds only the
 * row's id and business key (no secrets, no personal data); the row in Postgres is the truth and the
 * job re-reads it. Job ids are the business keys with `-` for `:` (BullMQ rejects ids containing `:`),
 * so adding a row's job twice is a no-op while the first exists. The notifications queue carries
 * ticks instead: a tick drains every due `notify` row (workers/notify), so a burst of reminders costs
 * one job per due second, not one per message.
 */
import { Queue, type JobsOptions, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';

import { QUEUE_NAMES, TIMED_JOBS, type QueueName } from '../core/jobs.js';

export { QUEUE_NAMES, type QueueName };

/** The outbox kind the notifications worker delivers (core/outbox `notify`). */
export const NOTIFY_KIND = 'notify';

/** What every job carries. */
export interface OutboxJobData {
  /** outbox.id, decimal. */
  outboxId: string;
  /** outbox.key, for operators reading Bull Board. */
  key: string;
}

/** A notifications tick: deliver every `notify` row due by now, and wait for those due by `untilMs`. */
export interface NotifyTickData {
  /** The end of the due second it was armed for, ms since the epoch. */
  untilMs: number;
}

export type JobData = OutboxJobData | NotifyTickData;

export const isTick = (data: JobData): data is NotifyTickData => 'untilMs' in data;

/** The job name is the outbox kind (a tick's is `notify`). */
export type OutboxQueue = Queue<JobData, void, string>;
/** The BullMQ queues (Bull Board reads these). */
export type BullQueues = Readonly<Record<QueueName, OutboxQueue>>;

/** A queued job as the relay, the sweeper and tests look at it. */
export interface QueuedJob {
  readonly id?: string | undefined;
  /** Set once the job failed for good (kept for Bull Board); completed jobs are removed. */
  readonly finishedOn?: number | undefined;
  isDelayed(): Promise<boolean>;
  remove(): Promise<void>;
}

/**
 * What the relay, the sweeper and the metrics need of a queue: a BullMQ Queue, or the in-process one
 * (workers/in-process.ts) when there is no Redis. The same job ids and options on both.
 */
export interface JobQueue {
  add(name: string, data: JobData, opts?: JobsOptions): Promise<QueuedJob>;
  addBulk(jobs: ReadonlyArray<{ name: string; data: JobData; opts?: JobsOptions }>): Promise<readonly QueuedJob[]>;
  getJob(id: string): Promise<QueuedJob | undefined>;
  getJobCounts(...states: JobType[]): Promise<Record<string, number>>;
  getJobCountByTypes(...states: JobType[]): Promise<number>;
}
export type Queues = Readonly<Record<QueueName, JobQueue>>;

// Kinds no domain declares yet follow these conventions (a later feature may lean on them or declare its own).
const PREFIX_QUEUES: ReadonlyArray<readonly [string, QueueName]> = [
  // Edits of live messages (workers/live): their own queue, as an edit may wait a minute for a group's budget.
  ['live.', 'live'],
  ['reminder.', 'reminders'],
  ['recurring.', 'recurring'],
  ['settlement.', 'settlement'],
  ['stripe.', 'settlement'],
];

const DECLARED: Readonly<Record<string, QueueName>> = { ...TIMED_JOBS, [NOTIFY_KIND]: 'notifications' };

/**
 * The queue that runs a kind: the one its domain declared (core `TIMED_JOBS`), else by convention reminders
 * (`*.nudge`, `reminder.*`), recurring, settlement, else expiry.
 */
export function queueFor(kind: string): QueueName {
  const declared = DECLARED[kind];
  if (declared) return declared;
  for (const [prefix, queue] of PREFIX_QUEUES) if (kind.startsWith(prefix)) return queue;
  if (kind.endsWith('.nudge') || kind.endsWith('.remind')) return 'reminders';
  return 'expiry';
}

/** `expire:transfer:42` → `expire-transfer-42`. A key made only of digits gets a `k-` prefix (BullMQ rejects integer ids). */
export function jobIdFor(key: string): string {
  const id = key.replaceAll(':', '-');
  return /^\d+$/.test(id) ? `k-${id}` : id;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First retry delay; doubled at each retry (exponential backoff). */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, backoffMs: 2_000 };

/** Options for every outbox job. Completed jobs are removed at once so a later re-add by the sweeper is never mistaken for a duplicate. */
export function jobOptions(key: string, delayMs: number, retry: RetryPolicy): JobsOptions {
  return {
    jobId: jobIdFor(key),
    delay: Math.max(0, delayMs),
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: true,
    // Failed jobs stay for Bull Board; the outbox row is the dead letter.
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

/** One Queue per concern over a shared connection; `prefix` namespaces every Redis key (one per test file). */
export function createQueues(connection: Redis, prefix: string): BullQueues {
  const make = (name: QueueName): OutboxQueue => new Queue<JobData, void, string>(name, { connection, prefix });
  return {
    notifications: make('notifications'),
    expiry: make('expiry'),
    reminders: make('reminders'),
    recurring: make('recurring'),
    settlement: make('settlement'),
    live: make('live'),
  };
}

export async function closeQueues(queues: BullQueues): Promise<void> {
  await Promise.all(QUEUE_NAMES.map((name) => queues[name].close()));
}

/** A tick armed less than this ahead may already be running (and have looked for its rows): see `tickJob`. */
export const TICK_LEAD_MS = 2_000;

/**
 * The job of the tick for rows due within the second that ends at `untilMs`, `delayMs` from now. Ticks
 * armed well ahead share one id per second, so relaying many rows due in one second adds one job. A
 * tick armed less than `TICK_LEAD_MS` ahead may already be running, past its look for rows: it gets an
 * id of its own (`run`), so adding it is never a no-op.
 */
export function tickJob(
  untilMs: number,
  delayMs: number,
  run: string,
  retry: RetryPolicy,
): { id: string; name: string; data: NotifyTickData; opts: JobsOptions } {
  const second = `notify-tick-${Math.round(untilMs / 1_000)}`;
  const id = delayMs >= TICK_LEAD_MS ? second : `${second}-${run}`;
  return { id, name: NOTIFY_KIND, data: { untilMs }, opts: { ...jobOptions(id, delayMs, retry), jobId: id } };
}
