export * from './model.js';
export { isMember, leftChat, membersOf, seenInChats, whereSeen } from './service.js';
