/**
 * The in-process queues: what BullMQ does for chipin, in this process's memory, for a laptop without Redis
 * (one process on embedded PGlite; workers/driver.ts). The relay adds the same jobs (same ids, delays,
 * attempts and exponential backoff, queues.ts `jobOptions`) and the same processors run them with the same
 * concurrency; a job id already queued is a no-op, a completed job is removed, a job that failed for good
 * is kept (bounded) for the sweeper and the metrics, `moveToDelayed` + DelayedError puts a job back to
 * sleep without using an attempt. Nothing here survives the process: the outbox rows do, and the sweeper
 * rebuilds their jobs at the next start.
 */
import { DelayedError, UnrecoverableError, type JobsOptions, type JobType } from 'bullmq';
import type { Log } from '../core/log.js';
import { QUEUE_NAMES, type JobData, type JobQueue, type QueuedJob, type QueueName, type Queues } from './queues.js';
import type { OutboxJob, Processor } from './timed.js';

type State = 'delayed' | 'waiting' | 'active' | 'failed';

interface LocalJob {
  readonly id: string;
  readonly name: string;
  readonly data: JobData;
  readonly attempts: number;
  readonly backoffMs: number;
  attemptsMade: number;
  state: State;
  timer?: NodeJS.Timeout | undefined;
  finishedOn?: number | undefined;
}

/** Failed jobs kept per queue, as queues.ts keeps them in Redis (`removeOnFail.count`). */
const KEEP_FAILED = 10_000;

let ids = 0;

function backoffOf(opts: JobsOptions | undefined): number {
  const backoff = opts?.backoff;
  if (typeof backoff === 'number') return backoff;
  return backoff?.delay ?? 0;
}

class LocalQueue implements JobQueue {
  private readonly jobs = new Map<string, LocalJob>();
  private readonly waiting: LocalJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private processor: Processor | undefined;
  private concurrency = 1;
  private active = 0;
  private closed = false;

  constructor(
    private readonly queue: QueueName,
    private readonly log: Log,
  ) {}

  add(name: string, data: JobData, opts?: JobsOptions): Promise<QueuedJob> {
    const id = opts?.jobId ?? `local-${(ids++).toString(36)}`;
    const existing = this.jobs.get(id);
    if (existing) return Promise.resolve(this.view(existing));
    const job: LocalJob = {
      id,
      name,
      data,
      attempts: opts?.attempts ?? 1,
      backoffMs: backoffOf(opts),
      attemptsMade: 0,
      state: 'delayed',
    };
    this.jobs.set(id, job);
    this.schedule(job, Date.now() + (opts?.delay ?? 0));
    return Promise.resolve(this.view(job));
  }

  async addBulk(jobs: ReadonlyArray<{ name: string; data: JobData; opts?: JobsOptions }>): Promise<QueuedJob[]> {
    return Promise.all(jobs.map((j) => this.add(j.name, j.data, j.opts)));
  }

  getJob(id: string): Promise<QueuedJob | undefined> {
    const job = this.jobs.get(id);
    return Promise.resolve(job ? this.view(job) : undefined);
  }

  getJobCounts(...states: JobType[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = Object.fromEntries(states.map((s) => [s, 0]));
    for (const job of this.jobs.values()) if (job.state in counts) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return Promise.resolve(counts);
  }

  async getJobCountByTypes(...states: JobType[]): Promise<number> {
    return Object.values(await this.getJobCounts(...states)).reduce((a, b) => a + b, 0);
  }

  consume(processor: Processor, concurrency: number): void {
    this.processor = processor;
    this.concurrency = Math.max(1, concurrency);
    this.pump();
  }

  /** Takes no more jobs; resolves true once those running ended, false after `timeoutMs` (they are abandoned). */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.waiting.length = 0;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const inTime = await Promise.race([Promise.all(this.running).then(() => true), timedOut]);
    clearTimeout(timer);
    this.jobs.clear();
    return inTime;
  }

  private view(job: LocalJob): QueuedJob {
    return {
      id: job.id,
      get finishedOn() {
        return job.finishedOn;
      },
      isDelayed: () => Promise.resolve(job.state === 'delayed'),
      remove: () => {
        // As BullMQ: a running job cannot be removed (it would throw); here it simply stays.
        if (job.state !== 'active' && this.jobs.get(job.id) === job) {
          clearTimeout(job.timer);
          this.jobs.delete(job.id);
        }
        return Promise.resolve();
      },
    };
  }

  private schedule(job: LocalJob, at: number): void {
    if (this.closed) return;
    job.state = 'delayed';
    const delayMs = at - Date.now();
    if (delayMs <= 0) {
      this.enqueue(job);
      return;
    }
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.enqueue(job);
    }, delayMs);
  }

  private enqueue(job: LocalJob): void {
    if (this.closed || this.jobs.get(job.id) !== job) return;
    job.state = 'waiting';
    this.waiting.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.processor && this.active < this.concurrency) {
      const job = this.waiting.shift();
      if (!job) return;
      if (job.state === 'waiting' && this.jobs.get(job.id) === job) this.run(job, this.processor);
    }
  }

  private run(job: LocalJob, processor: Processor): void {
    job.state = 'active';
    this.active++;
    let delayedTo: number | undefined;
    const handle: OutboxJob = {
      id: job.id,
      name: job.name,
      data: job.data,
      attemptsMade: job.attemptsMade,
      opts: { attempts: job.attempts },
      moveToDelayed: (timestamp) => {
        delayedTo = timestamp;
        return Promise.resolve();
      },
    };
    const done = Promise.resolve()
      .then(() => processor(handle))
      .then(
        () => {
          this.jobs.delete(job.id); // removeOnComplete
        },
        (err: unknown) => this.failed(job, err, delayedTo),
      )
      .finally(() => {
        this.active--;
        this.running.delete(done);
        this.pump();
      });
    this.running.add(done);
  }

  private failed(job: LocalJob, err: unknown, delayedTo: number | undefined): void {
    if (err instanceof DelayedError && delayedTo !== undefined) {
      this.schedule(job, delayedTo);
      return;
    }
    job.attemptsMade += 1;
    if (!(err instanceof UnrecoverableError) && job.attemptsMade < job.attempts) {
      // BullMQ's exponential backoff: the first retry after `backoffMs`, then doubling.
      this.schedule(job, Date.now() + job.backoffMs * 2 ** (job.attemptsMade - 1));
      return;
    }
    job.state = 'failed';
    job.finishedOn = Date.now();
    this.log.debug({ queue: this.queue, jobId: job.id, attempts: job.attemptsMade }, 'in-process job failed');
    this.trimFailed();
  }

  private trimFailed(): void {
    const failed = [...this.jobs.values()].filter((j) => j.state === 'failed');
    for (const job of failed.slice(0, Math.max(0, failed.length - KEEP_FAILED))) this.jobs.delete(job.id);
  }
}

export interface LocalQueues {
  readonly queues: Queues;
  readonly consume: (name: QueueName, processor: Processor, concurrency: number) => void;
  readonly close: (timeoutMs: number) => Promise<boolean>;
}

export function createLocalQueues(log: Log): LocalQueues {
  const made = Object.fromEntries(QUEUE_NAMES.map((name) => [name, new LocalQueue(name, log)])) as Record<
    QueueName,
    LocalQueue
  >;
  return {
    queues: made,
    consume: (name, processor, concurrency) => made[name].consume(processor, concurrency),
    close: async (timeoutMs) =>
      (await Promise.all(QUEUE_NAMES.map((name) => made[name].close(timeoutMs)))).every(Boolean),
  };
}
