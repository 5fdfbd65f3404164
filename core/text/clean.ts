/**
 * The one cleaner for user text that is stored and shown on one line (notes, display names). Invisible format
 * characters go (zero-width spaces and joiners, direction marks, embeddings, overrides and isolates, the BOM,
 * soft hyphens: an RTL override could make a receipt read differently from what was paid); control characters
 * and line separators become spaces; whitespace is collapsed and trimmed.
 */

const INVISIBLE = /\p{Cf}/gu;
const BREAKS = /[\p{Cc}\u2028\u2029]/gu;

export function cleanText(text: string | null | undefined): string {
  return (text ?? '').replace(INVISIBLE, '').replace(BREAKS, ' ').replace(/\s+/gu, ' ').trim();
}

/** At most `max` characters (code points, never half a surrogate pair). */
export const cutText = (text: string, max: number): string => [...text].slice(0, max).join('').trim();

export const NOTE_MAX_CHARS = 200;

/** A note as typed: cleaned, `undefined` when nothing is left, refused above NOTE_MAX_CHARS characters. */
export function cleanNote(text: string | null | undefined): { note: string | undefined } | 'NoteTooLong' {
  const clean = cleanText(text);
  if ([...clean].length > NOTE_MAX_CHARS) return 'NoteTooLong';
  return { note: clean === '' ? undefined : clean };
}

/**
 * A note as the core stores it. The grammar has already refused a note that is too long; a caller that skipped
 * it (a job, a test) gets the note cut rather than an error, since a note never decides where money goes.
 */
export function storedNote(text: string | null | undefined): string | null {
  const clean = cutText(cleanText(text), NOTE_MAX_CHARS);
  return clean === '' ? null : clean;
}

/** A display name safe to store and show: at most 64 characters. */
export const cleanName = (text: string | null | undefined): string => cutText(cleanText(text), 64);
