export * from './model.js';
export * from './gateway.js';
export { createCashier, type Cashier, type CashierDeps } from './service.js';
export { owedBy, openReceivable, receivableOwner } from './receivable.js';
