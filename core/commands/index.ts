export { dbNow, transact, withSavepoint } from './db.js';
export {
  BUTTON_LABELS,
  DEFERRABLE,
  notifyPerson,
  type ButtonLabel,
  type TemplateKey,
  type TemplateParams,
} from './notifications.js';
export { COMMAND_LOG_RETENTION_MS, once, pruneCommandLog, type OnceInput, type OnceResult } from './once.js';
export { amountFromWire, bigintFromWire, dateFromWire, toWire, type Json, type Wire } from './wire.js';
