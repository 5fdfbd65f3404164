/**
 * The processor of the notifications queue: a tick drains every due `notify` row (workers/notify
 * notifier), then waits for the bot's rate to free when it stopped the drain, or for the rows due by the
 * end of its second that are not due yet by the database clock (the worker's clock ran ahead). A failed
 * drain is retried by BullMQ with backoff (one that found the database unreachable waits without using an
 * attempt); the rows it had claimed went back to pending with its transaction.
 */
import { UnrecoverableError } from 'bullmq';
import { isDatabaseUnavailable, type Db } from '../../core/db/executor.js';
import { notifyWaitMs } from '../../core/outbox/index.js';
import type { Log } from '../../core/log.js';
import { later, OUTAGE_RECHECK_MS, type Processor } from '../timed.js';
import { isTick } from '../queues.js';
import type { Notifier } from './notifier.js';

export interface NotifyProcessorDeps {
  db: Db;
  log: Log;
  notifier: Notifier;
}

export function notifyProcessor(deps: NotifyProcessorDeps): Processor {
  return async (job, token) => {
    if (!isTick(job.data)) throw new UnrecoverableError(`not a notifications tick: ${JSON.stringify(job.data)}`);
    let busyMs: number | null;
    try {
      ({ busyMs } = await deps.notifier.drain());
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // An outage is no attempt: the tick keeps its attempts and comes back, however long the outage lasts.
        deps.log.warn({ err, jobId: job.id }, 'notifications tick: database unreachable; will run again');
        return later(job, token, OUTAGE_RECHECK_MS);
      }
      deps.log.error({ err, jobId: job.id, attempt: job.attemptsMade + 1 }, 'notifications tick failed; will retry');
      throw err;
    }
    // The bot's rate is used up: come back when it frees, for the rows left due.
    if (busyMs !== null) await later(job, token, busyMs);
    const waitMs = await notifyWaitMs(deps.db, job.data.untilMs);
    if (waitMs !== null) await later(job, token, waitMs);
  };
}
