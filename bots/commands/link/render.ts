import { formatAmount, type LinkCodeError, type LinkError, type LinkResult } from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { renderError, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

export const LINK_CODE_ERROR_KEYS: Record<LinkCodeError, MessageKey> = {
  RateLimited: 'error.RateLimited',
  UnknownPerson: 'common.error',
};

export const LINK_ERROR_KEYS: Record<LinkError, MessageKey> = {
  UnknownCode: 'link.UnknownCode',
  ExpiredCode: 'link.ExpiredCode',
  OwnCode: 'link.OwnCode',
  SamePlatform: 'link.SamePlatform',
  PendingPayments: 'link.PendingPayments',
  TooManyAttempts: 'link.TooManyAttempts',
};

/** The reply to `/link <code>`: joined (and what money moved), or why not. */
export function renderLinkOutcome(reader: Reader, outcome: LinkResult): OutMessage {
  if (!outcome.ok) return renderError(reader, LINK_ERROR_KEYS, outcome.error);
  const done = t(reader.locale, 'link.done');
  if (outcome.moved.length === 0) return { text: done };
  const amounts = outcome.moved.map(formatAmount).join(', ');
  return { text: `${done}\n${t(reader.locale, 'link.moved', { amounts })}` };
}

/** The reply to /pay or to a confirm tap. `undoSeconds` is the configured window (replays read the same). */
