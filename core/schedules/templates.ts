/** What recurring transfers tell the payer and the payee on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const SCHEDULE_TEMPLATES = defineTemplates<{
  /** To a payer, the day before a recurring run. Button: Stop reminding me. */
  'schedule.notice': { amount: string; to: string; runAt: string; note?: string };
  /** To a payer: a recurring run paid. */
  'schedule.paid': { amount: string; to: string; note?: string };
  /** To a payee: money from a recurring transfer. */
  'schedule.received': { amount: string; from: string; note?: string };
  /** To a payer: a run found too little money; it is tried again at `retryAt`. */
  'schedule.short': { amount: string; to: string; retryAt: string };
  /** To a payer: a run was skipped after its tries; the schedule goes on. */
  'schedule.skipped': { amount: string; to: string; tries: string };
}>()({
  'schedule.notice': { deferrable: true, buttons: ['button.stopReminding'] },
  'schedule.paid': { deferrable: false },
  'schedule.received': { deferrable: false },
  'schedule.short': { deferrable: false },
  'schedule.skipped': { deferrable: true },
});
