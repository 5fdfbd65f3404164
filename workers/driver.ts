/**
 * How due work reaches its processor: the one seam between the outbox (the truth, in Postgres) and the
 * delivery of its jobs. BullMQ on Redis (`bullmqDriver`) whenever Redis exists, for any number of worker
 * processes; the in-process queue (`inProcessDriver`, workers/in-process.ts) when there is none, for one
 * process on embedded PGlite. The relay, the sweeper, the processors and their retry policy are the same
 * on both; startWorkers picks the driver from whether it was given Redis.
 */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Log } from '../core/log.js';
import { createLocalQueues } from './in-process.js';
import { closeQueues, createQueues, QUEUE_NAMES, type JobData, type QueueName, type Queues } from './queues.js';
import { evictionRisk } from './redis.js';
import type { OutboxJob, Processor } from './timed.js';

export interface JobDriver {
  readonly name: 'bullmq' | 'in-process';
  readonly queues: Queues;
  /** Where the notifier's rate limits and reminder cap are counted: Redis (shared), or null (this process). */
  readonly store: Redis | null;
  /** Runs every job of queue `name` through `processor`, at most `concurrency` at once. */
  consume(name: QueueName, processor: Processor, concurrency: number): void;
  /** Resolves once every queue and consumer is ready to work. */
  ready(): Promise<void>;
  /**
   * False when the jobs added before may be gone (Redis lost its data; an in-process queue starts empty, so its
   * first answer is false): the sweeper then rebuilds every queued job at once instead of after the grace.
   */
  intact(): Promise<boolean>;
  /** After such a rebuild: the queue state is whole again. */
  markIntact(): Promise<void>;
  /** Why `intact()` was false, for the log. */
  readonly lossMessage: string;
  /** Called after Redis reconnected (never in-process). */
  onReconnect(fn: () => void): void;
  /** Stops taking jobs and waits at most `timeoutMs` for those running; false when some had to be abandoned. */
  close(timeoutMs: number): Promise<boolean>;
}

export interface BullmqDriverOptions {
  connection: Redis;
  prefix: string;
  log: Log;
  lockDurationMs?: number | undefined;
  stalledIntervalMs?: number | undefined;
  /** Redis came back from a reconnect with a maxmemory-policy that may evict queued jobs. */
  onUnsafeRedis?: ((reason: string) => void) | undefined;
}

export function bullmqDriver(options: BullmqDriverOptions): JobDriver {
  const { connection, prefix, log } = options;
  const queues = createQueues(connection, prefix);
  const workers: Worker[] = [];
  const common = {
    connection,
    prefix,
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
  };
  // A key that exists while Redis keeps its data: gone (flushed, restarted empty, failed over to an empty replica)
  // means every enqueued job may be gone too.
  const marker = `${prefix}:outbox-marker`;
  const reconnected: Array<() => void> = [];
  // After a reconnect Redis may have come back empty, or be another server whose policy may evict queued jobs.
  const onReady = () => {
    for (const fn of reconnected) fn();
    evictionRisk(connection, 'REDIS_URL').then(
      (risk) => {
        if (risk === undefined) return;
        log.error({ reason: risk }, 'Redis may evict queued jobs after a reconnect: stopping');
        options.onUnsafeRedis?.(risk);
      },
      (err: unknown) => log.warn({ err }, 'could not read the Redis eviction policy after a reconnect'),
    );
  };

  return {
    name: 'bullmq',
    queues,
    store: connection,
    lossMessage: 'Redis lost its data: rebuilding every queued job from the outbox now',
    consume(name, processor, concurrency) {
      const worker = new Worker<JobData, void, string>(name, (job: OutboxJob, token) => processor(job, token), {
        ...common,
        concurrency,
      });
      worker.on('error', (err) => log.error({ err, queue: name }, 'worker error'));
      // A stalled job lost its lock (crashed or blocked worker) and runs again; the outbox row keeps it single.
      worker.on('stalled', (jobId) => log.warn({ queue: name, jobId }, 'job stalled; it will run again'));
      workers.push(worker);
    },
    async ready() {
      try {
        await Promise.all([
          ...workers.map((w) => w.waitUntilReady()),
          ...QUEUE_NAMES.map((name) => queues[name].waitUntilReady()),
        ]);
        await connection.set(marker, String(Date.now()));
        connection.on('ready', onReady);
      } catch (err) {
        await Promise.all(workers.map((w) => w.close(true))).catch(() => undefined);
        await closeQueues(queues).catch(() => undefined);
        connection.disconnect();
        throw err;
      }
    },
    intact: async () => (await connection.exists(marker)) === 1,
    markIntact: async () => void (await connection.set(marker, String(Date.now()))),
    onReconnect: (fn) => void reconnected.push(fn),
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const closed = Promise.all(workers.map((w) => w.close())).then(() => true);
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const inTime = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      // What is still running stalls and runs again elsewhere; the outbox rows keep it to one effect.
      if (!inTime) await Promise.all(workers.map((w) => w.close(true)));
      await closeQueues(queues);
      await connection.quit().catch(() => connection.disconnect());
      return inTime;
    },
  };
}

/** Jobs held in this process's memory: nothing survives it, so every start rebuilds them from the outbox. */
export function inProcessDriver(log: Log): JobDriver {
  const local = createLocalQueues(log);
  let intact = false;
  return {
    name: 'in-process',
    queues: local.queues,
    store: null,
    lossMessage: 'in-process jobs start empty: rebuilding the jobs of rows relayed before this start',
    consume: local.consume,
    ready: () => Promise.resolve(),
    intact: () => Promise.resolve(intact),
    markIntact: () => {
      intact = true;
      return Promise.resolve();
    },
    onReconnect: () => undefined,
    close: local.close,
  };
}
