/** Outgoing text: cut to what a platform accepts in one message. */

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
