/** Red packets: the card (the live message with its Claim button), a refusal, and the answer to a Claim press. */
import { formatAmount, type RedPacketClaimOutcome, type RedPacketSendOutcome } from '../../../core/index.js';
import { message, renderCode, renderNotification, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

/** The card as the core recorded it for the live message (so the first post and every edit look alike). */
export function renderSent(reader: Reader, outcome: RedPacketSendOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'redpacket.error', outcome.error);
  const { view } = outcome.card;
  return renderNotification(view.locale, view.template, { timeZone: view.timeZone });
}

/** The toast a presser sees: their share, or why there is none. */
export function renderClaim(reader: Reader, outcome: RedPacketClaimOutcome): OutMessage {
  if (outcome.type === 'rejected') return renderCode(reader, 'redpacket.error', outcome.error);
  return message(reader, 'redpacket.claimed', { amount: formatAmount(outcome.amount), sender: outcome.senderName });
}
