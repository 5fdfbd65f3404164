export * from './model.js';
export { createIous, iouThread, iouVoidKey, type Ious, type IousDeps } from './service.js';
