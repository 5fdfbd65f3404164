import type { JsonValue } from '../db/wire.js';
import type { LiveView } from '../live/model.js';
import type { Platform } from '../platform.js';

/**
 * What a button does when its person presses it. The button carries only the action's opaque id; the operation
 * lives server-side in `payload`. Each domain declares its kinds (core/actions/registry.ts).
 */
/** What every press outcome looks like from outside its domain: a type, and an error code when refused. */
export interface Outcome {
  type: string;
  error?: string;
}

/** A button kind and (as a type only) the outcome of pressing it. */
export interface ActionKind<K extends string = string, O extends Outcome = Outcome> {
  readonly kind: K;
  readonly outcome?: O;
}

/** `actionKind<PayOutcome>()('pay.confirm')`: the outcome type given, the kind's name inferred. */
export const actionKind =
  <O extends Outcome>() =>
  <const K extends string>(kind: K): ActionKind<K, O> => ({ kind });

/** What pressing a button of kind `A` reports: `{ type: 'done', kind, outcome }` with that kind's outcome type. */
export type PressedOf<A> = A extends ActionKind<infer K, infer O> ? { type: 'done'; kind: K; outcome: O } : never;

export type ActionPayload = { [key: string]: JsonValue };

/** The outbox kind that ends a button at its deadline (core/actions end.ts). */
export const ACTION_END_KIND = 'action.end';

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
  /**
   * The message whose button was pressed, when the platform said (not stored: only on the action a press consumed).
   * That message shows the press's outcome; a domain ending the action's other copies leaves it alone.
   */
  pressedIn?: { platform: Platform; chatId: string; messageId: string };
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
  /**
   * What the message carrying its button shows once its time is up and nobody pressed it (its final state, no
   * buttons): binding the button to its message schedules that edit (core/actions end.ts). Needs a `ref`.
   */
  endsAs?: LiveView;
}
