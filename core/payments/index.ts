export { claimActionRef, claimExpireKey, escrowOwner, matchClaims } from './claims.js';
export { CSV_HEADER, csvField, csvRow, historyCsv, plainDecimal } from './csv.js';
export { counterpartText } from './history.js';
export * from './model.js';
export { createPayments, type PayInput, type Payments, type PaymentsConfig, type PaymentsDeps } from './service.js';
