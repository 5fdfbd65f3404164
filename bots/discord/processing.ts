/**
 * One stored interaction, start to finish: read it, hand the event to the command layer, carry out the effects
 * through the interaction webhook. A row reaches this only once its deferral went out (intake.ts admits it), so
 * this may take its time (a slow ledger) up to the token's 15 minutes. A row found later than that (a crash and a
 * long outage, or a row whose intake died before acknowledging it: held until then) is not run: its user saw the
 * interaction fail, and a payment they can no longer see confirmed must not happen.
 */
import type { InboxRow } from '../../core/inbox/index.js';
import type { Log } from '../../core/log.js';
import type { CommandLayer } from '../commands/types.js';
import type { InteractionEffects } from './effects.js';
import { parseInteraction } from './interaction.js';

/** Interaction tokens live 15 minutes; keep a minute for the follow-ups themselves. */
export const TOKEN_USABLE_MS = 14 * 60_000;

export interface InteractionHandlerDeps {
  layer: CommandLayer;
  effects: InteractionEffects;
  log: Log;
  now?: () => number;
}

export function createInteractionHandler(deps: InteractionHandlerDeps): (row: InboxRow) => Promise<{ note?: string }> {
  const { layer, effects, log } = deps;
  const now = deps.now ?? Date.now;

  return async (row) => {
    const interaction = parseInteraction(row.payload);
    if (interaction.kind !== 'event') {
      const reason = interaction.kind === 'ping' ? 'ping' : interaction.reason;
      log.debug({ key: row.key, reason }, 'discord: interaction ignored');
      return { note: `ignored: ${reason}` };
    }
    const ageMs = now() - row.receivedAt.getTime();
    if (ageMs > TOKEN_USABLE_MS) {
      log.warn({ key: row.key, ageMs }, 'discord: interaction token expired before processing; not run');
      return { note: 'expired: interaction token too old; not run' };
    }
    const { event, ref, ephemeral } = interaction;
    const result = await layer.handle(event, { first: row.attempts === 1 });
    const problems = await effects.perform(
      { ref, kind: event.type === 'command' ? 'command' : 'button', ephemeral },
      result.effects,
    );
    return problems.length > 0 ? { note: `delivery: ${problems.join('; ')}` } : {};
  };
}
