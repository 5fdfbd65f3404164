/**
 * Live messages on Telegram: posting one (the `live` effect: a reply whose message id is then bound to its live
 * row, core/live bindLive) and editing it later from a worker. Edits go through the same rate-limited sender as
 * every message (editMessageText counts against the chat's budget). A live message is one message, so a text
 * longer than Telegram's 4096 characters is cut, never split.
 */
import type { Telegram } from 'telegraf';
import { isHighSurrogate } from '../commands/text.js';
import type { OutMessage } from '../commands/types.js';
import { apiFailure, isNotModified, isPollClosed, type ApiFailure } from './errors.js';
import type { Outbound } from './outbound.js';
import { inlineKeyboard, MAX_MESSAGE_LENGTH } from './render.js';

/** `text` within one message: cut on a code point boundary, the cut marked with an ellipsis. */
export function fitText(text: string, max = MAX_MESSAGE_LENGTH): string {
  if (text.length <= max) return text;
  const cut = isHighSurrogate(text.charCodeAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, cut)}…`;
}

/** The live message `message` as one Telegram message: text cut to fit, buttons kept. */
export function liveMessage(message: OutMessage): OutMessage {
  const { document: _dropped, ...rest } = message;
  return { ...rest, text: fitText(message.text) };
}

/** The message to edit is gone for good (deleted, the chat or the bot's access to it is gone). */
export const isMessageGone = (f: ApiFailure | undefined): boolean =>
  f !== undefined &&
  (f.code === 403 ||
    (f.code === 400 &&
      /message to edit not found|MESSAGE_ID_INVALID|chat not found|message can't be edited/i.test(f.description)));

export interface LiveEditor {
  /**
   * Shows `message` in message `messageId` of `chatId`. "Message is not modified" is a success (a repeated edit);
   * rejects with the Bot API error otherwise (readable with `apiFailure`, see `isMessageGone`).
   */
  edit(chatId: string, messageId: string, message: OutMessage): Promise<void>;
  /** Stops the native poll in `messageId` (its vote closed). Already stopped is a success. */
  stopPoll(chatId: string, messageId: string): Promise<void>;
}

export function createLiveEditor(deps: { telegram: Telegram; outbound: Outbound }): LiveEditor {
  const { telegram, outbound } = deps;
  return {
    async edit(chatId, messageId, message) {
      const fitted = liveMessage(message);
      // Built first: a bad button id fails before anything is sent.
      const keyboard = fitted.buttons?.length ? inlineKeyboard(fitted.buttons) : undefined;
      try {
        await outbound.send(chatId, (target) =>
          telegram.editMessageText(Number(target), Number(messageId), undefined, fitted.text, {
            link_preview_options: { is_disabled: true },
            ...(keyboard ? { reply_markup: keyboard } : {}),
          }),
        );
      } catch (err) {
        if (!isNotModified(apiFailure(err))) throw err;
      }
    },
    async stopPoll(chatId, messageId) {
      try {
        await outbound.send(chatId, (target) => telegram.stopPoll(Number(target), Number(messageId)));
      } catch (err) {
        if (!isPollClosed(apiFailure(err))) throw err;
      }
    },
  };
}
