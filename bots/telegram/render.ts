/**
 * OutMessage → Bot API shapes. Texts go out plain (no parse_mode: nothing to escape, no "can't parse entities"
 * losing a confirmation), split to Telegram's 4096-character limit; buttons become inline keyboards whose
 * callback_data is the opaque action id (at most 64 bytes, checked here so a bad id fails in tests).
 */
import { isHighSurrogate, splitText as splitMessage } from '../commands/text.js';
import type { Button } from '../commands/types.js';

export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;
export const MAX_CALLBACK_DATA_BYTES = 64;
export const MAX_ANSWER_LENGTH = 200;

export interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string } | { text: string; url: string }>>;
}

/** `text` in pieces Telegram accepts (4096 UTF-16 units each; see bots/commands/text.ts `splitText`). */
export const splitText = (text: string, max = MAX_MESSAGE_LENGTH): string[] => splitMessage(text, max);

/** Throws on an action id Telegram would refuse: a programming error in the command layer, not a user error. */
export function inlineKeyboard(rows: readonly (readonly Button[])[]): InlineKeyboard {
  return {
    inline_keyboard: rows.map((row) =>
      row.map((button) => {
        if (button.url !== undefined) return { text: button.label, url: button.url };
        const bytes = Buffer.byteLength(button.actionId, 'utf8');
        if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) {
          throw new RangeError(`button action id must be 1-${MAX_CALLBACK_DATA_BYTES} bytes (got ${bytes})`);
        }
        if (button.label.trim() === '') throw new RangeError('button label must not be empty');
        return { text: button.label, callback_data: button.actionId };
      }),
    ),
  };
}

/** answerCallbackQuery text: at most 200 characters, cut on a code point boundary. */
export function answerText(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length <= MAX_ANSWER_LENGTH) return text;
  const cut = isHighSurrogate(text.charCodeAt(MAX_ANSWER_LENGTH - 2)) ? MAX_ANSWER_LENGTH - 2 : MAX_ANSWER_LENGTH - 1;
  return `${text.slice(0, cut)}…`;
}
