/**
 * A rate-limiter-flexible limiter in Redis, shared by every process on it, or in this process's memory when there
 * is no Redis (one process only: workers/driver.ts in-process mode). Same options and API either way.
 */
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type IRateLimiterOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export function rateLimiter(store: Redis | null, options: IRateLimiterOptions): RateLimiterAbstract {
  return store ? new RateLimiterRedis({ ...options, storeClient: store }) : new RateLimiterMemory(options);
}
