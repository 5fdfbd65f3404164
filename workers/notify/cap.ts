/**
 * The daily reminder cap of the notifications worker: at most `perDay` reminders and other deferrable notices
 * (templates not marked `deferrable: false`) reach one person per UTC day, counted in Redis by rate-limiter-flexible
 * so every worker process shares the count. Only what was handed to the platform counts; what is over the cap is
 * skipped (done, with its reason), never sent later. A cap that cannot answer (Redis down) caps nothing.
 */
import type { Redis } from 'ioredis';
import { rateLimiter } from '../limiter.js';
import type { Log } from '../../core/log.js';

export interface ReminderCap {
  /** How many more reminders the person may receive on the UTC day of `nowMs`; null: no limit (or no answer). */
  left(personId: bigint, nowMs: number): Promise<number | null>;
  /** `count` reminders were handed to the platform for the person on the UTC day of `nowMs`. */
  spent(personId: bigint, nowMs: number, count: number): Promise<void>;
}

/** Why a skipped row is done without a message (outbox `last_error`). */
export const OVER_CAP = 'skipped: daily reminder cap reached';

const DAY_S = 86_400;

/** `store` null: counted in this process's memory (no Redis, one process). */
export function createReminderCap(store: Redis | null, prefix: string, perDay: number, log: Log): ReminderCap {
  // The day is in the key; the count outlives it by a day so a clock a little behind still finds it.
  const counts = rateLimiter(store, {
    keyPrefix: `${prefix}:chipin:reminders`,
    points: perDay,
    duration: 2 * DAY_S,
  });
  const keyOf = (personId: bigint, nowMs: number) => `${personId}:${new Date(nowMs).toISOString().slice(0, 10)}`;
  return {
    async left(personId, nowMs) {
      try {
        const used = (await counts.get(keyOf(personId, nowMs)))?.consumedPoints ?? 0;
        return Math.max(0, perDay - used);
      } catch (err) {
        log.warn({ err }, 'reminder cap unavailable: not capping');
        return null;
      }
    },
    async spent(personId, nowMs, count) {
      if (count <= 0) return;
      try {
        await counts.penalty(keyOf(personId, nowMs), count);
      } catch (err) {
        log.warn({ err }, 'reminder cap unavailable: a send was not counted');
      }
    },
  };
}
