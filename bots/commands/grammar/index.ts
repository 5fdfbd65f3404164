/** The grammar every command shares: parsed once here, for every command and both platforms. */
export * from './amount.js';
export * from './date.js';
export * from './deadline.js';
export * from './errors.js';
export * from './input.js';
export * from './note.js';
export * from './recipient.js';
export * from './transfer.js';
