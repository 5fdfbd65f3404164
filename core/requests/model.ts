import { actionKind } from '../actions/model.js';
import type { Amount } from '../money/amount.js';
import type { ActorInput, Platform } from '../people/model.js';
import type { Noop, PayError } from '../payments/model.js';

/** Who is asked to pay: by id (reply-to, mention with an id, Discord option) or the current holder of an @username. */
export type RequestPayer = { personId: bigint } | { actor: ActorInput } | { username: string; platform: Platform };

export const REQUEST_ERRORS = [
  'SelfRequest',
  'RecipientIsBot',
  'UnknownRecipient',
  'InvalidUsername',
  'InvalidAmount',
  'DeadlineInPast',
  'DeadlineTooFar',
] as const;
export type RequestError = (typeof REQUEST_ERRORS)[number];

/** The latest deadline a request may have. */
export const MAX_REQUEST_TTL_MS = 30 * 24 * 3_600_000;

export type RequestOutcome =
  | {
      type: 'requested';
      requestId: bigint;
      /** Bound to the payer: show them in the chat too; only the payer can press. */
      payActionId: string;
      declineActionId: string;
      dueAt: Date;
      /** The requester typed no deadline: `dueAt` is the default, this long after the request (REQUEST_TTL). */
      defaultTtlMs?: number;
      amount: Amount;
      note: string | null;
      payerPersonId: bigint;
      payerName: string;
      /** The chat's card is a live message: its buttons go when the request is answered or expires. */
      card: { ref: string; version: bigint };
    }
  | { type: 'rejected'; error: RequestError };

/** A default deadline in hours as people read it: `24`, `1.5` (under an hour, two digits: `0.25`). */
export function ttlHours(ms: number): string {
  const hours = ms / 3_600_000;
  return String(hours >= 1 ? Math.round(hours * 10) / 10 : Number(hours.toPrecision(2)));
}

export const REQUEST_STATE_ERRORS = ['RequestNotFound', 'RequestPaid', 'RequestDeclined', 'RequestExpired'] as const;
export type RequestStateError = (typeof REQUEST_STATE_ERRORS)[number];

export type PayRequestOutcome =
  | {
      type: 'paid';
      requestId: bigint;
      transferId: bigint;
      amount: Amount;
      note: string | null;
      requesterPersonId: bigint;
      requesterName: string;
    }
  | { type: 'rejected'; error: RequestStateError | PayError };

export type DeclineOutcome =
  | {
      type: 'declined';
      requestId: bigint;
      amount: Amount;
      note: string | null;
      requesterPersonId: bigint;
      requesterName: string;
    }
  | { type: 'rejected'; error: RequestStateError };

/** "Ask someone else": the command layer offers the same request (amount, note) to a new payer. */
export type ReaskOutcome =
  | { type: 'reask'; requestId: bigint; amount: Amount; note: string | null; previousPayerName: string }
  | { type: 'rejected'; error: 'RequestNotFound' };

export type NudgeOutcome =
  { type: 'nudged'; requestId: bigint; at: Date } | { type: 'skipped'; reason: 'QuietUntilDeadline' | 'Muted' } | Noop;

export type ExpireOutcome = { type: 'expired'; requestId: bigint } | Noop;

// The buttons of this domain, with the outcome a press produces.
/** payer: pay a money request (payload: requestId) */
export const REQUEST_PAY = actionKind<PayRequestOutcome>()('request.pay');
/** payer: decline a money request (payload: requestId) */
export const REQUEST_DECLINE = actionKind<DeclineOutcome>()('request.decline');
/** requester, after expiry: start the same request to someone else (payload: amount, note) */
export const REQUEST_REASK = actionKind<ReaskOutcome>()('request.reask');
export const REQUEST_ACTIONS = [REQUEST_PAY, REQUEST_DECLINE, REQUEST_REASK] as const;
