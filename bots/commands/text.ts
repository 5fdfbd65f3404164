/** Small text helpers of the command grammar: words with their positions, and note cleaning. */

export interface Word {
  text: string;
  /** UTF-16 offsets in the source string, end exclusive. */
  start: number;
  end: number;
}

/** Whitespace-separated words (any Unicode space, including the full-width U+3000). */
export function words(text: string): Word[] {
  return [...text.matchAll(/\S+/gu)].map((match) => ({
    text: match[0],
    start: match.index,
    end: match.index + match[0].length,
  }));
}

export const NOTE_MAX_CHARS = 200;

// Control characters and invisible format characters: zero-width spaces and joiners, direction
// marks, embeddings, overrides and isolates (U+202A–202E, U+2066–2069), the BOM, soft hyphens.
const INVISIBLE = /\p{Cf}/gu;
const BREAKS = /[\p{Cc}\u2028\u2029]/gu;

/**
 * A note as stored and shown: invisible and control characters removed (an RTL override could make
 * a receipt read differently from what was paid), whitespace collapsed, trimmed; `note` is undefined
 * when nothing is left. 'NoteTooLong' above NOTE_MAX_CHARS characters (code points).
 */
export function cleanNote(text: string): { note: string | undefined } | 'NoteTooLong' {
  const clean = text.replace(INVISIBLE, '').replace(BREAKS, ' ').replace(/\s+/gu, ' ').trim();
  if ([...clean].length > NOTE_MAX_CHARS) return 'NoteTooLong';
  return { note: clean === '' ? undefined : clean };
}

export const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Cuts `text` into pieces of at most `max` UTF-16 units (what Telegram and Discord count), preferring a line break, then a
 * space, in the second half of a piece; never inside a surrogate pair. Blank pieces are dropped (both platforms refuse
 * empty messages).
 */
export function splitText(text: string, max: number): string[] {
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
