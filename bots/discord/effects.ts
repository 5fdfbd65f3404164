/**
 * Effects → the interaction webhook (`/webhooks/{app id}/{token}`, valid 15 minutes after the interaction, D3).
 * The interaction was already deferred: a command's "thinking…" message is replaced by its first reply when both
 * are equally private, otherwise removed, so a refusal after a public deferral is still seen by the actor only.
 * A button's deferred update (type 6) makes @original the message the button is on: an `edit` rewrites it. A
 * failed effect is logged and reported, not thrown: the command already happened (RELIABILITY rule 4).
 */
import { Routes } from 'discord-api-types/v10';
import type { REST } from 'discord.js';
import type { Log } from '../../core/log.js';
import type { Effect, OutMessage } from '../commands/types.js';
import { describeFailure } from './errors.js';
import type { InteractionRef } from './interaction.js';
import { renderMessage, type RenderedPiece } from './render.js';

export interface EffectsTarget {
  ref: InteractionRef;
  kind: 'command' | 'button';
  /** Commands: whether the deferral was ephemeral. */
  ephemeral: boolean;
}

export interface InteractionEffects {
  /** Carries out `effects`; resolves with a description of each one that could not be delivered. */
  perform(target: EffectsTarget, effects: readonly Effect[]): Promise<string[]>;
}

export function createInteractionEffects(deps: { rest: REST; log: Log }): InteractionEffects {
  const { rest, log } = deps;

  const original = (ref: InteractionRef) => Routes.webhookMessage(ref.applicationId, ref.token, '@original');
  const webhook = (ref: InteractionRef) => Routes.webhook(ref.applicationId, ref.token);

  async function patchOriginal(ref: InteractionRef, piece: RenderedPiece): Promise<void> {
    // The flags of a message cannot change on edit; the deferral fixed them.
    const { flags: _flags, ...body } = piece.body;
    await rest.patch(original(ref), { body, files: piece.files, auth: false });
  }

  async function followUp(ref: InteractionRef, piece: RenderedPiece): Promise<void> {
    await rest.post(webhook(ref), { body: piece.body, files: piece.files, auth: false });
  }

  async function perform(target: EffectsTarget, effects: readonly Effect[]): Promise<string[]> {
    const { ref } = target;
    const problems: string[] = [];
    // Commands: the deferred "thinking…" message waits for the first reply (or goes away).
    let thinking = target.kind === 'command';

    const removeThinking = async () => {
      if (!thinking) return;
      thinking = false;
      await rest.delete(original(ref), { auth: false });
    };

    const say = async (message: OutMessage, ephemeral: boolean) => {
      const pieces = renderMessage(message, { ephemeral });
      let remaining = pieces;
      if (thinking && ephemeral === target.ephemeral) {
        thinking = false;
        await patchOriginal(ref, pieces[0]!);
        remaining = pieces.slice(1);
      } else {
        // A follow-up sent while the deferral is pending would take its place, and its privacy.
        await removeThinking();
      }
      for (const piece of remaining) await followUp(ref, piece);
    };

    const shown = effects.some((e) => e.type !== 'answer');
    for (const effect of effects) {
      try {
        switch (effect.type) {
          case 'answer':
            // Discord has no toast: a refusal (or a lone answer) becomes an ephemeral note; "Done" goes with an edit.
            if (effect.text && (effect.alert || !shown)) await say({ text: effect.text }, true);
            break;
          case 'reply':
            await say(effect.message, effect.private || effect.refusal === true);
            break;
          case 'edit':
            if (target.kind === 'button' && !effect.message.document) {
              const [first, ...more] = renderMessage(effect.message, { ephemeral: false, forEdit: true });
              await patchOriginal(ref, first!);
              for (const piece of more) await followUp(ref, piece);
            } else {
              await say(effect.message, target.ephemeral);
            }
            break;
          default: {
            const unknown: never = effect;
            throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
          }
        }
      } catch (err) {
        const failure = describeFailure(err);
        log.warn({ effect: effect.type, interactionId: ref.id, failure }, 'discord: effect failed');
        problems.push(`${effect.type}: ${failure}`);
      }
    }
    try {
      // Nothing to say (an unknown command in a guild): the "thinking…" message must not linger.
      await removeThinking();
    } catch (err) {
      const failure = describeFailure(err);
      log.warn({ interactionId: ref.id, failure }, 'discord: could not remove the deferred message');
      problems.push(`delete: ${failure}`);
    }
    return problems;
  }

  return { perform };
}
