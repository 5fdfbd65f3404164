/**
 * Every private message the core sends, as typed templates. The notifications worker renders
 * `key` in the recipient's language with `params`; params are plain strings: amounts already
 * formatted (`12.50 USD`, the same in every language), timestamps as ISO 8601 (`…At`: render them in
 * the recipient's time zone), `note` only present when there is one.
 */
import type { Executor } from '../db/executor.js';
import { notify } from '../outbox/index.js';

export interface TemplateParams {
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
  /** To a payer: a new money request. Buttons: Pay, Decline. */
  'request.incoming': { amount: string; from: string; dueAt: string; note?: string };
  /** To a payer at half-time of an open request. Buttons: Pay, Decline. */
  'request.nudge': { amount: string; from: string; dueAt: string; note?: string };
  /** To a requester: their request was paid. */
  'request.paid': { amount: string; payer: string; note?: string };
  /** To a requester: their request was declined. */
  'request.declined': { amount: string; payer: string; note?: string };
  /** To a payer: a request to them expired unanswered. */
  'request.expired.payer': { amount: string; from: string; note?: string };
  /** To a requester: their request expired unanswered. Button: Ask someone else. */
  'request.expired.requester': { amount: string; payer: string; note?: string };
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
}

/**
 * Which templates may wait for the end of the recipient's quiet hours (reminders and non-urgent
 * notices) and which go out at once (money received or sent, something to answer now). Exhaustive: a
 * new template must choose.
 */
export const DEFERRABLE: Readonly<Record<TemplateKey, boolean>> = {
  'pay.received': false,
  'pay.undone': false,
  'claim.matched': false,
  'claim.received': false,
  'claim.returned': true,
  'request.incoming': false,
  'request.nudge': true,
  'request.paid': false,
  'request.declined': false,
  'request.expired.payer': true,
  'request.expired.requester': true,
  'schedule.notice': true,
  'schedule.paid': false,
  'schedule.received': false,
  'schedule.short': false,
  'schedule.skipped': true,
};

export type TemplateKey = keyof TemplateParams;

/** i18n keys of button labels used in notifications. */
export const BUTTON_LABELS = {
  release: 'button.release',
  return: 'button.return',
  pay: 'button.pay',
  decline: 'button.decline',
  askSomeoneElse: 'button.askSomeoneElse',
  stopReminding: 'button.stopReminding',
  activate: 'button.activate',
} as const;
export type ButtonLabel = (typeof BUTTON_LABELS)[keyof typeof BUTTON_LABELS];

/** Schedules a typed notification to a person, in the caller's transaction (idempotent on `key`). */
export function notifyPerson<K extends TemplateKey>(
  exec: Executor,
  input: {
    key: string;
    personId: bigint;
    template: K;
    params: TemplateParams[K];
    buttons?: Array<Array<{ labelKey: ButtonLabel; actionId: string }>>;
    dueAt?: Date;
    /** The reminder thread (`schedule:<id>`): muting it cancels this notification while it waits. */
    thread?: string;
  },
): Promise<boolean> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.params)) if (typeof v === 'string') params[k] = v;
  return notify(exec, {
    key: input.key,
    personId: input.personId,
    template: {
      key: input.template,
      params,
      ...(input.buttons ? { buttons: input.buttons } : {}),
      // Only the exception is written: rows without the flag are deferrable.
      ...(DEFERRABLE[input.template] ? {} : { deferrable: false }),
      ...(input.thread ? { thread: input.thread } : {}),
    },
    ...(input.dueAt ? { dueAt: input.dueAt } : {}),
  });
}

/** `note` as an optional param. */
export const withNote = (note: string | null): { note?: string } => (note ? { note } : {});
