/**
 * When reminders go out, per kind, in one place: pure functions of the reminded thing's times and of
 * the last reminder sent, unit-tested without a database. A service asks `nextReminder(kind, context)`
 * when it schedules (and again when a reminder job runs, to find the next one); null means no more.
 * Quiet hours are not applied here: the notifications worker holds deferrable messages until they end.
 *
 * - `request.nudge`     once, at half-time between the request and its deadline, while it is open.
 * - `iou.due`           3 days before the due date, on the day, then overdue after 1, 3 and 7 days
 *                       and every 7 days after that, at most `IOU_MAX_OVERDUE` overdue reminders.
 * - `collection.unpaid` every 24 h after the collection opened, while the member has not paid, been
 *                       excused, or the collection closed.
 * - `schedule.notice`   the day before each run of a recurring transfer (none when the run is sooner).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const REMINDER_KINDS = ['request.nudge', 'iou.due', 'collection.unpaid', 'schedule.notice'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/** Overdue reminders of an IOU, after the two before/at the due date. */
export const IOU_MAX_OVERDUE = 5;
/** Days after the due date of the first overdue reminders; then every 7 days. */
export const IOU_OVERDUE_DAYS = [1, 3, 7] as const;
export const COLLECTION_EVERY_MS = DAY;
export const SCHEDULE_NOTICE_BEFORE_MS = DAY;

export interface ReminderContexts {
  'request.nudge': { createdAt: Date; dueAt: Date; open: boolean; sent: number };
  /** `after`: the last reminder sent (or when the IOU was confirmed); `open`: not fully repaid or forgiven. */
  'iou.due': { dueAt: Date; after: Date; open: boolean };
  'collection.unpaid': { openedAt: Date; after: Date; open: boolean };
  /** `now`: the database clock when scheduling. */
  'schedule.notice': { runAt: Date; now: Date };
}

/** The instants an IOU is reminded at, in order (before and at the due date, then overdue). */
export function iouReminderTimes(dueAt: Date): Date[] {
  const due = dueAt.getTime();
  const overdue: number[] = [];
  for (let i = 0; i < IOU_MAX_OVERDUE; i++) {
    const days = IOU_OVERDUE_DAYS[i] ?? (IOU_OVERDUE_DAYS.at(-1) ?? 7) + 7 * (i - IOU_OVERDUE_DAYS.length + 1);
    overdue.push(due + days * DAY);
  }
  return [due - 3 * DAY, due, ...overdue].map((ms) => new Date(ms));
}

/** The next reminder of `kind` for `context`, or null when there is none (resolved, or the policy is done). */
export function nextReminder<K extends ReminderKind>(kind: K, context: ReminderContexts[K]): Date | null {
  switch (kind) {
    case 'request.nudge': {
      const c = context as ReminderContexts['request.nudge'];
      if (!c.open || c.sent > 0) return null;
      return new Date(c.createdAt.getTime() + Math.floor((c.dueAt.getTime() - c.createdAt.getTime()) / 2));
    }
    case 'iou.due': {
      const c = context as ReminderContexts['iou.due'];
      if (!c.open) return null;
      return iouReminderTimes(c.dueAt).find((at) => at.getTime() > c.after.getTime()) ?? null;
    }
    case 'collection.unpaid': {
      const c = context as ReminderContexts['collection.unpaid'];
      if (!c.open) return null;
      const since = Math.max(0, c.after.getTime() - c.openedAt.getTime());
      return new Date(c.openedAt.getTime() + (Math.floor(since / COLLECTION_EVERY_MS) + 1) * COLLECTION_EVERY_MS);
    }
    case 'schedule.notice': {
      const c = context as ReminderContexts['schedule.notice'];
      const at = c.runAt.getTime() - SCHEDULE_NOTICE_BEFORE_MS;
      return at > c.now.getTime() ? new Date(at) : null;
    }
    default:
      return null;
  }
}
