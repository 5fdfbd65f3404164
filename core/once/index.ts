export { COMMAND_LOG_RETENTION_MS, once, pruneCommandLog, type OnceInput, type OnceResult } from './once.js';
