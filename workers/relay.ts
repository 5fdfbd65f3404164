/**
 * The outbox relay and sweeper. The relay moves pending rows due within
 * the lookahead into BullMQ as delayed jobs (delay by the database clock): one job per row, except
 * `notify` rows, which get one notifications tick per due second (queues.ts `tickJob`). The sweeper is
 * the safety net for a Redis that lost its data (flushed, restarted without persistence, failed over
 * to an empty replica): it looks for the job of every pending row enqueued more than a grace period
 * ago and adds it again when it is gone. Both are idempotent: job ids are the rows' business keys (a
 * tick's, its second).
 */
import type { Db } from '../core/db/executor.js';
import type { Log } from '../core/log.js';
import { sweepCandidates, takeForRelay, touchEnqueued, type RelayedRow } from '../core/outbox/index.js';
import type { WorkerMetrics } from './metrics.js';
import {
  NOTIFY_KIND,
  TICK_LEAD_MS,
  jobIdFor,
  jobOptions,
  queueFor,
  tickJob,
  type QueueName,
  type Queues,
  type RetryPolicy,
} from './queues.js';

export interface RelayOptions {
  /** Rows due within this window are handed to BullMQ as delayed jobs. */
  lookaheadMs: number;
  /** Rows per statement and per addBulk. */
  batch: number;
  /** A row enqueued longer ago than this and still pending has its job checked by the sweeper. */
  graceMs: number;
}

export const DEFAULT_RELAY: RelayOptions = { lookaheadMs: 60_000, batch: 1_000, graceMs: 60_000 };

export interface RelayDeps {
  db: Db;
  queues: Queues;
  /** Kinds this process can run; rows of other kinds wait for a process that can (rolling deploys). */
  kinds: readonly string[];
  retry: Readonly<Record<QueueName, RetryPolicy>>;
  log: Log;
  metrics?: WorkerMetrics;
  options?: Partial<RelayOptions>;
}

export interface SweepResult {
  checked: number;
  /** Jobs that were missing from Redis and were added again. */
  rebuilt: number;
}

export interface Relay {
  /** Enqueues every pending row due within the lookahead; returns how many. */
  relay: () => Promise<number>;
  /**
   * Re-adds the jobs of pending rows that vanished from Redis: of rows enqueued more than the grace ago, or of every
   * enqueued row (`graceMs: 0`) when Redis is known to have lost its data.
   */
  sweep: (options?: { graceMs?: number }) => Promise<SweepResult>;
}

function byQueue(rows: readonly RelayedRow[]): Map<QueueName, RelayedRow[]> {
  const groups = new Map<QueueName, RelayedRow[]>();
  for (const row of rows) {
    const name = queueFor(row.kind);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}

/** The tick of a notify row: the one for its due second, armed for its own due time. */
const tickOf = (row: RelayedRow, run: string, retry: RetryPolicy) =>
  tickJob(Math.ceil(row.dueMs / 1_000) * 1_000, row.delayMs, run, retry);

/**
 * The ticks that deliver `rows` (notify rows): one per due second, armed for the earliest row of the
 * second; a row due later in its second is waited for by the tick (core/outbox notifyWaitMs).
 */
function ticksFor(rows: readonly RelayedRow[], run: string, retry: RetryPolicy): Array<ReturnType<typeof tickJob>> {
  const byId = new Map<string, ReturnType<typeof tickJob>>();
  for (const row of rows) {
    const tick = tickOf(row, run, retry);
    const seen = byId.get(tick.id);
    if (!seen || (seen.opts.delay ?? 0) > (tick.opts.delay ?? 0)) byId.set(tick.id, tick);
  }
  return [...byId.values()];
}

export function createRelay(deps: RelayDeps): Relay {
  const options = { ...DEFAULT_RELAY, ...deps.options };
  const { db, queues, log } = deps;
  let runs = 0;
  /** Tells apart the ticks of two relay runs (and processes) armed for the same second. */
  const nextRun = () => `${process.pid}-${(runs++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

  async function add(rows: readonly RelayedRow[]): Promise<void> {
    const notify = rows.filter((row) => row.kind === NOTIFY_KIND);
    await Promise.all([
      ...[...byQueue(rows.filter((row) => row.kind !== NOTIFY_KIND))].map(([name, group]) =>
        queues[name].addBulk(
          group.map((row) => ({
            name: row.kind,
            data: { outboxId: row.id, key: row.key },
            opts: jobOptions(row.key, row.delayMs, deps.retry[name]),
          })),
        ),
      ),
      notify.length > 0
        ? queues.notifications.addBulk(
            ticksFor(notify, nextRun(), deps.retry.notifications).map(({ name, data, opts }) => ({ name, data, opts })),
          )
        : null,
    ]);
  }

  /**
   * Whether any notifications tick is running, waiting or delayed. Every tick drains every due row, so due
   * `notify` rows still pending while one lives are a backlog (the bot's rate), not a loss.
   */
  async function tickAlive(): Promise<boolean> {
    const counts = await queues.notifications.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
    return Object.values(counts).some((n) => n > 0);
  }

  /** The candidates among `rows` whose job (for a notify row, its tick) is gone from Redis. */
  async function lost(rows: readonly RelayedRow[]): Promise<RelayedRow[]> {
    // A tick armed less than its lead ahead has an id of its own: there is none to look for. Such a row (due,
    // or nearly) is lost only when no tick at all is left to drain it.
    const dueAndOrphaned =
      rows.some((row) => row.kind === NOTIFY_KIND && row.delayMs < TICK_LEAD_MS) && !(await tickAlive());
    const jobIdOf = (row: RelayedRow): string | undefined =>
      row.kind !== NOTIFY_KIND
        ? jobIdFor(row.key)
        : row.delayMs >= TICK_LEAD_MS
          ? tickOf(row, '', deps.retry.notifications).id
          : undefined;
    const gone = new Set<string>();
    for (const [name, group] of byQueue(rows)) {
      const ids = [...new Set(group.map(jobIdOf).filter((id) => id !== undefined))];
      await Promise.all(
        ids.map(async (id) => {
          const job = await queues[name].getJob(id);
          if (!job) {
            gone.add(id);
          } else if (job.finishedOn) {
            // A finished job whose row is pending again (an operator revived a dead letter): replace it.
            await job.remove();
            gone.add(id);
          }
        }),
      );
    }
    return rows.filter((row) => {
      const id = jobIdOf(row);
      return id === undefined ? dueAndOrphaned : gone.has(id);
    });
  }

  return {
    relay: async () => {
      if (deps.kinds.length === 0) return 0;
      let total = 0;
      for (;;) {
        const rows = await takeForRelay(db, {
          kinds: deps.kinds,
          lookaheadMs: options.lookaheadMs,
          limit: options.batch,
        });
        if (rows.length === 0) break;
        // A crash here leaves the rows marked without jobs: the sweeper re-adds them after graceMs.
        await add(rows);
        total += rows.length;
        deps.metrics?.relayed(rows.length);
        if (rows.length < options.batch) break;
      }
      if (total > 0) log.debug({ jobs: total }, 'outbox rows relayed');
      return total;
    },

    sweep: async (sweepOptions = {}) => {
      if (deps.kinds.length === 0) return { checked: 0, rebuilt: 0 };
      let checked = 0;
      let rebuilt = 0;
      let after: string | undefined;
      for (;;) {
        const rows = await sweepCandidates(db, {
          kinds: deps.kinds,
          lookaheadMs: options.lookaheadMs,
          graceMs: sweepOptions.graceMs ?? options.graceMs,
          limit: options.batch,
          ...(after === undefined ? {} : { after }),
        });
        if (rows.length === 0) break;
        after = rows.at(-1)?.id;
        const missing = await lost(rows);
        await add(missing);
        await touchEnqueued(
          db,
          rows.map((r) => r.id),
        );
        checked += rows.length;
        rebuilt += missing.length;
        if (rows.length < options.batch) break;
      }
      if (rebuilt > 0) {
        deps.metrics?.rebuilt(rebuilt);
        // The queue state was reset (Redis flushed or restarted empty); Postgres had every row.
        log.warn({ rebuilt, checked }, 'queue state reset: jobs rebuilt from the outbox');
      }
      return { checked, rebuilt };
    },
  };
}

/** Runs `fn` every `everyMs` (never two at once) until stopped; errors are logged and the next run tries again. */
export function every(
  everyMs: number,
  fn: () => Promise<unknown>,
  onError: (err: unknown) => void,
): { stop(): Promise<void>; poke(): void; idle(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let again = false;
  const run = (): void => {
    timer = undefined;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = fn()
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(run);
        } else {
          timer = setTimeout(run, everyMs);
        }
      });
  };
  setImmediate(run);
  return {
    /** Resolves once the run in flight (if any) has finished. */
    idle: async () => {
      while (running) await running;
    },
    poke() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
