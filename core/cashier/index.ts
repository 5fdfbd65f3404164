export * from './model.js';
export * from './gateway.js';
export { createCashier, type Cashier, type CashierDeps } from './service.js';
export { owedBy, openReceivable, receivableOwner } from './receivable.js';
export { scheduleReconcile } from './jobs.js';
export { latestFindings, type Finding, type FindingKind, type ReconcileReport } from './reconcile.js';
export { cashierAudit, receivables, type Receivables } from './audit.js';
