export * from './model.js';
export {
  ACTION_ID,
  bindMessage,
  consumeAction,
  createAction,
  expireActionsByRef,
  findActionByRef,
  getAction,
  reopenAction,
  sweepActions,
  type Press,
} from './service.js';
