/**
 * The ports of the notifications worker: the one outbound path for every message chipin sends on its
 * own (reminders, expiry notices, "you received money"). main.ts wires the implementations: a
 * Directory over core/people, the Renderer of bots/commands, one Sender per platform.
 */
import type { OutMessage, Platform } from '../../bots/commands/types.js';
import type { Executor } from '../../core/db/executor.js';
import type { NotificationTemplate } from '../../core/outbox/index.js';
import type { Locale, QuietHours } from '../../core/people/index.js';

/** core/people's: minutes after local midnight, `start > end` wrapping midnight (22:00–07:00). */
export type { QuietHours };

/** Where and how a person receives messages. */
export interface Recipient {
  platform: Platform;
  /**
   * The private chat with the bot. Telegram: the user's id (a private chat's id). Discord: the user's
   * id; its Sender opens (or reuses) the DM channel.
   */
  chatId: string;
  locale: Locale;
  /** IANA time zone name. */
  timezone: string;
  quietHours: QuietHours | null;
}

export interface Directory {
  /**
   * Null when the person cannot be reached in private (never started the bot, or unknown). Reads through
   * `exec`, the notifier's batch transaction.
   */
  resolve(exec: Executor, personId: bigint): Promise<Recipient | null>;
}

export interface Renderer {
  /**
   * The message for `template` in `locale`, dates in `timeZone` (bots/commands `renderNotification`).
   * Throwing is a programmer error (an unknown key): the row becomes a dead letter, nothing is sent.
   */
  render(
    locale: Locale,
    template: NotificationTemplate,
    options: { timeZone: string },
  ): OutMessage | Promise<OutMessage>;
  /**
   * Several messages for one person as one (a digest). Optional: by default their texts are joined
   * by a blank line and the first message's buttons are kept.
   */
  digest?(locale: Locale, messages: readonly OutMessage[]): OutMessage | Promise<OutMessage>;
}

export interface Sender {
  /**
   * Sends one message to a chat and returns the platform's message id. Throws `RateLimited` on a
   * 429 (with the platform's retry_after), `Blocked` when the chat will never accept it (the user
   * blocked the bot, the chat is gone), anything else for a transient failure (retried).
   */
  send(chatId: string, message: OutMessage): Promise<{ messageId: string }>;
}

export type Senders = Partial<Record<Platform, Sender>>;

/** The platform refused the send for now (HTTP 429). */
export class RateLimited extends Error {
  override name = 'RateLimited';

  constructor(
    /** The platform's retry_after, in ms. */
    readonly retryAfterMs: number,
    /** `chat`: this chat only (Telegram's per-chat flood control); `global`: every send of the bot. */
    readonly scope: 'chat' | 'global' = 'chat',
  ) {
    super(`rate limited for ${retryAfterMs} ms (${scope})`);
  }
}

/** The chat will never accept the message (403: blocked by the user, chat deleted, bot kicked). */
export class Blocked extends Error {
  override name = 'Blocked';
}
