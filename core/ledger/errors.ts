/**
 * Expected ledger outcomes that are not successes. They are values, never thrown; each adapter maps
 * them to its medium through an exhaustive Record<LedgerError, …>, so a new code without a message
 * fails to compile.
 */
export const LEDGER_ERRORS = [
  'InsufficientFunds',
  'SameAccount',
  'CurrencyMismatch',
  'AccountNotFound',
  'InvalidAmount',
  'PendingNotFound',
  'PendingAlreadyResolved',
  'PendingExpired',
  'AmountExceedsPending',
  'TransferNotFound',
  'NotReversible',
  'ReversalExceedsTransfer',
  'IdempotencyConflict',
  'EmptyUnit',
] as const;

export type LedgerError = (typeof LEDGER_ERRORS)[number];

export const isLedgerError = (value: unknown): value is LedgerError =>
  typeof value === 'string' && (LEDGER_ERRORS as readonly string[]).includes(value);

/** The refusals a plain transfer between two accounts can meet, as the chat features name them. */
export type TransferRefusal = 'InsufficientFunds' | 'CurrencyMismatch' | 'InvalidAmount' | 'KeyConflict';

/** A ledger refusal of a plain transfer (a payment, a fund's add or payout); any other refusal there is a bug. */
export function transferRefusalOf(error: LedgerError, what: string): TransferRefusal {
  switch (error) {
    case 'InsufficientFunds':
    case 'CurrencyMismatch':
    case 'InvalidAmount':
      return error;
    case 'IdempotencyConflict':
      return 'KeyConflict';
    default:
      throw new Error(`unexpected ledger refusal for ${what}: ${error}`);
  }
}
