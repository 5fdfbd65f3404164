export * from './model.js';
export {
  adoptLive,
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
