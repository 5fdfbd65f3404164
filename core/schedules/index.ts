export * from './model.js';
export * from './grammar.js';
export {
  MAX_SHARERS,
  MAX_SHARE_WEIGHT,
  SCHEDULE_MAX_TRIES,
  SCHEDULE_RETRY_DELAY_MS,
  createSchedules,
  scheduleNoticeKey,
  scheduleRef,
  scheduleRunKey,
  scheduleThread,
  splitShares,
  type ScheduleCreateInput,
  type Schedules,
  type SchedulesConfig,
  type SchedulesDeps,
} from './service.js';
