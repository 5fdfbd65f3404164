/**
 * The Discord invalid-request breaker (bots/discord/guard.ts `InvalidRequestGuard`) over Redis, shared by every
 * process on it: invalid answers are counted in ten buckets of a tenth of the window each (a sliding count that
 * forgets a bucket at a time), the breaker opens while their sum is at `threshold` or more, and users or channels
 * that answered 403 are remembered for `forbiddenTtlMs`. The first process to see the breaker open, and the first to
 * see it closed again, logs one warn line each (a key set and deleted in Redis decides which). Redis unavailable:
 * nothing is counted, nothing is paused or refused. Without Redis at all (one in-process chipin on embedded PGlite)
 * the same breaker is kept in this process's memory.
 */
import type { Redis } from 'ioredis';
import type { InvalidRequestGuard } from '../../bots/discord/guard.js';
import type { Log } from '../../core/log.js';

export interface DiscordGuardOptions {
  /** Invalid answers within the window that open the breaker; 0: never open (403 targets are still remembered). */
  threshold: number;
  /** The sliding window (Discord's: 10 minutes). */
  windowMs: number;
  /** How long a user or channel that answered 403 is not called. */
  forbiddenTtlMs: number;
}

const BUCKETS = 10;

/** `store` null: kept in this process's memory (no Redis, one process). */
export function createDiscordGuard(
  store: Redis | null,
  prefix: string,
  options: DiscordGuardOptions,
  log: Log,
): InvalidRequestGuard {
  return store ? redisGuard(store, prefix, options, log) : memoryGuard(options, log);
}

function memoryGuard(options: DiscordGuardOptions, log: Log): InvalidRequestGuard {
  const bucketMs = Math.max(1, Math.ceil(options.windowMs / BUCKETS));
  const buckets = new Map<number, number>();
  const forbiddenUntil = new Map<string, number>();
  let open = false;
  const count = (): number => {
    const now = Math.floor(Date.now() / bucketMs);
    let sum = 0;
    for (const [index, n] of buckets) {
      if (index <= now - BUCKETS) buckets.delete(index);
      else sum += n;
    }
    return sum;
  };
  return {
    invalid() {
      const index = Math.floor(Date.now() / bucketMs);
      buckets.set(index, (buckets.get(index) ?? 0) + 1);
      return Promise.resolve();
    },
    pausedFor() {
      if (options.threshold <= 0) return Promise.resolve(0);
      const invalid = count();
      const context = { invalid, threshold: options.threshold, windowMs: options.windowMs };
      const wasOpen = open;
      open = invalid >= options.threshold;
      if (open && !wasOpen) log.warn(context, 'discord invalid-request breaker open: notifications paused');
      if (!open && wasOpen) log.warn(context, 'discord invalid-request breaker closed: sends resume');
      return Promise.resolve(open ? bucketMs : 0);
    },
    forbid(target) {
      forbiddenUntil.set(target, Date.now() + options.forbiddenTtlMs);
      return Promise.resolve();
    },
    forbidden(target) {
      const until = forbiddenUntil.get(target);
      if (until !== undefined && until <= Date.now()) forbiddenUntil.delete(target);
      return Promise.resolve(until !== undefined && until > Date.now());
    },
  };
}

function redisGuard(redis: Redis, prefix: string, options: DiscordGuardOptions, log: Log): InvalidRequestGuard {
  const base = `${prefix}:chipin:discord`;
  const bucketMs = Math.max(1, Math.ceil(options.windowMs / BUCKETS));
  const bucketKey = (index: number) => `${base}:invalid:${index}`;
  const openKey = `${base}:breaker`;
  const unavailable = (err: unknown, what: string) =>
    log.warn({ err }, `discord invalid-request guard unavailable: ${what}`);

  async function count(): Promise<number> {
    const now = Math.floor(Date.now() / bucketMs);
    const keys = Array.from({ length: BUCKETS }, (_, i) => bucketKey(now - i));
    const values = await redis.mget(...keys);
    return values.reduce((sum, v) => sum + (v === null ? 0 : Number(v)), 0);
  }

  return {
    async invalid() {
      const key = bucketKey(Math.floor(Date.now() / bucketMs));
      try {
        await redis
          .multi()
          .incr(key)
          .pexpire(key, options.windowMs + bucketMs)
          .exec();
      } catch (err) {
        unavailable(err, 'an invalid answer was not counted');
      }
    },
    async pausedFor() {
      if (options.threshold <= 0) return 0;
      try {
        const invalid = await count();
        const context = { invalid, threshold: options.threshold, windowMs: options.windowMs };
        if (invalid >= options.threshold) {
          if ((await redis.set(openKey, String(Date.now()), 'NX')) === 'OK')
            log.warn(context, 'discord invalid-request breaker open: notifications paused');
          // Checked again a bucket later, when the oldest answers may have left the window.
          return bucketMs;
        }
        if ((await redis.del(openKey)) > 0) log.warn(context, 'discord invalid-request breaker closed: sends resume');
        return 0;
      } catch (err) {
        unavailable(err, 'not pausing');
        return 0;
      }
    },
    async forbid(target) {
      try {
        await redis.set(`${base}:forbidden:${target}`, '1', 'PX', options.forbiddenTtlMs);
      } catch (err) {
        unavailable(err, 'a 403 was not remembered');
      }
    },
    async forbidden(target) {
      try {
        return (await redis.exists(`${base}:forbidden:${target}`)) > 0;
      } catch (err) {
        unavailable(err, 'not checking for a 403');
        return false;
      }
    },
  };
}
