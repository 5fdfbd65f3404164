/** `/settle` in a group: the card of who pays whom (and why), each payer's Approve button, and how it ended. */
import {
  formatAmount,
  type SettleApproveOutcome,
  type SettleLegView,
  type SettleOutcome,
} from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { message, type Reader } from '../render.js';
import type { Button, OutMessage } from '../types.js';

function legLines(reader: Reader, legs: readonly SettleLegView[]): string {
  return legs
    .map((leg) =>
      t(reader.locale, leg.approved ? 'settle.leg_approved' : 'settle.leg', {
        payer: leg.payerName,
        payee: leg.payeeName,
        amount: formatAmount(leg.amount),
        why: leg.why.length > 0 ? t(reader.locale, 'settle.why', { notes: leg.why.join(', ') }) : '',
      }),
    )
    .join('\n');
}

/** One Approve button per leg still waiting, each only its payer can press. */
function approveButtons(reader: Reader, legs: readonly SettleLegView[]): Button[][] {
  return legs.flatMap((leg) =>
    leg.actionId === null
      ? []
      : [
          [
            {
              label: t(reader.locale, 'settle.approve_button', {
                payer: leg.payerName,
                payee: leg.payeeName,
                amount: formatAmount(leg.amount),
              }),
              actionId: leg.actionId,
            },
          ],
        ],
  );
}

/** The card while payers approve. */
function card(reader: Reader, legs: readonly SettleLegView[], head: string): OutMessage {
  const text = `${head}\n${legLines(reader, legs)}\n${t(reader.locale, 'settle.approve_hint')}`;
  return { text, buttons: approveButtons(reader, legs) };
}

export function renderSettle(reader: Reader, outcome: SettleOutcome): OutMessage {
  switch (outcome.type) {
    case 'planned':
      return card(reader, outcome.legs, t(reader.locale, 'settle.card', { count: String(outcome.ious) }));
    case 'cleared':
      return message(reader, 'settle.cleared', { count: String(outcome.ious) });
    case 'rejected':
      return message(reader, outcome.error === 'NotInGroup' ? 'settle.not_in_group' : 'settle.nothing', {});
  }
}

/** A payer's tap: the card again with their line ticked, the result, or why nothing moved. */
export function renderApproved(reader: Reader, outcome: SettleApproveOutcome): OutMessage {
  switch (outcome.type) {
    case 'approved':
      return card(reader, outcome.legs, t(reader.locale, 'settle.waiting'));
    case 'settled':
      return {
        text: `${t(reader.locale, 'settle.done', { count: String(outcome.ious) })}\n${legLines(reader, outcome.legs)}`,
      };
    case 'short': {
      const who = outcome.short
        .map((s) =>
          t(reader.locale, 'settle.short_one', {
            name: s.name,
            available: formatAmount(s.available),
            needed: formatAmount(s.needed),
          }),
        )
        .join('; ');
      return card(reader, outcome.legs, t(reader.locale, 'settle.short', { who }));
    }
    case 'stale':
      return message(reader, 'settle.stale', {});
    case 'rejected':
      return message(reader, 'settle.closed', {});
  }
}
