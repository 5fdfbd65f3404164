/**
 * The ports of the live-message editor (core/live): one Editor per platform and the renderer of a live view.
 * app.ts wires them over the transports and the command layer's templates, like the notifier's Senders.
 */
import type { OutMessage, Platform } from '../../bots/commands/types.js';
import type { LiveView } from '../../core/live/index.js';

export interface Editor {
  /**
   * Replaces the text and buttons of message `messageId` in `chatId`, within the platform's limits (a text too
   * long is cut) and rate limits. Resolves once the platform shows it; an edit to what it already shows is a
   * success. Throws `MessageGone` when the message can never be edited again (deleted, chat gone, bot removed);
   * anything else is retried.
   */
  edit(chatId: string, messageId: string, message: OutMessage): Promise<void>;
}

export type Editors = Partial<Record<Platform, Editor>>;

export interface LiveRenderer {
  /** The message for `view` (bots/commands `renderNotification`). Throwing is a programmer error: a dead letter. */
  render(view: LiveView): OutMessage | Promise<OutMessage>;
}

/** The message cannot be edited any more: the edit is dropped, not retried. */
export class MessageGone extends Error {
  override name = 'MessageGone';
}
