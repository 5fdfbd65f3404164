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
