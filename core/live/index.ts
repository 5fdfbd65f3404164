export * from './model.js';
export {
  bindLive,
  liveEditKey,
  postLive,
  readLive,
  recordShown,
  takeLiveEdit,
  touchLive,
  type LiveBinding,
  type ScheduleOptions,
} from './service.js';
