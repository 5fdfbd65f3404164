export * from './model.js';
export * from './grammar.js';
export { occurrence, occurrences, ruleText, wallClockAt, type WallClock } from './rule.js';
export {
  DEFAULT_MAX_TRIES,
  DEFAULT_RETRY_DELAY_MS,
  createSchedules,
  scheduleNoticeKey,
  scheduleRef,
  scheduleRunKey,
  scheduleThread,
  type CreateInput,
  type Schedules,
  type SchedulesConfig,
  type SchedulesDeps,
} from './service.js';
