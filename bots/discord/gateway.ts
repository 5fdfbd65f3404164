/**
 * The gateway transport (DISCORD_BOT_TOKEN without DISCORD_PUBLIC_KEY): a discord.js Client whose
 * INTERACTION_CREATE packets are taken raw — the same JSON the HTTP endpoint receives, so one mapping
 * (interaction.ts) serves both. Each is stored under `dc:<interaction id>` first (a resumed session replays
 * events: the unique key drops them), then deferred through the callback endpoint, then processed.
 * A shard that will not reconnect, or an invalidated session, is fatal: the process should exit and be restarted
 * with backoff rather than re-identify in a loop.
 */
import { Routes } from 'discord-api-types/v10';
import { Client, Events, GatewayIntentBits, type REST } from 'discord.js';
import type { Db } from '../../core/db/executor.js';
import { createReceiver } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/index.js';
import type { Log } from '../../core/log.js';
import { describeFailure } from './errors.js';
import { interactionKey, parseInteraction } from './interaction.js';

export interface GatewayIntakeDeps {
  db: Db;
  rest: REST;
  log: Log;
  onStored?: (key: string) => void;
}

/** Store, defer, enqueue: one gateway interaction (the `d` of an INTERACTION_CREATE packet). */
export function createGatewayIntake(deps: GatewayIntakeDeps): (data: unknown) => Promise<void> {
  const { db, rest, log } = deps;
  const receive = createReceiver(db);
  return async (data) => {
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
    const { stored } = await receive({ key, platform: 'discord', payload: data as JsonValue });
    if (!stored) {
      log.info({ key }, 'discord gateway: replayed interaction ignored');
      return;
    }
    try {
      await rest.post(Routes.interactionCallback(interaction.ref.id, interaction.ref.token), {
        body: interaction.initial,
        auth: false,
      });
    } catch (err) {
      // Too late (10062) or acknowledged already (40060): the work still runs, its follow-ups may fail.
      log.warn({ key, failure: describeFailure(err) }, 'discord gateway: deferral failed');
    }
    deps.onStored?.(key);
  };
}

export interface Gateway {
  stop(): Promise<void>;
}

export async function startGateway(deps: {
  token: string;
  apiBase: string;
  log: Log;
  intake: (data: unknown) => Promise<void>;
  /** The connection is gone for good (bad token, disallowed intents, invalidated session). */
  onFatal: (reason: string) => void;
}): Promise<Gateway> {
  const { log } = deps;
  // Interactions arrive without privileged intents; Guilds keeps the guild cache discord.js expects.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: deps.apiBase } });
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
