export { audit, type AuditExtension, type AuditReport, type Invariant, type Violation } from './audit.js';
export { type ApplyHints, type UnitResult } from './engine.js';
export { LEDGER_ERRORS, isLedgerError, type LedgerError } from './errors.js';
export * from './model.js';
export * from './queries.js';
export { createLedger, type Ledger, type LedgerDeps } from './service.js';
