/**
 * Outgoing rate limits of the notifications worker, kept in Redis by
 * rate-limiter-flexible so every worker process shares them:
 * - per chat: one message at a time, the next one no sooner than `perChatMs` after the previous send
 *   ended (a point taken before the send, the chat blocked for the spacing when it ends, or for the
 *   platform's retry_after on a 429);
 * - per bot (platform): at most `globalPerSecond` messages a second, spread evenly over the second
 *   (`execEvenly`), so that no sliding second holds a burst from the end of one window and the start of
 *   the next; a bot-wide 429 blocks it for the platform's retry_after.
 * Without Redis (the one in-process worker) they are kept in memory.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimiter } from '../limiter.js';

export interface NotifyRates {
  /** Least time between two messages to one chat (Telegram: about 1 s), whole seconds. 0: no per-chat pacing. */
  perChatMs: number;
  /** Most messages per second for the whole bot, across every worker process (Telegram: "30 or so"). 0: unlimited. */
  globalPerSecond: number;
}

/** Why a message may not go now, and for how long: its chat's turn, or the whole bot's rate. */
export interface Refusal {
  scope: 'chat' | 'bot';
  waitMs: number;
}

export interface NotifyLimits {
  /** Sends the bot may make per second (the size of a useful batch); null: unlimited. */
  readonly perSecond: number | null;
  /** Null when a message may go to the chat now (its turn is taken); otherwise who refuses and for how long. */
  take(platform: string, chatId: string): Promise<Refusal | null>;
  /** The send ended: the chat's next message waits `afterMs` (default: the spacing). */
  release(platform: string, chatId: string, afterMs?: number): Promise<void>;
  /** The platform refused every send of the bot for `ms` (a global 429). */
  throttle(platform: string, ms: number): Promise<void>;
}

/** The refusal when `err` is the limiter's; anything else (Redis down) is rethrown. */
function refusedFor(scope: Refusal['scope'], err: unknown): Refusal {
  if (err instanceof RateLimiterRes) return { scope, waitMs: Math.max(1, err.msBeforeNext) };
  throw err;
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1_000));

/** `store` null: kept in this process's memory (no Redis, one process). */
export function createNotifyLimits(store: Redis | null, prefix: string, rates: NotifyRates): NotifyLimits {
  const chats =
    rates.perChatMs > 0
      ? rateLimiter(store, {
          keyPrefix: `${prefix}:chipin:rate:chat`,
          points: 1,
          duration: seconds(rates.perChatMs),
        })
      : null;
  const bots =
    rates.globalPerSecond > 0
      ? rateLimiter(store, {
          keyPrefix: `${prefix}:chipin:rate:bot`,
          points: rates.globalPerSecond,
          duration: 1,
          execEvenly: true,
        })
      : null;
  const chatKey = (platform: string, chatId: string) => `${platform}:${chatId}`;

  return {
    perSecond: rates.globalPerSecond > 0 ? rates.globalPerSecond : null,
    async take(platform, chatId) {
      if (chats) {
        try {
          await chats.consume(chatKey(platform, chatId));
        } catch (err) {
          return refusedFor('chat', err);
        }
      }
      if (bots) {
        try {
          await bots.consume(platform);
        } catch (err) {
          // The chat's turn was not used: give it back.
          await chats?.reward(chatKey(platform, chatId), 1);
          return refusedFor('bot', err);
        }
      }
      return null;
    },
    async release(platform, chatId, afterMs = rates.perChatMs) {
      if (chats && afterMs > 0) await chats.block(chatKey(platform, chatId), seconds(afterMs));
    },
    async throttle(platform, ms) {
      await bots?.block(platform, seconds(ms));
    },
  };
}
