import type { JsonValue } from '../ledger/model.js';
import type { Platform } from '../people/model.js';

/**
 * What a button does when its person presses it. The button carries only the action's opaque id; the
 * operation lives server-side in `payload`.
 * - `pay.confirm`      payer: make the payment shown on the confirm card (payload: the whole pay)
 * - `pay.undo`         payer: reverse a payment within UNDO_WINDOW (payload: transferId)
 * - `claim.release`    sender: pay money held for an @username to the person who now holds it (payload: claimId)
 * - `claim.return`     sender: take money held for an @username back now (payload: claimId)
 * - `request.pay`      payer: pay a money request (payload: requestId)
 * - `request.decline`  payer: decline a money request (payload: requestId)
 * - `request.reask`    requester, after expiry: start the same request to someone else (payload: amount, note)
 * - `schedule.activate` payer: start a recurring transfer shown on its confirm card (payload: scheduleId)
 * - `reminder.mute`    anyone reminded: stop the reminders of a thread (payload: thread)
 */
export const ACTION_KINDS = [
  'pay.confirm',
  'pay.undo',
  'claim.release',
  'claim.return',
  'request.pay',
  'request.decline',
  'request.reask',
  'schedule.activate',
  'reminder.mute',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const isActionKind = (v: string): v is ActionKind => (ACTION_KINDS as readonly string[]).includes(v);

export type ActionPayload = { [key: string]: JsonValue };

export type ActionState = 'pending' | 'consumed' | 'expired';

export interface Action {
  /** 16 random bytes, base64url (22 characters): the only thing a button carries. */
  id: string;
  ref: string | null;
  /** The only person allowed to press it. */
  personId: bigint;
  /** null: pressable wherever the person sees it (a private notification). */
  platform: Platform | null;
  chatId: string | null;
  messageId: string | null;
  kind: string;
  payload: ActionPayload;
  state: ActionState;
  expiresAt: Date;
  createdAt: Date;
  consumedAt: Date | null;
}

export const CONSUME_ERRORS = ['Unknown', 'NotYours', 'Expired', 'AlreadyUsed', 'WrongChat'] as const;
export type ConsumeError = (typeof CONSUME_ERRORS)[number];

export type ConsumeResult = { ok: true; action: Action } | { ok: false; error: ConsumeError };

export interface NewAction {
  personId: bigint;
  platform?: Platform | null;
  chatId?: string | null;
  kind: ActionKind;
  payload: ActionPayload;
  ttlMs: number;
  /** Business reference: creating an action with a ref that exists returns the existing one. */
  ref?: string;
}
