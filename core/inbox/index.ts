/** Inbox: persist every inbound platform delivery first, acknowledge second, process third (RELIABILITY rule 2). */
export {
  claim,
  claimNext,
  counts,
  markDone,
  markFailed,
  pending,
  prune,
  receive,
  release,
  type InboxRow,
  type InboxState,
} from './store.js';
export { createInboxProcessor, type InboxProcessor, type InboxProcessorDeps } from './processor.js';
