/** The reminder policy per kind, as pure functions: when the next reminder goes, and when there is none. */
import { describe, expect, it } from 'vitest';
import { IOU_MAX_OVERDUE, iouReminderTimes, nextReminder } from './policy.js';

const at = (iso: string) => new Date(iso);
const DAY = 86_400_000;

describe('reminder policy', () => {
  it('request nudge: once, at half-time, only while the request is open', () => {
    const createdAt = at('2026-05-01T10:00:00Z');
    const dueAt = at('2026-05-02T10:00:00Z');
    expect(nextReminder('request.nudge', { createdAt, dueAt, open: true, sent: 0 })).toEqual(
      at('2026-05-01T22:00:00Z'),
    );
    expect(nextReminder('request.nudge', { createdAt, dueAt, open: true, sent: 1 })).toBeNull();
    expect(nextReminder('request.nudge', { createdAt, dueAt, open: false, sent: 0 })).toBeNull();
  });

  it('IOU due: 3 days before, on the day, then overdue after 1, 3 and 7 days and weekly, at most N', () => {
    const dueAt = at('2026-06-10T09:00:00Z');
    const times = iouReminderTimes(dueAt).map((d) => (d.getTime() - dueAt.getTime()) / DAY);
    expect(times).toEqual([-3, 0, 1, 3, 7, 14, 21].slice(0, 2 + IOU_MAX_OVERDUE));
    const step = (after: Date) => nextReminder('iou.due', { dueAt, after, open: true });
    expect(step(at('2026-06-01T00:00:00Z'))).toEqual(at('2026-06-07T09:00:00Z'));
    expect(step(at('2026-06-07T09:00:00Z'))).toEqual(dueAt);
    expect(step(dueAt)).toEqual(at('2026-06-11T09:00:00Z'));
    expect(step(at('2026-06-11T09:00:00Z'))).toEqual(at('2026-06-13T09:00:00Z'));
    expect(step(at('2026-06-13T09:00:00Z'))).toEqual(at('2026-06-17T09:00:00Z'));
    // Created two days before it is due: the "3 days before" reminder is already past, the next is on the day.
    expect(step(at('2026-06-08T12:00:00Z'))).toEqual(dueAt);
    const last = iouReminderTimes(dueAt).at(-1) ?? dueAt;
    expect(step(last)).toBeNull();
    expect(nextReminder('iou.due', { dueAt, after: dueAt, open: false })).toBeNull();
  });

  it('collection unpaid: every 24 h after it opened, until paid, excused or closed', () => {
    const openedAt = at('2026-07-01T18:30:00Z');
    const step = (after: Date, open = true) => nextReminder('collection.unpaid', { openedAt, after, open });
    expect(step(openedAt)).toEqual(at('2026-07-02T18:30:00Z'));
    expect(step(at('2026-07-02T18:30:00Z'))).toEqual(at('2026-07-03T18:30:00Z'));
    // A reminder held by quiet hours does not shift the rhythm.
    expect(step(at('2026-07-03T07:00:00Z'))).toEqual(at('2026-07-03T18:30:00Z'));
    expect(step(openedAt, false)).toBeNull();
  });

  it('schedule notice: the day before a run, none when the run is less than a day away', () => {
    const runAt = at('2026-08-01T07:00:00Z');
    expect(nextReminder('schedule.notice', { runAt, now: at('2026-07-20T00:00:00Z') })).toEqual(
      at('2026-07-31T07:00:00Z'),
    );
    expect(nextReminder('schedule.notice', { runAt, now: at('2026-07-31T08:00:00Z') })).toBeNull();
  });
});
