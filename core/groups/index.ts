export * from './model.js';
export { isMember, leftChat, membersOf, seenInChats } from './service.js';
