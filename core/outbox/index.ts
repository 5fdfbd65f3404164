/** Work due later (timed jobs and notifications), written in the same transaction as its cause. */
export * from './service.js';
export * from './notify.js';
