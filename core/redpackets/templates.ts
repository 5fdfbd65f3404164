/** What red packets show: the card in the chat (a live message) and the notice to the sender at the deadline. */
import { defineTemplates } from '../outbox/notify.js';

export const REDPACKET_TEMPLATES = defineTemplates<{
  /**
   * The packet's card, kept up to date as people claim: who got how much (`claims`, one line each, empty before the
   * first), then at the end the luckiest (`reason: 'done'`, random shares) or what went back (`reason: 'expired'`).
   * `reason: 'equal'`: an open packet of equal shares; `done_equal`: all of them claimed.
   */
  'redpacket.card': {
    sender: string;
    total: string;
    count: string;
    claimed: string;
    left: string;
    closesAt: string;
    claims: string;
    note?: string;
    luckiest?: string;
    returned?: string;
    reason?: 'equal' | 'done' | 'done_equal' | 'expired';
  };
  /** To the sender at the deadline: the unclaimed rest is back in their wallet. */
  'redpacket.returned': { amount: string; total: string; unclaimed: string };
}>()({
  'redpacket.card': { deferrable: false, buttons: ['redpacket.claim_button'] },
  'redpacket.returned': { deferrable: true },
});
