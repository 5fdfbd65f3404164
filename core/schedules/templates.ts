/** What recurring transfers tell the payer (or each payer of a shared one) and the payee on their own. */
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
  /** To each payer of a shared schedule, the day before a run: the total and their share. Button: Stop reminding me. */
  'schedule.notice_shared': { share: string; amount: string; to: string; runAt: string; note?: string };
  /** To each payer of a shared schedule: a run paid, with their share of it. */
  'schedule.paid_share': { share: string; amount: string; to: string; note?: string };
  /** To each payer of a shared schedule: nothing moved because `short` (names) had too little; tried again at `retryAt`. */
  'schedule.short_shared': { amount: string; to: string; short: string; retryAt: string };
  /** To each payer of a shared schedule: a run was skipped after its tries; the schedule goes on. */
  'schedule.skipped_shared': { amount: string; to: string; tries: string };
  /** To the other payers of a shared schedule: `by` cancelled it. */
  'schedule.cancelled_shared': { id: string; amount: string; to: string; by: string };
}>()({
  'schedule.notice': { deferrable: true, buttons: ['button.stopReminding'] },
  'schedule.paid': { deferrable: false },
  'schedule.received': { deferrable: false },
  'schedule.short': { deferrable: false },
  'schedule.skipped': { deferrable: true },
  'schedule.notice_shared': { deferrable: true, buttons: ['button.stopReminding'] },
  'schedule.paid_share': { deferrable: false },
  'schedule.short_shared': { deferrable: false },
  'schedule.skipped_shared': { deferrable: true },
  'schedule.cancelled_shared': { deferrable: false },
});
