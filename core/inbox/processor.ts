/**
 * The in-process queue that works off inbox rows of one platform. A receiver (webhook route, poller) stores a row
 * and calls `enqueue(key)`; a periodic sweep enqueues whatever is still `received` after a grace period (rows
 * stored by another process, by a process that crashed, or waiting for a retry). Every run starts with an atomic
 * claim with a lease, so a row is processed by one processor at a time; a processor that dies mid-row leaves a
 * lease that expires, and the row is then processed again (at-least-once: the platform handler is idempotent on
 * the row's key).
 */
import { isDatabaseUnavailable, type Db } from '../db/executor.js';
import { retrying } from '../db/retry.js';
import type { JsonValue } from '../db/wire.js';
import type { Log } from '../log.js';
import { createBatcher } from '../db/batch.js';
import { claimAll, markDoneAll, markFailed, pending, prune, release, renewAll, type InboxRow } from './store.js';

export interface InboxProcessorDeps {
  db: Db;
  log: Log;
  platform: string;
  /**
   * Processes one claimed row. Resolving marks it done (with an optional note kept in last_error, e.g. a delivery
   * problem); throwing releases it for a retry after a delay, and dead-letters it once attempts run out.
   */
  process(row: InboxRow, control: ProcessControl): Promise<{ note?: string } | void>;
  /**
   * Rows of one partition (e.g. one chat) run one at a time, in the order they were enqueued, so a chat sees its
   * answers in order; rows without one run freely. Used for rows the sweep finds; `enqueue` takes it directly.
   */
  partitionOf?: (payload: JsonValue) => string | undefined;
  /** The text stored in last_error for a thrown error; must carry no secrets and no user content. */
  describeError?: (err: unknown) => string;
  /** Rows processed at once (each mostly waits on the database or the outbound rate limits). Default 32. */
  concurrency?: number;
  /**
   * A claim holds the row this long, renewed every third of it while the row runs: a row whose process died is
   * picked up by another within about this long. Default 60 s.
   */
  leaseMs?: number;
  /** Default 5 s. */
  sweepEveryMs?: number;
  /** The sweep leaves rows younger than this to the process that stored them. Default 3 s. */
  graceMs?: number;
  /**
   * Claims before a row is dead-lettered (a claim whose process died counts too; one that failed because the
   * database was unreachable does not). Default 5.
   */
  maxAttempts?: number;
  /** Delay before retry number `attempt + 1`. Default 2^attempt seconds, at most 5 min. */
  retryDelayMs?: (attempt: number) => number;
  /** Delay before a row whose run failed because the database was unreachable is tried again. Default 5 s. */
  outageRetryMs?: number;
  /** Processed rows are pruned after this long (SPEC §5: 7 days); 0 disables pruning. Default 7 days. */
  retainMs?: number;
  /** Default 1 h. */
  pruneEveryMs?: number;
  /**
   * Rows at most that released their partition and still run (they leave the `concurrency` count): rows whose outcome
   * is committed and whose replies wait for the platform's pace. Default 20,000 (a burst's worth; each holds only its
   * replies in memory, and their leases are renewed together in one statement).
   */
  maxReleased?: number;
}

/** What a row being processed may tell its processor. */
export interface ProcessControl {
  /**
   * The rest of this row's work (delivering its replies, which can wait a minute for a Telegram group's budget)
   * need not hold up the next row of its partition, nor a processing slot: the next row may start now. The row
   * keeps its claim and is marked done only when `process` resolves. Ignored once `maxReleased` rows are out.
   */
  releasePartition(): void;
}

export interface InboxProcessor {
  /** Asks for `key` to be processed soon (no-op when stopped or already queued). */
  enqueue(key: string, partition?: string): void;
  /** Sweeps now and then every `sweepEveryMs`; prunes now and then every `pruneEveryMs`. */
  start(): void;
  /** Enqueues the rows the sweep would find; resolves with how many. */
  sweep(): Promise<number>;
  /** Resolves once nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Stops intake and timers, then waits (at most `timeoutMs`) for running rows. Unfinished rows stay `received`. */
  stop(timeoutMs?: number): Promise<void>;
}

const DAY_MS = 86_400_000;

const defaultDescribe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}`.split('\n')[0]! : 'non-error thrown';

const defaultRetryDelay = (attempt: number): number => Math.min(2 ** attempt * 1_000, 300_000);

export function createInboxProcessor(deps: InboxProcessorDeps): InboxProcessor {
  const { db, log, platform } = deps;
  const concurrency = deps.concurrency ?? 32;
  const leaseMs = deps.leaseMs ?? 60_000;
  const sweepEveryMs = deps.sweepEveryMs ?? 5_000;
  const graceMs = deps.graceMs ?? 3_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  const retryDelayMs = deps.retryDelayMs ?? defaultRetryDelay;
  const outageRetryMs = deps.outageRetryMs ?? 5_000;
  const retainMs = deps.retainMs ?? 7 * DAY_MS;
  const pruneEveryMs = deps.pruneEveryMs ?? 3_600_000;
  const describe = deps.describeError ?? defaultDescribe;
  const maxReleased = deps.maxReleased ?? 20_000;

  // Under load many rows start and finish at once: their claims and done marks share statements (group commit).
  const claims = createBatcher((keys: string[]) => claimAll(db, keys, leaseMs));
  // A done mark waits 10 ms for others: nothing waits on it, and the rows finish one by one as their replies go out.
  const dones = createBatcher((rows: Array<{ key: string; note: string | undefined }>) => markDoneAll(db, rows), {
    lingerMs: 10,
  });

  const queue: Array<{ key: string; partition: string | undefined }> = [];
  const queued = new Set<string>();
  const running = new Set<Promise<void>>();
  const busyPartitions = new Set<string>();
  /** Claimed rows still running: their leases are renewed together, every third of a lease. */
  const held = new Set<string>();
  let renewTimer: NodeJS.Timeout | undefined;
  /** Running rows that released their partition (and their processing slot). */
  let released = 0;
  let idleWaiters: Array<() => void> = [];
  // Nothing runs before start(): an http-only process stores updates and leaves them to a bots process.
  let stopped = true;
  let sweepTimer: NodeJS.Timeout | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;

  const settleIdle = () => {
    if (queue.length > 0 || running.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  async function run(key: string, control: ProcessControl): Promise<void> {
    let row: InboxRow | undefined;
    try {
      row = await claims.push(key);
    } catch (err) {
      // The sweep finds the row again once the database answers.
      log.warn({ err, key, platform }, 'inbox: claim failed');
      return;
    }
    if (!row) return; // done, failed, held by another processor or waiting for its retry
    if (row.attempts > maxAttempts) {
      // Claimed that often without an outcome: the process died on it each time.
      await finish(key, () => markFailed(db, key, `gave up after ${row.attempts - 1} attempts without an outcome`));
      log.error(
        { key, platform, attempts: row.attempts },
        'inbox: row dead-lettered (no outcome after repeated claims)',
      );
      return;
    }
    // A long run (replies waiting for Telegram's pace) keeps its claim; a dead process stops renewing it.
    held.add(key);
    try {
      const outcome = await deps.process(row, control);
      held.delete(key);
      await finish(key, () => dones.push({ key, note: outcome?.note }));
    } catch (err) {
      held.delete(key);
      const error = describe(err);
      if (stopped) {
        // Interrupted by a graceful stop (its replies withdrawn from the closed outbound): no fault of the row. It
        // keeps its attempts; the next start replays its recorded outcome and sends them.
        log.info({ key, platform }, 'inbox: row interrupted by the stop; it runs again at the next start');
        await finish(key, () => release(db, key, error, 0, { uncounted: true }));
      } else if (isDatabaseUnavailable(err)) {
        // An outage is no fault of the row: it keeps its attempts and is tried again however long the outage lasts.
        log.warn({ err, key, platform, retryInMs: outageRetryMs }, 'inbox: database unreachable; will retry');
        await finish(key, () => release(db, key, error, outageRetryMs, { uncounted: true }));
      } else if (row.attempts >= maxAttempts) {
        log.error({ err, key, platform, attempts: row.attempts }, 'inbox: row dead-lettered after its last attempt');
        await finish(key, () => markFailed(db, key, error));
      } else {
        const retryInMs = retryDelayMs(row.attempts);
        log.warn({ err, key, platform, attempts: row.attempts, retryInMs }, 'inbox: processing failed; will retry');
        await finish(key, () => release(db, key, error, retryInMs));
      }
    }
  }

  async function finish(key: string, mark: () => Promise<boolean>): Promise<void> {
    try {
      // While the database is unreachable the mark waits for it, up to the lease: a mark lost to an outage would
      // count another claim.
      await retrying(mark, { retryOn: () => false, outageMs: leaseMs / 2 });
    } catch (err) {
      // The lease runs out and the row is processed again: at-least-once, never lost.
      log.error({ err, key, platform }, 'inbox: could not record the outcome');
    }
  }

  function pump(): void {
    for (let i = 0; !stopped && running.size - released < concurrency && i < queue.length;) {
      const { key, partition } = queue[i]!;
      if (partition !== undefined && busyPartitions.has(partition)) {
        i++; // waits for the row of its partition that runs now
        continue;
      }
      queue.splice(i, 1);
      queued.delete(key);
      if (partition !== undefined) busyPartitions.add(partition);
      let holding = true;
      let releasedEarly = false;
      const free = () => {
        if (!holding) return;
        holding = false;
        if (partition !== undefined) busyPartitions.delete(partition);
      };
      const control: ProcessControl = {
        releasePartition() {
          if (!holding || released >= maxReleased) return;
          free();
          releasedEarly = true;
          released += 1;
          pump();
        },
      };
      const job: Promise<void> = run(key, control).finally(() => {
        running.delete(job);
        free();
        if (releasedEarly) released -= 1;
        pump();
        settleIdle();
      });
      running.add(job);
    }
    settleIdle();
  }

  function enqueue(key: string, partition?: string): void {
    if (stopped || queued.has(key)) return;
    queued.add(key);
    queue.push({ key, partition });
    pump();
  }

  async function sweep(): Promise<number> {
    const rows = await pending(db, { olderThanMs: graceMs, platform, limit: Math.max(concurrency * 4, 100) });
    for (const row of rows) enqueue(row.key, deps.partitionOf?.(row.payload));
    return rows.length;
  }

  function scheduleSweep(delayMs: number): void {
    if (stopped) return;
    sweepTimer = setTimeout(() => {
      sweep()
        .then((found) => {
          if (found > 0) log.info({ platform, found }, 'inbox: sweep picked up unprocessed rows');
        })
        .catch((err: unknown) => log.warn({ err, platform }, 'inbox: sweep failed'))
        .finally(() => scheduleSweep(sweepEveryMs));
    }, delayMs);
    sweepTimer.unref();
  }

  /** One statement renews every held lease; a renewal that fails is tried again at the next tick, within the lease. */
  function scheduleRenewal(): void {
    if (stopped) return;
    renewTimer = setTimeout(() => {
      const keys = [...held];
      const renewing = keys.length === 0 ? Promise.resolve(0) : renewAll(db, keys, leaseMs);
      renewing
        .catch((err: unknown) => log.warn({ err, platform, rows: keys.length }, 'inbox: lease renewal failed'))
        .finally(scheduleRenewal);
    }, leaseMs / 3);
    renewTimer.unref();
  }

  function schedulePrune(delayMs: number): void {
    if (stopped || retainMs <= 0) return;
    pruneTimer = setTimeout(() => {
      prune(db, retainMs)
        .then((deleted) => {
          if (deleted > 0) log.info({ platform, deleted }, 'inbox: pruned processed rows');
        })
        .catch((err: unknown) => log.warn({ err, platform }, 'inbox: prune failed'))
        .finally(() => schedulePrune(pruneEveryMs));
    }, delayMs);
    pruneTimer.unref();
  }

  return {
    enqueue,
    sweep,
    start() {
      stopped = false;
      scheduleSweep(0);
      scheduleRenewal();
      schedulePrune(0);
    },
    idle() {
      if (queue.length === 0 && running.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop(timeoutMs = 10_000) {
      stopped = true;
      clearTimeout(sweepTimer);
      clearTimeout(pruneTimer);
      clearTimeout(renewTimer);
      queue.length = 0;
      queued.clear();
      if (running.size === 0) return settleIdle();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([Promise.allSettled([...running]).then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn({ platform, running: running.size }, 'inbox: stopped with rows still running; they will be retried');
      }
    },
  };
}
