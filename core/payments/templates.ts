/** What payments and money held for an @username tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const PAYMENT_TEMPLATES = defineTemplates<{
  /** To the recipient of a payment. */
  'pay.received': { amount: string; from: string; note?: string };
  /** To the recipient of a payment the payer undid. */
  'pay.undone': { amount: string; from: string };
  /** To a sender: someone with the @username they paid has appeared. Buttons: Release, Return. */
  'claim.matched': {
    amount: string;
    username: string;
    claimantName: string;
    claimantId: string;
    platform: string;
    expiresAt: string;
  };
  /** To the claimant: the money held for their @username was released to them. */
  'claim.received': { amount: string; from: string; note?: string };
  /** To a sender: the money held for @username came back (expired or taken back). */
  'claim.returned': { amount: string; username: string; reason: 'expired' | 'cancelled' };
}>()({
  'pay.received': { deferrable: false },
  'pay.undone': { deferrable: false },
  'claim.matched': { deferrable: false, buttons: ['button.release', 'button.return'] },
  'claim.received': { deferrable: false },
  'claim.returned': { deferrable: true },
});
