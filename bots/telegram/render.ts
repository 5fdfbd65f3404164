/**
 * OutMessage → Bot API shapes. Texts go out plain (no parse_mode: nothing to escape, no "can't parse entities"
 * losing a confirmation, T10/C4), split to Telegram's 4096-character limit; buttons become inline keyboards whose
 * callback_data is the opaque action id (T7: at most 64 bytes, checked here so a bad id fails in tests, C5).
 */
import type { Button } from '../commands/types.js';

export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;
export const MAX_CALLBACK_DATA_BYTES = 64;
export const MAX_ANSWER_LENGTH = 200;

export interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Cuts `text` into pieces of at most `max` UTF-16 units (what Telegram counts), preferring a line break, then a
 * space, in the second half of a piece; never inside a surrogate pair. Blank pieces are dropped (Telegram refuses
 * empty messages).
 */
export function splitText(text: string, max = MAX_MESSAGE_LENGTH): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = window.lastIndexOf('\n') + 1;
    if (cut <= max / 2) cut = window.lastIndexOf(' ') + 1;
    if (cut <= max / 2) cut = isHighSurrogate(window.charCodeAt(max - 1)) ? max - 1 : max;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces.filter((piece) => piece.trim() !== '');
}

/** Throws on an action id Telegram would refuse: a programming error in the command layer, not a user error. */
export function inlineKeyboard(rows: readonly (readonly Button[])[]): InlineKeyboard {
  return {
    inline_keyboard: rows.map((row) =>
      row.map((button) => {
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

/** answerCallbackQuery text: at most 200 characters (T10), cut on a code point boundary. */
export function answerText(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length <= MAX_ANSWER_LENGTH) return text;
  const cut = isHighSurrogate(text.charCodeAt(MAX_ANSWER_LENGTH - 2)) ? MAX_ANSWER_LENGTH - 2 : MAX_ANSWER_LENGTH - 1;
  return `${text.slice(0, cut)}…`;
}
