/** Wall-clock time in a person's time zone, with Intl only (no date library). */
export { parseClock, type Clock } from './clock.js';
export { addDays, zonedParts, zonedTimeToInstant, type ZonedParts } from './zoned.js';
