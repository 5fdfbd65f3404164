/** What group funds tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const FUND_TEMPLATES = defineTemplates<{
  /** To the payee of a spend the members passed. */
  'fund.received': { amount: string; fund: string; note?: string };
  /** To the member who asked: the members passed the spend and it was paid. */
  'fund.spend_passed': { amount: string; fund: string; payee: string };
  /** To the member who asked: the spend did not pass in time, or the fund was short when it did. */
  'fund.spend_failed': { amount: string; fund: string; payee: string; reason: 'vote' | 'funds' };
  /**
   * The vote's card in the chat, kept up to date as a live message: the tally while open, then the result
   * (`reason`: passed, failed in time, or passed but the fund was short).
   */
  'fund.vote_card': {
    name: string;
    amount: string;
    payee: string;
    yes: string;
    no: string;
    needed: string;
    members: string;
    closesAt: string;
    note?: string;
    reason?: 'passed' | 'failed' | 'funds';
  };
  /** To someone who answered a fund's vote without being its member: why it did not count. */
  'fund.not_member': { fund: string; amount: string };
  /** To whoever added to a locked pot: a thank-you on the beneficiary's behalf. */
  'fund.thanks': { fund: string; amount: string; beneficiary: string; unlocksAt: string };
  /** To a pot's beneficiary at its date: the whole balance is in their wallet. */
  'fund.matured': { fund: string; amount: string };
  /** To a pot's creator at its date: what went to the beneficiary. */
  'fund.matured_creator': { fund: string; amount: string; beneficiary: string };
  /** To a pot's creator at its date when the @username it is for has not shown up yet: it waits for them. */
  'fund.pot_waiting': { fund: string; amount: string; username: string };
  /**
   * To a pot's creator when someone holding the pot's @username first shows up: is it them? (Usernames change hands:
   * the name and id to check, and a button to confirm.)
   */
  'fund.pot_matched': {
    fund: string;
    amount: string;
    username: string;
    claimantName: string;
    claimantId: string;
    platform: string;
  };
  /** To a contributor when the members closed the fund: their share of what was left. */
  'fund.refunded': { fund: string; amount: string };
  /** To the member who asked to close a fund: the members did not pass it (or the fund was no longer open). */
  'fund.close_failed': { fund: string; amount: string; reason: 'vote' | 'gone' };
  /** The close vote's card, kept up to date like a spend's (`reason`: passed, or failed in time). */
  'fund.close_card': {
    name: string;
    balance: string;
    yes: string;
    no: string;
    needed: string;
    members: string;
    closesAt: string;
    reason?: 'passed' | 'failed';
  };
}>()({
  'fund.thanks': { deferrable: false },
  'fund.matured': { deferrable: false },
  'fund.matured_creator': { deferrable: false },
  'fund.refunded': { deferrable: false },
  'fund.pot_waiting': { deferrable: false },
  'fund.pot_matched': { deferrable: false, buttons: ['button.pot_bind'] },
  'fund.close_card': { deferrable: false },
  'fund.close_failed': { deferrable: false },
  'fund.vote_card': { deferrable: false },
  'fund.not_member': { deferrable: false },
  'fund.received': { deferrable: false },
  'fund.spend_passed': { deferrable: false },
  'fund.spend_failed': { deferrable: false },
});
