/** What collections tell people on their own, and their card in the chat. */
import { defineTemplates } from '../outbox/notify.js';

export const COLLECTION_TEMPLATES = defineTemplates<{
  /**
   * The collection's card, kept up to date as a live message: who paid (✓), who has not (◻), who was excused (⊘)
   * in `roster`, one line each; `to` is the collector's name or "💼 <fund>". Closed or complete: `reason`.
   */
  'collect.card': {
    id: string;
    collector: string;
    what: string;
    to: string;
    collected: string;
    expected: string;
    paid: string;
    count: string;
    roster: string;
    reason?: 'closed' | 'complete';
  };
  /** To someone who has not paid, every 24 h (or when the collector says now). Buttons: Pay, Stop reminding me. */
  'collect.reminder': { collector: string; what: string; amount: string; to: string };
  /** To the collector: everyone paid (or was excused). */
  'collect.complete': { what: string; collected: string; count: string };
}>()({
  'collect.card': { deferrable: false, buttons: ['button.pay', 'button.remindUnpaid', 'button.closeCollection'] },
  'collect.reminder': { deferrable: true, buttons: ['button.pay', 'button.stopReminding'] },
  'collect.complete': { deferrable: false },
});
