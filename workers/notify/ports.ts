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

/** What a transport offers for sending on its own (bots/commands/types.ts: transports implement it). */
export { Blocked, RateLimited, type Sender, type Senders } from '../../bots/commands/types.js';
