/** What deposits tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const CASHIER_TEMPLATES = defineTemplates<{
  /** To the depositor: the card payment arrived and is in the wallet. */
  'deposit.received': { amount: string; available: string };
  /** To the depositor: a delayed payment method (a bank debit) failed; nothing was credited. */
  'deposit.failed': { amount: string };
}>()({
  'deposit.received': { deferrable: false },
  'deposit.failed': { deferrable: false },
});
