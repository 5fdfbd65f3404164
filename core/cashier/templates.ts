/** What deposits tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const CASHIER_TEMPLATES = defineTemplates<{
  /** To the depositor: the card payment arrived and is in the wallet. */
  'deposit.received': { amount: string; available: string };
  /** To the depositor: a delayed payment method (a bank debit) failed; nothing was credited. */
  'deposit.failed': { amount: string };
  /** To the withdrawer: Stripe refused the transfer for good; the holds (amount and fee) are back in the wallet. */
  'withdraw.refused': { amount: string; total: string };
  /** To the withdrawer: the payout reached their bank (it may still be returned: RELIABILITY S6). */
  'withdraw.paid': { amount: string };
  /** To the withdrawer: the bank returned the payout; amount and fee are back in the wallet. */
  'withdraw.returned': { amount: string; total: string };
}>()({
  'deposit.received': { deferrable: false },
  'deposit.failed': { deferrable: false },
  'withdraw.refused': { deferrable: false },
  'withdraw.paid': { deferrable: false },
  'withdraw.returned': { deferrable: false },
});
