/**
 * The gateway transport (DISCORD_BOT_TOKEN without DISCORD_PUBLIC_KEY): a discord.js Client whose
 * INTERACTION_CREATE packets are taken raw — the same JSON the HTTP endpoint receives, so one mapping
 * (interaction.ts) serves both. Each is stored under `dc:<interaction id>` first (a resumed session replays
 * events: the unique key drops them), then deferred through the callback endpoint, then processed — only if the
 * deferral went out.
 * A shard that will not reconnect, or an invalidated session, is fatal: the process should exit and be restarted
 * with backoff rather than re-identify in a loop.
 */
import { Routes } from 'discord-api-types/v10';
import { Client, DiscordAPIError, Events, GatewayIntentBits, type REST } from 'discord.js';
import { pickLocale, type JsonValue } from '../../core/index.js';
import type { Log } from '../../core/log.js';
import { t } from '../i18n/index.js';
import type { InteractionEffects } from './effects.js';
import { describeFailure } from './errors.js';
import { ACK_DEADLINE_MS, type InteractionIntake } from './intake.js';
import { interactionKey, parseInteraction, type InitialResponse, type InteractionRef } from './interaction.js';

/** Interaction has already been acknowledged: a retried deferral whose first attempt reached Discord. */
const ALREADY_ACKNOWLEDGED = 40060;

export interface GatewayIntakeDeps {
  intake: InteractionIntake;
  rest: REST;
  effects: InteractionEffects;
  log: Log;
}

type Acknowledgement = { outcome: 'acknowledged' } | { outcome: 'refused' | 'unknown'; reason: string };

/**
 * Sends the deferral, giving up at Discord's 3 s deadline (counted from `since`). Discord refusing it (10062
 * Unknown interaction: too late) is `refused`; no answer, or a 5xx after @discordjs/rest's retries, is `unknown`:
 * the deferral may have reached Discord.
 */
async function acknowledge(rest: REST, ref: InteractionRef, initial: InitialResponse, since: number) {
  try {
    await rest.post(Routes.interactionCallback(ref.id, ref.token), {
      body: initial,
      auth: false,
      signal: AbortSignal.timeout(Math.max(ACK_DEADLINE_MS - (Date.now() - since), 1)),
    });
    return { outcome: 'acknowledged' } satisfies Acknowledgement;
  } catch (err) {
    if (err instanceof DiscordAPIError) {
      if (err.code === ALREADY_ACKNOWLEDGED) return { outcome: 'acknowledged' } satisfies Acknowledgement;
      if (err.status < 500) return { outcome: 'refused', reason: describeFailure(err) } satisfies Acknowledgement;
    }
    return { outcome: 'unknown', reason: describeFailure(err) } satisfies Acknowledgement;
  }
}

/**
 * Store, defer, then admit: one gateway interaction (the `d` of an INTERACTION_CREATE packet). Nothing runs
 * without its deferral (intake.ts): a refused deferral means the user saw the interaction fail and will try again,
 * so running it would pay twice. A deferral with no answer may have reached Discord, and then the user would watch
 * "thinking…" that never ends; it is not run either, and the user is told so through the interaction webhook
 * (which only works if the deferral did land; otherwise they saw "interaction failed", which says the same).
 */
export function createGatewayIntake(deps: GatewayIntakeDeps): (data: unknown) => Promise<void> {
  const { intake, rest, effects, log } = deps;
  return async (data) => {
    const since = Date.now();
    const interaction = parseInteraction(data);
    if (interaction.kind !== 'event') {
      if (interaction.kind === 'ignored' && interaction.reason === 'autocomplete' && interaction.ref) {
        const { id, token } = interaction.ref;
        await rest.post(Routes.interactionCallback(id, token), {
          body: { type: 8, data: { choices: [] } },
          auth: false,
        });
      }
      return;
    }
    const key = interactionKey(interaction.ref.id);
    const stored = await intake.store(key, data as JsonValue);
    if (stored === 'duplicate') {
      log.info({ key }, 'discord gateway: replayed interaction ignored');
      return;
    }
    if (stored === 'late') {
      log.warn({ key }, 'discord gateway: interaction not stored in time; not acknowledged');
      return;
    }
    const ack = await acknowledge(rest, interaction.ref, interaction.initial, since);
    if (ack.outcome === 'acknowledged') return intake.acknowledged(key);
    await intake.notAcknowledged(key, `deferral ${ack.outcome}: ${ack.reason}`);
    if (ack.outcome === 'refused') return;
    const { event, ref, ephemeral } = interaction;
    const text = t(pickLocale(null, event.actor.languageCode, 'en'), 'discord.notAcknowledged');
    const problems = await effects.perform({ ref, kind: event.type === 'command' ? 'command' : 'button', ephemeral }, [
      { type: 'reply', message: { text }, private: true, refusal: true },
    ]);
    if (problems.length > 0) log.info({ key, problems }, 'discord gateway: could not tell the user (never deferred)');
  };
}

export interface Gateway {
  stop(): Promise<void>;
}

export async function startGateway(deps: {
  token: string;
  apiBase: string;
  /** Every REST call of the client without an answer after this is aborted. */
  restTimeoutMs: number;
  log: Log;
  intake: (data: unknown) => Promise<void>;
  /** The connection is gone for good (bad token, disallowed intents, invalidated session). */
  onFatal: (reason: string) => void;
}): Promise<Gateway> {
  const { log } = deps;
  // Interactions arrive without privileged intents; Guilds keeps the guild cache discord.js expects.
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: deps.apiBase, timeout: deps.restTimeoutMs },
  });
  client.on(Events.Raw, (packet: { t?: unknown; d?: unknown }) => {
    if (packet.t !== 'INTERACTION_CREATE') return;
    deps.intake(packet.d).catch((err: unknown) => {
      // Not stored: the interaction fails visibly for the user; nothing half-done.
      log.error({ err }, 'discord gateway: could not take an interaction');
    });
  });
  client.on(Events.ShardDisconnect, (event, shardId) => {
    log.error({ shardId, code: event.code }, 'discord gateway: shard disconnected for good');
    deps.onFatal(`shard ${shardId} disconnected (${event.code})`);
  });
  client.on(Events.Invalidated, () => {
    log.error({}, 'discord gateway: session invalidated');
    deps.onFatal('session invalidated');
  });
  client.on(Events.ShardResume, (shardId, replayed) =>
    log.info({ shardId, replayed }, 'discord gateway: session resumed'),
  );
  client.on(Events.Error, (err) => log.error({ err }, 'discord gateway: client error'));
  await client.login(deps.token);
  log.info({ user: client.user?.id }, 'discord gateway connected');
  return {
    async stop() {
      await client.destroy();
    },
  };
}
