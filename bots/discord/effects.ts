/**
 * Effects → the interaction webhook (`/webhooks/{app id}/{token}`, valid 15 minutes after the interaction).
 * The interaction was already deferred: a command's "thinking…" message is replaced by its first reply when both
 * are equally private, otherwise removed, so a refusal after a public deferral is still seen by the actor only.
 * A button's deferred update (type 6) makes @original the message the button is on: an `edit` rewrites it. A
 * failed effect is logged and reported, not thrown: the command already happened.
 */
import { Routes } from 'discord-api-types/v10';
import type { REST } from 'discord.js';
import type { Log } from '../../core/log.js';
import { pollAsButtons } from '../commands/poll.js';
import type { Effect, OutMessage } from '../commands/types.js';
import { describeFailure } from './errors.js';
import { liveMessage } from './live.js';
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

export interface InteractionEffectsDeps {
  rest: REST;
  log: Log;
  /** Records the message that now carries these buttons: a press must then come from it (core/actions bindMessages). */
  bindButtons?: (actionIds: string[], chatId: string, messageId: string) => Promise<void>;
  /** Binds a posted live message to its live row (core/live bindLive): later changes edit it. */
  bindLive?: (ref: string, version: string, chatId: string, messageId: string) => Promise<void>;
}

/** The id and channel of a message the webhook returned. */
function sentMessage(result: unknown): { id: string; channelId: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { id, channel_id: channelId } = result as { id?: unknown; channel_id?: unknown };
  return typeof id === 'string' && typeof channelId === 'string' ? { id, channelId } : undefined;
}

export function createInteractionEffects(deps: InteractionEffectsDeps): InteractionEffects {
  const { rest, log } = deps;

  /** Binds the buttons of `message` to the message that shows them; a failure only loosens that check. */
  async function bind(message: OutMessage, result: unknown): Promise<void> {
    const ids = (message.buttons ?? []).flat().flatMap((button) => button.actionId ?? []);
    const sent = sentMessage(result);
    if (ids.length === 0 || !sent || !deps.bindButtons) return;
    try {
      await deps.bindButtons(ids, sent.channelId, sent.id);
    } catch (err) {
      log.warn({ err, messageId: sent.id }, 'discord: could not bind buttons to their message');
    }
  }

  const original = (ref: InteractionRef) => Routes.webhookMessage(ref.applicationId, ref.token, '@original');
  const webhook = (ref: InteractionRef) => Routes.webhook(ref.applicationId, ref.token);

  /** Resolves with the message as Discord returned it. */
  function patchOriginal(ref: InteractionRef, piece: RenderedPiece): Promise<unknown> {
    // The flags of a message cannot change on edit; the deferral fixed them.
    const { flags: _flags, ...body } = piece.body;
    return rest.patch(original(ref), { body, files: piece.files, auth: false });
  }

  function followUp(ref: InteractionRef, piece: RenderedPiece): Promise<unknown> {
    return rest.post(webhook(ref), { body: piece.body, files: piece.files, auth: false });
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

    /** Resolves with the last message as Discord returned it. */
    const say = async (message: OutMessage, ephemeral: boolean): Promise<unknown> => {
      const pieces = renderMessage(message, { ephemeral });
      let remaining = pieces;
      let last: unknown;
      if (thinking && ephemeral === target.ephemeral) {
        thinking = false;
        last = await patchOriginal(ref, pieces[0]!);
        remaining = pieces.slice(1);
      } else {
        // A follow-up sent while the deferral is pending would take its place, and its privacy.
        await removeThinking();
      }
      for (const piece of remaining) last = await followUp(ref, piece);
      await bind(message, last);
      return last;
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
          case 'live': {
            const sent = sentMessage(await say(liveMessage(effect.message), false));
            if (sent) await deps.bindLive?.(effect.ref, effect.version, sent.channelId, sent.id);
            break;
          }
          case 'edit':
            if (target.kind === 'button' && !effect.message.document) {
              const [first, ...more] = renderMessage(effect.message, { ephemeral: false, forEdit: true });
              let last = await patchOriginal(ref, first!);
              for (const piece of more) last = await followUp(ref, piece);
              await bind(effect.message, last);
            } else {
              await say(effect.message, target.ephemeral);
            }
            break;
          case 'poll':
            await say(pollAsButtons(effect), false);
            break;
          case 'pollClosed':
            break; // its buttons answer "closed" from now on
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
