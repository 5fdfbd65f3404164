/**
 * Per-chat pacing (RELIABILITY rule 9, T8: about one message per second per chat). BullMQ's limiter
 * is queue-wide, so it sets the global cap; a chat's pace is one Redis key per chat holding its next
 * free moment: a send reserves the key for `spacingMs` (SET NX PX, atomic across workers), a 429 holds
 * it for the platform's retry_after. A job that finds its chat busy is delayed until the key expires.
 */
import type { Redis } from 'ioredis';

export interface ChatPacer {
  /** 0 when the chat's slot is now reserved for one send; otherwise the ms until it frees. */
  reserve(platform: string, chatId: string): Promise<number>;
  /** Keeps the chat closed for at least `ms` (the platform's retry_after). */
  hold(platform: string, chatId: string, ms: number): Promise<void>;
}

const RESERVE = `if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl`;

const HOLD = `if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 0`;

export function createChatPacer(redis: Redis, prefix: string, spacingMs: number): ChatPacer {
  const key = (platform: string, chatId: string) => `${prefix}:chipin:chat-pace:${platform}:${chatId}`;
  return {
    async reserve(platform, chatId) {
      return Number(await redis.eval(RESERVE, 1, key(platform, chatId), String(spacingMs)));
    },
    async hold(platform, chatId, ms) {
      await redis.eval(HOLD, 1, key(platform, chatId), String(Math.max(1, Math.ceil(ms))));
    },
  };
}
