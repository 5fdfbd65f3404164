/**
 * One stored update, start to finish: map it, hand the event to the command layer, carry out the effects (the
 * processing slot is given back as soon as they are queued: replies go out at Telegram's pace). A button
 * press is answered within `ackWithinMs` even when the command layer is slower (the client spins until then,
 * and late answers fail); the layer's own answer text is used when it comes in time.
 */
import { scrubSecrets } from '../../config/logger.js';
import type { InboxRow, ProcessControl } from '../../core/inbox/index.js';
import type { Log } from '../../core/log.js';
import { inTheirLanguage, type CommandLayer } from '../commands/types.js';
import type { Effects } from './effects.js';
import { parseUpdate, type BotIdentity } from './update.js';

export interface UpdateHandlerDeps {
  layer: CommandLayer;
  effects: Effects;
  log: Log;
  bot: () => BotIdentity;
  /** Default 700 ms: with the time to store and claim the update, the answer lands well within a second. */
  ackWithinMs?: number;
}

export function createUpdateHandler(
  deps: UpdateHandlerDeps,
): (row: InboxRow, control?: ProcessControl) => Promise<{ note?: string }> {
  const { layer, effects, log } = deps;
  const ackWithinMs = deps.ackWithinMs ?? 700;

  return async (row, control) => {
    const delivery = parseUpdate(row.payload, deps.bot(), row.key);
    const answerer = effects.answerer(delivery.origin);
    const { event, origin } = delivery;
    if (!event || !origin) {
      await answerer.answer();
      log.debug({ key: row.key, reason: delivery.ignored }, 'telegram: update ignored');
      return { note: `ignored: ${delivery.ignored ?? 'nothing to do'}` };
    }
    const early =
      event.type === 'button'
        ? setTimeout(() => {
            void answerer.answer();
          }, ackWithinMs)
        : undefined;
    try {
      const result = await layer.handle(event, { first: row.attempts === 1 });
      clearTimeout(early);
      const delivering = effects.perform(inTheirLanguage(origin, result), result.effects, answerer);
      if (control) {
        // The outcome is committed; its messages may wait for Telegram's pace (1 a second per chat, 20 a minute per
        // group, 30 a second in all). Once they are queued (the outbound keeps each chat's order and merges texts
        // that wait together), neither the chat's next update nor a processing slot need wait for them: money never
        // waits for the chat's pacing. The row stays claimed until they are delivered, and a crash before that
        // replays the recorded outcome and sends them.
        delivering.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
        await new Promise((resolve) => setImmediate(resolve));
        control.releasePartition();
      }
      const problems = await delivering;
      return problems.length > 0 ? { note: scrubSecrets(`delivery: ${problems.join('; ')}`) } : {};
    } catch (err) {
      // The retry comes too late for this press's answer: stop the spinner now.
      await answerer.answer();
      throw err;
    } finally {
      clearTimeout(early);
    }
  };
}
