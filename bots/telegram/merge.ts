/**
 * Merged group replies. Telegram lets a bot send 20 messages a minute to one group, so a busy group's replies
 * queue up (40 payment replies took two minutes). Texts without buttons or documents that wait in one chat's
 * queue are sent as one message instead: their texts joined by a blank line, up to Telegram's 4096 characters.
 * Only a run of such texts at the head of the queue is merged, so the chat still sees everything in the order it
 * was queued; a message with buttons is never merged (its message id is bound to its actions), nor one whose id
 * matters otherwise (a live message).
 */
import { MAX_MESSAGE_LENGTH } from './render.js';

/** Between two merged texts. */
export const MERGE_SEPARATOR = '\n\n';

/** A text that may share a message with its neighbours in the queue. */
export interface MergeablePart {
  text: string;
  /** Only parts with the same key merge (the forum topic the message goes to: a message has one). */
  key: string;
}

/**
 * How many parts from the head of `queue` go out as one message, and its text. `undefined` entries (messages that
 * are not mergeable) end the run. At least the head is taken when it is mergeable; a head longer than `max` goes
 * alone, and the run stops before the part that would make the text longer than `max`.
 */
export function mergeRun(
  queue: ReadonlyArray<MergeablePart | undefined>,
  max = MAX_MESSAGE_LENGTH,
): { count: number; text: string } | undefined {
  const head = queue[0];
  if (!head) return undefined;
  let text = head.text;
  let count = 1;
  for (const part of queue.slice(1)) {
    if (!part || part.key !== head.key) break;
    const longer = text.length + MERGE_SEPARATOR.length + part.text.length;
    if (longer > max) break;
    text = `${text}${MERGE_SEPARATOR}${part.text}`;
    count += 1;
  }
  return { count, text };
}
