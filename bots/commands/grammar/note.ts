/** Words with their positions (mentions are placed by offset), and the note: what is left after the grammar. */
export { NOTE_MAX_CHARS, cleanNote } from '../../../core/index.js';

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
