import type { Row } from '../db/executor.js';
import type { Account, AccountKind, Meta, Transfer, TransferState } from './model.js';

export const ACCOUNT_COLUMNS =
  'id, kind, owner, currency, guarded, debits_pending, debits_posted, credits_pending, credits_posted';
export const TRANSFER_COLUMNS =
  'id, ref, debit_account, credit_account, amount, currency, state, pending_id, reverses_id, batch_ref, kind, meta, expires_at, created_at';

// int8 arrives as a string from pg and as a bigint or number from PGlite: BigInt() takes all three.
const big = (v: unknown): bigint => BigInt(v as string | number | bigint);
const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export function toAccount(r: Row): Account {
  return {
    id: big(r.id),
    kind: r.kind as AccountKind,
    owner: String(r.owner),
    currency: String(r.currency),
    guarded: Boolean(r.guarded),
    debitsPending: big(r.debits_pending),
    debitsPosted: big(r.debits_posted),
    creditsPending: big(r.credits_pending),
    creditsPosted: big(r.credits_posted),
  };
}

export function toTransfer(r: Row): Transfer {
  return {
    id: big(r.id),
    ref: String(r.ref),
    debitAccount: big(r.debit_account),
    creditAccount: big(r.credit_account),
    amount: big(r.amount),
    currency: String(r.currency),
    state: r.state as TransferState,
    pendingId: bigOrNull(r.pending_id),
    reversesId: bigOrNull(r.reverses_id),
    batchRef: typeof r.batch_ref === 'string' ? r.batch_ref : null,
    kind: String(r.kind),
    meta: (typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta) as Meta,
    expiresAt: r.expires_at === null ? null : date(r.expires_at),
    createdAt: date(r.created_at),
  };
}
