import { describe, expect, it } from 'vitest';
import { jobIdFor, jobOptions, queueFor } from './queues.js';

describe('queues', () => {
  it('job ids are the business keys with - for : (BullMQ rejects :), never a bare integer', () => {
    expect(jobIdFor('claim.expire:42:1')).toBe('claim.expire-42-1');
    expect(jobIdFor('notify:request:7:nudge')).toBe('notify-request-7-nudge');
    expect(jobIdFor('123')).toBe('k-123');
  });

  it('each kind runs on the queue of its concern', () => {
    expect(queueFor('notify')).toBe('notifications');
    expect(queueFor('claim.expire')).toBe('expiry');
    expect(queueFor('request.expire')).toBe('expiry');
    expect(queueFor('request.nudge')).toBe('reminders');
    expect(queueFor('iou.nudge')).toBe('reminders');
    expect(queueFor('reminder.iou_due')).toBe('reminders');
    expect(queueFor('recurring.run')).toBe('recurring');
    expect(queueFor('settlement.payout')).toBe('settlement');
    expect(queueFor('vote.close')).toBe('expiry');
  });

  it('completed jobs are removed (a later re-add is a new job), failed ones kept for inspection', () => {
    expect(jobOptions('claim.expire:42:1', -5, { attempts: 8, backoffMs: 2_000 })).toEqual({
      jobId: 'claim.expire-42-1',
      delay: 0,
      attempts: 8,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: { age: 604_800, count: 10_000 },
    });
  });
});
