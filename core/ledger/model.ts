/** Ledger model: accounts with cached totals, immutable transfers (shared/LEDGER.md). */
import type { JsonValue } from '../db/wire.js';

export type AccountKind = 'wallet' | 'fund' | 'escrow' | 'system';
export type TransferState = 'posted' | 'pending' | 'voided';

export type { JsonValue };
export type Meta = Record<string, JsonValue>;

export interface Totals {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

export interface Account extends Totals {
  id: bigint;
  kind: AccountKind;
  owner: string;
  currency: string;
  /** debits_must_not_exceed_credits: wallets, funds and escrows. */
  guarded: boolean;
}

export interface Transfer {
  id: bigint;
  ref: string;
  debitAccount: bigint;
  creditAccount: bigint;
  amount: bigint;
  currency: string;
  state: TransferState;
  pendingId: bigint | null;
  reversesId: bigint | null;
  batchRef: string | null;
  kind: string;
  meta: Meta;
  expiresAt: Date | null;
  createdAt: Date;
}

/** One leg of a unit. Every leg carries its own idempotency reference. */
export type Leg =
  | {
      op: 'transfer';
      ref: string;
      debit: bigint;
      credit: bigint;
      amount: bigint;
      kind: string;
      meta?: Meta;
      /** A hold: reserves the amount until a later post or void. */
      pending?: { expiresAt?: Date };
    }
  | { op: 'post'; ref: string; pendingId: bigint; amount?: bigint; kind?: string; meta?: Meta }
  | { op: 'void'; ref: string; pendingId: bigint; kind?: string; meta?: Meta }
  | { op: 'reverse'; ref: string; transferId: bigint; amount?: bigint; kind?: string; meta?: Meta };

/** Legs applied together: all of them or none. `batchRef` names the unit (SPEC §5: legs `<key>#<n>`). */
export interface Unit {
  legs: readonly Leg[];
  batchRef?: string;
}

export interface Balance {
  currency: string;
  /** credits_posted − debits_posted */
  posted: bigint;
  /** posted − debits_pending: what can be spent now. */
  available: bigint;
  pendingIn: bigint;
  pendingOut: bigint;
}

export function balanceOf(account: Account): Balance {
  const posted = account.creditsPosted - account.debitsPosted;
  return {
    currency: account.currency,
    posted,
    available: posted - account.debitsPending,
    pendingIn: account.creditsPending,
    pendingOut: account.debitsPending,
  };
}

/** Lowercase system account names; each maps to one `system:<name>` account per currency. */
export type SystemAccount = 'deposits' | 'payouts' | 'faucet' | 'disputes' | 'fees';
export const systemOwner = (name: SystemAccount): string => `system:${name}`;
