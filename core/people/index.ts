export * from './model.js';
export {
  createPeople,
  newLinkCode,
  normalizeUsername,
  type People,
  type PeopleDeps,
  type ResolveError,
  type Someone,
} from './service.js';
export { formatClock, formatQuietHours, parseLocale, parseQuietHours, parseTimezone, pickLocale } from './settings.js';
export { localSecondOfDay, outsideQuietHours, quietUntil } from './quiet.js';
export { LINK_ATTEMPT_WINDOW_MS, LINK_ERRORS, MAX_LINK_ATTEMPTS, type LinkError, type LinkResult } from './link.js';
