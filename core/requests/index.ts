export * from './model.js';
export {
  createRequests,
  requestExpireKey,
  requestNudgeKey,
  type RequestInput,
  type Requests,
  type RequestsDeps,
} from './service.js';
