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
