export * from './model.js';
export {
  createRequests,
  requestExpireKey,
  requestNudgeKey,
  requestThread,
  type RequestInput,
  type Requests,
  type RequestsDeps,
} from './service.js';
