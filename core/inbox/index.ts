/** Inbox: persist every inbound platform delivery first, acknowledge second, process third. */
export {
  admitAll,
  claim,
  claimAll,
  counts,
  createAdmitter,
  createReceiver,
  markDone,
  markDoneAll,
  markFailed,
  pending,
  prune,
  receive,
  receiveAll,
  type InboxDelivery,
  release,
  type InboxRow,
  type InboxState,
} from './store.js';
export {
  createInboxProcessor,
  type InboxProcessor,
  type InboxProcessorDeps,
  type ProcessControl,
} from './processor.js';
