export * from './model.js';
export {
  bindLive,
  liveEditKey,
  readLive,
  recordShown,
  takeLiveEdit,
  touchLive,
  type LiveBinding,
  type ScheduleOptions,
} from './service.js';
