/**
 * Per-person limits of the command layer (bots/commands/types.ts `PersonThrottle`), kept in Redis by
 * rate-limiter-flexible so every process on one Redis shares them: at most `moneyPerMinute` commands that write and
 * `pressesPerMinute` button presses per person and minute, counted per core person (so a person's Telegram and
 * Discord accounts share one allowance once linked). A limiter that cannot answer lets the command through.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimiter } from '../limiter.js';
import type { PersonThrottle, ThrottledAction } from '../../bots/commands/types.js';
import type { Log } from '../../core/log.js';

export interface PersonRates {
  /** Commands that write, per person and minute; 0: unlimited. */
  moneyPerMinute: number;
  /** Button presses, per person and minute; 0: unlimited. */
  pressesPerMinute: number;
}

/** `store` null: counted in this process's memory (no Redis, one process). */
export function createPersonThrottle(
  store: Redis | null,
  prefix: string,
  rates: PersonRates,
  log: Log,
): PersonThrottle {
  const limiter = (name: string, points: number) =>
    points > 0 ? rateLimiter(store, { keyPrefix: `${prefix}:chipin:rate:${name}`, points, duration: 60 }) : null;
  const limiters: Record<ThrottledAction, RateLimiterAbstract | null> = {
    command: limiter('money', rates.moneyPerMinute),
    press: limiter('press', rates.pressesPerMinute),
  };
  return {
    async take(action, personId) {
      const limited = limiters[action];
      if (!limited) return null;
      try {
        await limited.consume(personId.toString());
        return null;
      } catch (err) {
        if (err instanceof RateLimiterRes) return { retryAfterMs: Math.max(1, err.msBeforeNext) };
        // Fail open: a lost Redis must never stop a payment.
        log.warn({ err, action }, 'person rate limiter unavailable: letting it through');
        return null;
      }
    },
  };
}
