/** The processor of the notifications queue: one call to the notifier, its answer mapped onto BullMQ. */
import { Worker } from 'bullmq';
import { failAttempt, later, type FailureDeps, type OutboxJob } from '../timed.js';
import type { OutboxQueue } from '../queues.js';
import type { Delivery, Notifier } from './notifier.js';

export interface NotifyProcessorDeps extends FailureDeps {
  notifier: Notifier;
  /** The notifications queue, paused as a whole on a bot-wide 429. */
  notifications: OutboxQueue;
}

export function notifyProcessor(deps: NotifyProcessorDeps): (job: OutboxJob, token?: string) => Promise<void> {
  return async (job, token) => {
    const delivery: Delivery = await deps.notifier.deliver(job.data.outboxId);
    switch (delivery.type) {
      case 'gone':
      case 'sent':
      case 'dropped':
        return;
      case 'later':
        return later(job, token, delivery.waitMs);
      case 'throttled':
        // BullMQ's manual rate limit: the job goes back to waiting and no worker fetches until it expires.
        await deps.notifications.rateLimit(delivery.waitMs);
        throw Worker.RateLimitError();
      case 'failed':
        return failAttempt(deps, job, delivery.error, delivery.permanent);
      default: {
        const unexpected: never = delivery;
        throw new Error(`unknown delivery ${JSON.stringify(unexpected)}`);
      }
    }
  };
}
