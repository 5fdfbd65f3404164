/**
 * Per-chat pacing (RELIABILITY rule 9, T8: about one message per second per chat). BullMQ's limiter
 * is queue-wide, so it sets the global cap; a chat's pace is one Redis key per chat, shared by every
 * worker process. A send takes the key (SET NX) for as long as the send may last; when the send ends
 * the key is set to expire `spacingMs` later (or after the platform's retry_after on a 429). The next
 * message to that chat therefore starts at least `spacingMs` after the previous one ended, whatever
 * the event-loop or network jitter. A job that finds its chat busy is delayed until the key expires.
 */
import type { Redis } from 'ioredis';

export interface ChatPacer {
  /** 0 when the chat is now held for one send; otherwise the ms until it frees. */
  take(platform: string, chatId: string): Promise<number>;
  /** Ends the send: the chat frees `afterMs` from now (default: the spacing). */
  release(platform: string, chatId: string, afterMs?: number): Promise<void>;
}

const TAKE = `if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl`;

export function createChatPacer(
  redis: Redis,
  prefix: string,
  options: { spacingMs: number; /** Longest a send may hold the chat (the send timeout). */ holdMs: number },
): ChatPacer {
  const key = (platform: string, chatId: string) => `${prefix}:chipin:chat-pace:${platform}:${chatId}`;
  return {
    async take(platform, chatId) {
      const holdMs = options.spacingMs + options.holdMs;
      return Number(await redis.eval(TAKE, 1, key(platform, chatId), String(holdMs)));
    },
    async release(platform, chatId, afterMs = options.spacingMs) {
      await redis.set(key(platform, chatId), '1', 'PX', Math.max(1, Math.ceil(afterMs)));
    },
  };
}
