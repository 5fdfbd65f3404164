/**
 * The workers role (`chipin start --workers`): one consumer per queue (a BullMQ Worker, or the in-process
 * queue when there is no Redis: workers/driver.ts), the outbox relay and the sweeper. Postgres is the truth,
 * Redis only delivers: every job re-reads its outbox row, so running several worker processes side by side
 * (horizontal scaling) or losing Redis (or the in-process jobs, with the process) costs time, never a double
 * effect.
 */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { sweepActions } from '../core/actions/index.js';
import { COMMAND_LOG_RETENTION_MS, pruneCommandLog } from '../core/index.js';
import type { Db } from '../core/db/executor.js';
import type { Log } from '../core/log.js';
import { noMetrics, registerWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { createReminderCap } from './notify/cap.js';
import { createNotifyLimits, type NotifyRates } from './notify/limits.js';
import { createNotifier, type NotifierOptions } from './notify/notifier.js';
import type { Directory, Renderer, Senders } from './notify/ports.js';
import { notifyProcessor } from './notify/processor.js';
import { POLL_STOP_KIND } from '../core/actions/index.js';
import { LIVE_EDIT_KIND, LIVE_POST_KIND } from '../core/live/index.js';
import { liveProcessor, type LivePorts } from './live/processor.js';
import { DEFAULT_RETRY, NOTIFY_KIND, QUEUE_NAMES, type QueueName, type Queues, type RetryPolicy } from './queues.js';
import type { RedisRole } from './redis.js';
import { bullmqDriver, inProcessDriver, type JobDriver } from './driver.js';
import { createRelay, every, type RelayOptions, type SweepResult } from './relay.js';
import { timedProcessor, type TimedHandlers } from './timed.js';

export { RateLimited, Blocked } from './notify/ports.js';
export { MessageGone, type Editor, type Editors, type LiveRenderer } from './live/ports.js';
export type { LivePorts } from './live/processor.js';
export type { Directory, Recipient, Renderer, Sender, Senders, QuietHours } from './notify/ports.js';
export { createDirectory } from './notify/directory.js';
export type { NotifierOptions } from './notify/notifier.js';
export type { TimedHandlers } from './timed.js';
export { registerWorkerMetrics, type WorkerMetrics } from './metrics.js';
export { adminQueuesRoute, ADMIN_QUEUES_PATH, NO_BOARD_MESSAGE } from './admin.js';
export {
  QUEUE_NAMES,
  closeQueues,
  createQueues,
  jobIdFor,
  queueFor,
  type BullQueues,
  type QueueName,
  type Queues,
} from './queues.js';

/** The notifications worker's ports, implemented elsewhere and wired in main.ts. */
export interface NotifierPorts {
  directory: Directory;
  renderer: Renderer;
  senders: Senders;
}

export type { NotifyRates } from './notify/limits.js';

export const DEFAULT_RATES: NotifyRates = { perChatMs: 1_000, globalPerSecond: 25 };

export interface StartWorkersOptions {
  db: Db;
  /**
   * workers/redis.ts RedisHandle (or anything making ioredis connections): the jobs go through BullMQ. Null: no
   * Redis, the jobs run in this process (workers/in-process.ts; one process only, on embedded PGlite).
   */
  redis: { createConnection(role: RedisRole): Redis } | null;
  log: Log;
  /** Timed kinds → handlers (core/jobs.ts createTimedHandlers). */
  handlers: TimedHandlers;
  notifier: NotifierPorts;
  /** The live-message editor's ports (core/live); omitted, `live.edit` rows wait for a process that has them. */
  live?: LivePorts;
  /** Prefix of every Redis key of the queues; one per test file. Default `chipin`. */
  prefix?: string;
  /** The /metrics registry; omitted, nothing is recorded. */
  metrics?: Registry;
  rates?: Partial<NotifyRates>;
  /** Reminders (deferrable notices) one person receives per UTC day (REMINDERS_PER_DAY); 0 or omitted: no cap. */
  remindersPerDay?: number;
  relay?: Partial<RelayOptions> & {
    /** How often the relay looks for rows to enqueue. */
    everyMs?: number;
    /** How often the sweeper looks for vanished jobs. */
    sweepEveryMs?: number;
  };
  retry?: Partial<Record<QueueName, RetryPolicy>>;
  concurrency?: Partial<Record<QueueName, number>>;
  notifierOptions?: Partial<NotifierOptions>;
  /** BullMQ job lock: a worker that dies loses its jobs to another after about this long. */
  lockDurationMs?: number;
  /** How often BullMQ looks for stalled jobs. */
  stalledIntervalMs?: number;
  /** How long stop() waits for running jobs before leaving them to stall and re-run elsewhere. */
  closeTimeoutMs?: number;
  /** How often recorded command outcomes and used or expired buttons older than 7 days are deleted. Default 1 h. */
  housekeepingEveryMs?: number;
  /**
   * Redis came back (after a reconnect) with a maxmemory-policy that may evict queued jobs: the process cannot run
   * safely on it (`chipin start` stops, and its next start refuses the server with the same message).
   */
  onUnsafeRedis?: (reason: string) => void;
}

export interface RunningWorkers {
  readonly queues: Queues;
  /** How the jobs are delivered: BullMQ on Redis, or in this process. */
  readonly driver: JobDriver['name'];
  /** Runs the relay once now (after the periodic run in flight, if any); resolves with how many rows it enqueued. */
  relayNow(): Promise<number>;
  /** Runs the sweeper once now. */
  sweepNow(): Promise<SweepResult>;
  /** Stops the relay and the sweeper, lets running jobs finish (bounded), closes queues and connections. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_CONCURRENCY: Readonly<Record<QueueName, number>> = {
  // Ticks: each drains every due notification; the batches in flight (each holding a pooled connection) are
  // bounded per process by the notifier's `inFlight`, whatever the number of ticks.
  notifications: 4,
  expiry: 8,
  reminders: 8,
  recurring: 4,
  settlement: 4,
  live: 8,
};

export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { db, log, handlers } = options;
  const liveKinds = options.live ? [LIVE_EDIT_KIND, LIVE_POST_KIND, POLL_STOP_KIND] : [];
  const prefix = options.prefix ?? 'chipin';
  const rates = { ...DEFAULT_RATES, ...options.rates };
  const retry = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, { ...DEFAULT_RETRY, ...options.retry?.[name] }]),
  ) as Record<QueueName, RetryPolicy>;

  // The one choice of delivery: BullMQ when there is Redis (one connection for every queue, worker and the pacer;
  // each Worker adds its own blocking duplicate), else the in-process queues.
  const driver: JobDriver = options.redis
    ? bullmqDriver({
        connection: options.redis.createConnection('worker'),
        prefix,
        log,
        lockDurationMs: options.lockDurationMs,
        stalledIntervalMs: options.stalledIntervalMs,
        onUnsafeRedis: options.onUnsafeRedis,
      })
    : inProcessDriver(log);
  const { queues } = driver;
  const metrics: WorkerMetrics = options.metrics
    ? registerWorkerMetrics(options.metrics, {
        queues,
        db,
        log,
        kinds: [NOTIFY_KIND, ...liveKinds, ...Object.keys(handlers)],
      })
    : noMetrics;

  const notifier = createNotifier({
    db,
    ...options.notifier,
    limits: rates.perChatMs > 0 || rates.globalPerSecond > 0 ? createNotifyLimits(driver.store, prefix, rates) : null,
    ...(options.remindersPerDay ? { cap: createReminderCap(driver.store, prefix, options.remindersPerDay, log) } : {}),
    retry: retry.notifications,
    log,
    metrics,
    ...(options.notifierOptions ? { options: options.notifierOptions } : {}),
  });

  for (const name of QUEUE_NAMES) {
    const deps = { db, log, metrics, queue: name };
    const live = options.live;
    const processor =
      name === 'notifications'
        ? notifyProcessor({ db, log, notifier })
        : name === 'live' && live
          ? liveProcessor({ ...deps, ...live })
          : timedProcessor({ ...deps, handlers });
    driver.consume(name, processor, options.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name]);
  }
  await driver.ready();

  const relay = createRelay({
    db,
    queues,
    kinds: [NOTIFY_KIND, ...liveKinds, ...Object.keys(handlers).filter((k) => k !== NOTIFY_KIND)],
    retry,
    log,
    metrics,
    ...(options.relay ? { options: options.relay } : {}),
  });
  const relayLoop = every(options.relay?.everyMs ?? 500, relay.relay, (err) =>
    log.error({ err }, 'outbox relay failed; retrying'),
  );
  // Queued jobs lost (Redis flushed or restarted empty; an in-process start): the sweep checks all of them at once
  // instead of after the grace.
  const sweep = async (): Promise<SweepResult> => {
    if (await driver.intact()) return relay.sweep();
    if (driver.name === 'bullmq') log.warn({ prefix }, driver.lossMessage);
    else log.debug({}, driver.lossMessage);
    const result = await relay.sweep({ graceMs: 0 });
    await driver.markIntact();
    return result;
  };
  const sweepLoop = every(options.relay?.sweepEveryMs ?? 30_000, sweep, (err) =>
    log.error({ err }, 'outbox sweep failed; retrying'),
  );
  // Command outcomes are kept 7 days (SPEC §5: Telegram may reuse update ids after a quiet week); button actions
  // past their deadline are marked expired, and used or expired ones go after the same 7 days.
  const housekeepingLoop = every(
    options.housekeepingEveryMs ?? 3_600_000,
    async () => {
      const cutoff = new Date(Date.now() - COMMAND_LOG_RETENTION_MS);
      const commands = await pruneCommandLog(db, cutoff);
      const actions = await sweepActions(db, cutoff);
      if (commands + actions.expired + actions.deleted > 0) log.info({ commands, actions }, 'housekeeping done');
    },
    (err) => log.error({ err }, 'housekeeping failed; retrying'),
  );
  // After a reconnect Redis may have come back empty: look for lost jobs at once.
  driver.onReconnect(() => sweepLoop.poke());

  log.info({ queues: QUEUE_NAMES, prefix, kinds: Object.keys(handlers), driver: driver.name }, 'workers started');

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    // Notices waiting for the bot's pace (behind a burst of replies) stay due for the next process: drains end now.
    notifier.stop();
    await Promise.all([relayLoop.stop(), sweepLoop.stop(), housekeepingLoop.stop()]);
    const timeoutMs = options.closeTimeoutMs ?? 20_000;
    // What is still running after the timeout runs again (another worker, or the next start); the outbox rows keep
    // it to one effect.
    if (!(await driver.close(timeoutMs)))
      log.warn({ timeoutMs }, 'workers did not finish their jobs in time; closing anyway');
    log.info({}, 'workers stopped');
  }

  return {
    queues,
    driver: driver.name,
    relayNow: async () => {
      await relayLoop.idle();
      return relay.relay();
    },
    sweepNow: async () => {
      await sweepLoop.idle();
      return sweep();
    },
    stop: () => (stopping ??= stop()),
  };
}
