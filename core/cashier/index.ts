export * from './model.js';
export * from './gateway.js';
export { createCashier, type Cashier, type CashierDeps } from './service.js';
export { owedBy, openReceivable, receivableOwner } from './receivable.js';
export { scheduleReconcile } from './jobs.js';
export { latestFindings, type Finding, type FindingKind, type ReconcileReport } from './reconcile.js';
export { cashierAudit, receivables, type Receivables } from './audit.js';
export {
  DEFAULT_WITHDRAW_FEE,
  PAYOUT_ACTIONS,
  WITHDRAW_CONFIRM,
  WITHDRAW_ERRORS,
  WITHDRAWAL_METADATA,
  withdrawFee,
  type Payouts,
  type SettleOutcome as WithdrawalSettleOutcome,
  type WithdrawConfirmOutcome,
  type WithdrawError,
  type WithdrawFee,
  type WithdrawOutcome,
  type Withdrawal,
  type WithdrawalState,
} from './payouts.js';
export { accountOf, type Accounts, type ConnectError, type ConnectOutcome, type PersonAccount } from './accounts.js';
