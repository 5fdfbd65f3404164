export * from './model.js';
export {
  ACTION_ID,
  bindMessage,
  bindMessages,
  createButtonBinder,
  type ButtonsShown,
  consumeAction,
  createAction,
  expireActionsByRef,
  findActionByRef,
  getAction,
  reopenAction,
  sweepActions,
  type Press,
} from './service.js';
