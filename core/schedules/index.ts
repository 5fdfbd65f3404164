export * from './model.js';
export * from './grammar.js';
export {
  SCHEDULE_MAX_TRIES,
  SCHEDULE_RETRY_DELAY_MS,
  createSchedules,
  scheduleNoticeKey,
  scheduleRef,
  scheduleRunKey,
  scheduleThread,
  type ScheduleCreateInput,
  type Schedules,
  type SchedulesConfig,
  type SchedulesDeps,
} from './service.js';
