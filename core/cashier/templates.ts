/** What deposits tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const CASHIER_TEMPLATES = defineTemplates<{
  /** To the depositor: the card payment arrived and is in the wallet. */
  'deposit.received': { amount: string; available: string };
  /** To the depositor: a delayed payment method (a bank debit) failed; nothing was credited. */
  'deposit.failed': { amount: string };
  /** To the depositor: a card deposit was refunded and the wallet covered it. */
  'refund.taken': { amount: string };
  /** To the depositor: a refund the wallet could not cover (`taken` from it, `owed` in all): withdrawals wait. */
  'refund.owed': { amount: string; taken: string; owed: string };
  /** To the depositor: the card payment was disputed; the wallet covered it. */
  'dispute.taken': { amount: string };
  /** To the depositor: a dispute the wallet could not cover. */
  'dispute.owed': { amount: string; taken: string; owed: string };
  /** To the depositor: the dispute was decided in their favour; the money is back. */
  'dispute.won': { amount: string };
  /** To the depositor: a deposit paid off (part of) what they owed. */
  'receivable.covered': { amount: string; owed: string };
  /** To the withdrawer: Stripe refused the transfer for good; the holds (amount and fee) are back in the wallet. */
  'withdraw.refused': { amount: string; total: string };
  /** To the withdrawer: the payout reached their bank (it may still be returned: RELIABILITY S6). */
  'withdraw.paid': { amount: string };
  /** To the withdrawer: the bank returned the payout; amount and fee are back in the wallet. */
  'withdraw.returned': { amount: string; total: string };
}>()({
  'deposit.received': { deferrable: false },
  'deposit.failed': { deferrable: false },
  'refund.taken': { deferrable: false },
  'refund.owed': { deferrable: false },
  'dispute.taken': { deferrable: false },
  'dispute.owed': { deferrable: false },
  'dispute.won': { deferrable: false },
  'receivable.covered': { deferrable: false },
  'withdraw.refused': { deferrable: false },
  'withdraw.paid': { deferrable: false },
  'withdraw.returned': { deferrable: false },
});
