export * from './model.js';
export { createIous, iouThread, iouVoidKey, type Ious, type IousDeps } from './service.js';
export { createSettleUp, settleRef, type SettleUp, type SettleUpDeps } from './settle-up.js';
export { netPositions, planSettlement, type Debt, type SettleLeg } from './settle.js';
export { borrowPartRef, createBorrow, type Borrow, type BorrowDeps, type BorrowInput } from './borrow.js';
