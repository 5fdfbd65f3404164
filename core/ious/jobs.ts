import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Borrow } from './borrow.js';
import type { Ious } from './service.js';

/** An offer voided at its confirmation TTL; the due-date reminders of an open IOU. */
export const IOU_JOBS = defineJobs({
  'iou.void': 'expiry',
  'iou.remind': 'reminders',
  'borrow.close': 'expiry',
  'borrow.nudge': 'reminders',
});

export const iouJobs = (ious: Ious, borrow: Borrow, log: Log): HandlersOf<typeof IOU_JOBS> => ({
  'iou.void': async (db, payload, job) => settle(log, job, await ious.voidOffer(db, idFrom(payload, 'iouId', job.key))),
  'iou.remind': async (db, payload, job) => settle(log, job, await ious.remind(db, idFrom(payload, 'iouId', job.key))),
  'borrow.close': async (db, payload, job) =>
    settle(log, job, await borrow.close(db, idFrom(payload, 'askId', job.key))),
  'borrow.nudge': async (db, payload, job) =>
    settle(log, job, await borrow.nudge(db, idFrom(payload, 'askId', job.key))),
});
