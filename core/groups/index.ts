export * from './model.js';
export { isMember, leftChat, membersOf, seenInChat } from './service.js';
