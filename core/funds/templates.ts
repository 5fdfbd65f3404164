/** What group funds tell people on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const FUND_TEMPLATES = defineTemplates<{
  /** To the payee of a spend the members passed. */
  'fund.received': { amount: string; fund: string; note?: string };
  /** To the member who asked: the members passed the spend and it was paid. */
  'fund.spend_passed': { amount: string; fund: string; payee: string };
  /** To the member who asked: the spend did not pass in time, or the fund was short when it did. */
  'fund.spend_failed': { amount: string; fund: string; payee: string; reason: 'vote' | 'funds' };
}>()({
  'fund.received': { deferrable: false },
  'fund.spend_passed': { deferrable: false },
  'fund.spend_failed': { deferrable: false },
});
