/** What payments and money held for an @username tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const PAYMENT_TEMPLATES = defineTemplates<{
  /** The payer's reply once its Undo button is gone (core/actions end.ts): the payment, without the hint. */
  'pay.paid': { amount: string; name: string; note?: string };
  /** A confirm card nobody confirmed in time, without its button. */
  'pay.confirm_expired': { amount: string; name: string; note?: string };
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
  'pay.paid': { deferrable: false },
  'pay.confirm_expired': { deferrable: false },
  'pay.received': { deferrable: false },
  'pay.undone': { deferrable: false },
  'claim.matched': { deferrable: false, buttons: ['button.release', 'button.return'] },
  'claim.received': { deferrable: false },
  'claim.returned': { deferrable: true },
});
