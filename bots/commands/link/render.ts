import { formatAmount, type LinkCodeError, type LinkResult } from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { type Reader, renderCode } from '../render.js';
import type { OutMessage } from '../types.js';

export const LINK_CODE_ERROR_KEYS: Record<LinkCodeError, MessageKey> = {
  RateLimited: 'error.RateLimited',
  UnknownPerson: 'common.error',
};

/** The reply to `/link <code>`: joined (and what money moved), or why not. */
export function renderLinkOutcome(reader: Reader, outcome: LinkResult): OutMessage {
  if (!outcome.ok) return renderCode(reader, 'link', outcome.error);
  const done = t(reader.locale, 'link.done');
  if (outcome.moved.length === 0) return { text: done };
  const amounts = outcome.moved.map(formatAmount).join(', ');
  return { text: `${done}\n${t(reader.locale, 'link.moved', { amounts })}` };
}

/** The reply to /pay or to a confirm tap. `undoSeconds` is the configured window (replays read the same). */
