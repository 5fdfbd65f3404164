/**
 * What the workers put on /metrics: queue depth per queue and state, lateness (due → done), failures,
 * dead letters, jobs rebuilt by the sweeper (a "queue state reset" alert keys on it), the outbox's
 * completeness (pending rows overdue, dead letters) and clock skew against the database.
 * Gauges are read when Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../core/db/executor.js';
import type { Log } from '../core/log.js';
import { outboxHealth, type OutboxHealth } from '../core/outbox/index.js';
import { QUEUE_NAMES, queueFor, type QueueName, type Queues } from './queues.js';

/** Recorders the relay and the processors call. */
export interface WorkerMetrics {
  relayed(count: number): void;
  rebuilt(count: number): void;
  /** A row done (handled, sent, or deliberately dropped), `lateSeconds` after its due time. */
  finished(queue: QueueName, kind: string, lateSeconds: number): void;
  /** One failed attempt (it may be retried). */
  failed(queue: QueueName, kind: string): void;
  /** A row became a dead letter. */
  dead(queue: QueueName, kind: string): void;
  /** Messages handed to a platform (a digest counts once). */
  sent(platform: string, count: number): void;
  /** A platform answered "too many requests". */
  rateLimited(platform: string): void;
  /** Notifications done without a message on purpose (`reminder_cap`: over the person's daily reminders). */
  skipped(reason: string, count: number): void;
}

export interface WorkerMetricsSources {
  queues: Queues;
  db: Db;
  /** A pending row due longer ago than this counts as overdue (INV-7 SLA). */
  overdueMs?: number;
  /**
   * The outbox kinds this process runs: their failure and dead-letter counters, and the lateness of
   * their queues, are exported at zero from the start (an alert on a rate needs the series to exist).
   */
  kinds?: readonly string[];
  log?: Log;
}

const JOB_STATES = ['waiting', 'delayed', 'active', 'prioritized', 'failed'] as const;

/** Memoizes an async read for `ttlMs`, so several gauges of one scrape share one query. */
function cached<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > ttlMs) value = { at: Date.now(), promise: read() };
    return value.promise;
  };
}

/** Registers the worker metrics on `registry` (once per registry) and returns their recorders. */
export function registerWorkerMetrics(registry: Registry, sources: WorkerMetricsSources): WorkerMetrics {
  const registers = [registry];
  const overdueMs = sources.overdueMs ?? 5 * 60_000;
  const warn = (err: unknown, what: string) => sources.log?.warn({ err }, `metrics: could not read ${what}`);

  const counts = cached(1_000, () =>
    Promise.all(
      QUEUE_NAMES.map(async (name) => [name, await sources.queues[name].getJobCounts(...JOB_STATES)] as const),
    ),
  );
  new Gauge({
    name: 'chipin_queue_jobs',
    help: 'Jobs per queue and state (BullMQ, or the in-process queues without Redis).',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      try {
        for (const [queue, byState] of await counts()) {
          for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
        }
      } catch (err) {
        warn(err, 'queue depth');
      }
    },
  });

  const health = cached(1_000, (): Promise<OutboxHealth> => outboxHealth(sources.db, overdueMs));
  new Gauge({
    name: 'chipin_outbox_rows',
    help: `Outbox rows: pending, overdue (pending and due more than ${overdueMs / 1000} s ago), dead (dead letters).`,
    labelNames: ['state'],
    registers,
    async collect() {
      try {
        const h = await health();
        this.set({ state: 'pending' }, h.pending);
        this.set({ state: 'overdue' }, h.overdue);
        this.set({ state: 'dead' }, h.dead);
      } catch (err) {
        warn(err, 'outbox health');
      }
    },
  });
  new Gauge({
    name: 'chipin_outbox_oldest_overdue_seconds',
    help: 'How long the oldest overdue pending outbox row has been due (0 when none).',
    registers,
    async collect() {
      try {
        this.set((await health()).oldestOverdueSeconds);
      } catch (err) {
        warn(err, 'outbox health');
      }
    },
  });

  new Gauge({
    name: 'chipin_clock_skew_seconds',
    help: 'This process clock minus the database clock (B7, F14): jobs are timed by the database; alert above 1 s.',
    registers,
    async collect() {
      try {
        const before = Date.now();
        const r = await sources.db.query(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now`);
        const after = Date.now();
        this.set(((before + after) / 2 - Number(r.rows[0]?.now)) / 1000);
      } catch (err) {
        warn(err, 'the database clock');
      }
    },
  });

  const lateness = new Histogram({
    name: 'chipin_job_lateness_seconds',
    help: 'From an outbox row due time to its job done (handled, or handed to the platform).',
    labelNames: ['queue'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  });
  const failures = new Counter({
    name: 'chipin_job_failures_total',
    help: 'Failed job attempts (retried or not).',
    labelNames: ['queue', 'kind'],
    registers,
  });
  const dead = new Counter({
    name: 'chipin_dead_letters_total',
    help: 'Outbox rows that became dead letters (retries exhausted or rejected).',
    labelNames: ['queue', 'kind'],
    registers,
  });
  const relayed = new Counter({
    name: 'chipin_outbox_relayed_total',
    help: 'Outbox rows handed to BullMQ by the relay.',
    registers,
  });
  const rebuilt = new Counter({
    name: 'chipin_outbox_rebuilt_total',
    help: 'Jobs missing from Redis that the sweeper added again (non-zero: the queue state was reset).',
    registers,
  });
  const sent = new Counter({
    name: 'chipin_notifications_sent_total',
    help: 'Messages handed to a platform by the notifications worker (a digest counts once).',
    labelNames: ['platform'],
    registers,
  });
  const limited = new Counter({
    name: 'chipin_notifications_rate_limited_total',
    help: 'Sends a platform refused with "too many requests" (retried after retry_after).',
    labelNames: ['platform'],
    registers,
  });
  const skipped = new Counter({
    name: 'chipin_notifications_skipped_total',
    help: 'Notifications done without a message on purpose, by reason (reminder_cap: over the daily reminders).',
    labelNames: ['reason'],
    registers,
  });
  skipped.inc({ reason: 'reminder_cap' }, 0);

  for (const queue of QUEUE_NAMES) lateness.zero({ queue });
  for (const kind of sources.kinds ?? []) {
    failures.inc({ queue: queueFor(kind), kind }, 0);
    dead.inc({ queue: queueFor(kind), kind }, 0);
  }

  return {
    relayed: (count) => relayed.inc(count),
    rebuilt: (count) => rebuilt.inc(count),
    finished: (queue, _kind, lateSeconds) => lateness.observe({ queue }, Math.max(0, lateSeconds)),
    failed: (queue, kind) => failures.inc({ queue, kind }),
    dead: (queue, kind) => dead.inc({ queue, kind }),
    sent: (platform, count) => sent.inc({ platform }, count),
    rateLimited: (platform) => limited.inc({ platform }),
    skipped: (reason, count) => skipped.inc({ reason }, count),
  };
}

/** Recorders that record nothing (no registry given). */
export const noMetrics: WorkerMetrics = {
  relayed: () => {},
  rebuilt: () => {},
  finished: () => {},
  failed: () => {},
  dead: () => {},
  sent: () => {},
  rateLimited: () => {},
  skipped: () => {},
};
