export * from './model.js';
export * from './registry.js';
export {
  ACTION_ID,
  bindMessages,
  createButtonBinder,
  type ButtonsShown,
  consumeAction,
  createAction,
  expireActionsByRef,
  findActionByRef,
  reopenAction,
  sweepActions,
  type Press,
} from './service.js';
