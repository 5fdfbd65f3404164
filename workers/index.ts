/**
 * The workers role (`chipin start --workers`): one BullMQ Worker per queue, the outbox relay and the
 * sweeper. Postgres is the truth, Redis only delivers: every job re-reads its outbox row, so running
 * several worker processes side by side (horizontal scaling) or losing Redis costs time, never a
 * double effect.
 */
import { Worker } from 'bullmq';
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
import {
  DEFAULT_RETRY,
  NOTIFY_KIND,
  QUEUE_NAMES,
  closeQueues,
  createQueues,
  type JobData,
  type QueueName,
  type Queues,
  type RetryPolicy,
} from './queues.js';
import { evictionRisk, type RedisRole } from './redis.js';
import { createRelay, every, type RelayOptions, type SweepResult } from './relay.js';
import { timedProcessor, type OutboxJob, type TimedHandlers } from './timed.js';

export { RateLimited, Blocked } from './notify/ports.js';
export { MessageGone, type Editor, type Editors, type LiveRenderer } from './live/ports.js';
export type { LivePorts } from './live/processor.js';
export type { Directory, Recipient, Renderer, Sender, Senders, QuietHours } from './notify/ports.js';
export { createDirectory } from './notify/directory.js';
export type { NotifierOptions } from './notify/notifier.js';
export type { TimedHandlers } from './timed.js';
export { registerWorkerMetrics, type WorkerMetrics } from './metrics.js';
export { adminQueuesRoute, ADMIN_QUEUES_PATH } from './admin.js';
export { QUEUE_NAMES, closeQueues, createQueues, jobIdFor, queueFor, type QueueName, type Queues } from './queues.js';

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
  /** workers/redis.ts RedisHandle (or anything making ioredis connections). */
  redis: { createConnection(role: RedisRole): Redis };
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

  // One connection for every queue, worker and the pacer; each Worker adds its own blocking duplicate.
  const connection = options.redis.createConnection('worker');
  const queues = createQueues(connection, prefix);
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
    limits: rates.perChatMs > 0 || rates.globalPerSecond > 0 ? createNotifyLimits(connection, prefix, rates) : null,
    ...(options.remindersPerDay ? { cap: createReminderCap(connection, prefix, options.remindersPerDay, log) } : {}),
    retry: retry.notifications,
    log,
    metrics,
    ...(options.notifierOptions ? { options: options.notifierOptions } : {}),
  });

  const common = {
    connection,
    prefix,
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
  };
  const workers = QUEUE_NAMES.map((name) => {
    const deps = { db, log, metrics, queue: name };
    const live = options.live;
    const processor =
      name === 'notifications'
        ? notifyProcessor({ db, log, notifier })
        : name === 'live' && live
          ? liveProcessor({ ...deps, ...live })
          : timedProcessor({ ...deps, handlers });
    const worker = new Worker<JobData, void, string>(name, (job: OutboxJob, token) => processor(job, token), {
      ...common,
      concurrency: options.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name],
    });
    worker.on('error', (err) => log.error({ err, queue: name }, 'worker error'));
    // A stalled job lost its lock (crashed or blocked worker) and runs again; the outbox row keeps it single.
    worker.on('stalled', (jobId) => log.warn({ queue: name, jobId }, 'job stalled; it will run again'));
    return worker;
  });

  try {
    await Promise.all([
      ...workers.map((w) => w.waitUntilReady()),
      ...QUEUE_NAMES.map((name) => queues[name].waitUntilReady()),
    ]);
  } catch (err) {
    await Promise.all(workers.map((w) => w.close(true))).catch(() => undefined);
    await closeQueues(queues).catch(() => undefined);
    connection.disconnect();
    throw err;
  }

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
  // A key that exists while Redis keeps its data: gone (flushed, restarted empty, failed over to an empty replica)
  // means every enqueued job may be gone too, so the sweep checks all of them at once instead of after the grace.
  const marker = `${prefix}:outbox-marker`;
  await connection.set(marker, String(Date.now()));
  const sweep = async (): Promise<SweepResult> => {
    if ((await connection.exists(marker)) === 1) return relay.sweep();
    log.warn({ marker }, 'Redis lost its data: rebuilding every queued job from the outbox now');
    const result = await relay.sweep({ graceMs: 0 });
    await connection.set(marker, String(Date.now()));
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
  // After a reconnect Redis may have come back empty (look for lost jobs at once), or be another server whose
  // policy may evict queued jobs.
  connection.on('ready', () => {
    sweepLoop.poke();
    evictionRisk(connection, 'REDIS_URL').then(
      (risk) => {
        if (risk === undefined) return;
        log.error({ reason: risk }, 'Redis may evict queued jobs after a reconnect: stopping');
        options.onUnsafeRedis?.(risk);
      },
      (err: unknown) => log.warn({ err }, 'could not read the Redis eviction policy after a reconnect'),
    );
  });

  log.info({ queues: QUEUE_NAMES, prefix, kinds: Object.keys(handlers) }, 'workers started');

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    // Notices waiting for the bot's pace (behind a burst of replies) stay due for the next process: drains end now.
    notifier.stop();
    await Promise.all([relayLoop.stop(), sweepLoop.stop(), housekeepingLoop.stop()]);
    const timeoutMs = options.closeTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const closed = Promise.all(workers.map((w) => w.close())).then(() => true);
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const inTime = await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    if (!inTime) {
      // What is still running stalls and runs again elsewhere; the outbox rows keep it to one effect.
      log.warn({ timeoutMs }, 'workers did not finish their jobs in time; closing anyway');
      await Promise.all(workers.map((w) => w.close(true)));
    }
    await closeQueues(queues);
    await connection.quit().catch(() => connection.disconnect());
    log.info({}, 'workers stopped');
  }

  return {
    queues,
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
