/**
 * The ports of the live-message editor (core/live): one Editor per platform and the renderer of a live view.
 * app.ts wires them over the transports and the command layer's templates, like the notifier's Senders.
 */
import type { OutMessage } from '../../bots/commands/types.js';
import type { LiveView } from '../../core/live/index.js';

/** What a transport offers for editing its earlier messages (bots/commands/types.ts: transports implement it). */
export { MessageGone, type Editor, type Editors } from '../../bots/commands/types.js';

export interface LiveRenderer {
  /** The message for `view` (bots/commands `renderNotification`). Throwing is a programmer error: a dead letter. */
  render(view: LiveView): OutMessage | Promise<OutMessage>;
}
