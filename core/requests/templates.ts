/** What money requests tell the payer and the requester on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const REQUEST_TEMPLATES = defineTemplates<{
  /**
   * The request card in the chat (a live message): the chat's reply to /request (`reason` default: the requester typed
   * no deadline, `hours` is the default's). Buttons: Pay, Decline.
   */
  'request.sent': { name: string; amount: string; dueAt: string; note?: string; reason?: 'default'; hours?: string };
  /** Every copy of a request's card once it is answered or expired (the chat's card, the payer's private ones). */
  'request.card.paid': { payer: string; requester: string; amount: string; note?: string };
  'request.card.declined': { payer: string; requester: string; amount: string; note?: string };
  'request.card.expired': { payer: string; requester: string; amount: string; note?: string };
  /**
   * To a payer: a new money request (`reason` default: the requester typed no deadline, `hours` is the default's).
   * Buttons: Pay, Decline.
   */
  'request.incoming': {
    amount: string;
    from: string;
    dueAt: string;
    note?: string;
    reason?: 'default';
    hours?: string;
  };
  /** To a payer at half-time of an open request. Buttons: Pay, Decline, Stop reminding me. */
  'request.nudge': { amount: string; from: string; dueAt: string; note?: string };
  /** To a requester: their request was paid. */
  'request.paid': { amount: string; payer: string; note?: string };
  /** To a requester: their request was declined. */
  'request.declined': { amount: string; payer: string; note?: string };
  /** To a payer: a request to them expired unanswered. */
  'request.expired.payer': { amount: string; from: string; note?: string };
  /** To a requester: their request expired unanswered. Button: Ask someone else. */
  'request.expired.requester': { amount: string; payer: string; note?: string };
}>()({
  'request.sent': { deferrable: false, buttons: ['button.pay', 'button.decline'] },
  'request.card.paid': { deferrable: false },
  'request.card.declined': { deferrable: false },
  'request.card.expired': { deferrable: false },
  'request.incoming': { deferrable: false, buttons: ['button.pay', 'button.decline'] },
  'request.nudge': { deferrable: true, buttons: ['button.pay', 'button.decline', 'button.stopReminding'] },
  'request.paid': { deferrable: false },
  'request.declined': { deferrable: false },
  'request.expired.payer': { deferrable: true },
  'request.expired.requester': { deferrable: true, buttons: ['button.askSomeoneElse'] },
});
