/**
 * The Discord transport: two intakes, one handler. With DISCORD_PUBLIC_KEY, interactions arrive at
 * `POST /discord/interactions` (mount `router` in an http process); otherwise, with DISCORD_BOT_TOKEN, through the
 * gateway (started by `start()` in a bots process). Either way each interaction is stored in the inbox, deferred,
 * and processed by the inbox processor through the command layer; replies go through the interaction webhook and
 * notifications through `send` (a DM). Nothing here knows a business rule.
 */
import { createHash } from 'node:crypto';
import type { Router } from 'express';
import { Routes } from 'discord-api-types/v10';
import { REST } from 'discord.js';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../config/logger.js';
import type { Db } from '../../core/db/executor.js';
import { createButtonBinder } from '../../core/actions/index.js';
import { createInboxProcessor, type InboxProcessorDeps } from '../../core/inbox/index.js';
import { bindLive } from '../../core/live/index.js';
import { Blocked, MessageGone, RateLimited, type CommandLayer, type OutMessage } from '../commands/types.js';
import { createInteractionEffects } from './effects.js';
import { describeFailure, discordFailure } from './errors.js';
import { watchInvalidRequests, type InvalidRequestGuard } from './guard.js';
import { createGatewayIntake, startGateway, type Gateway } from './gateway.js';
import { createInteractionIntake } from './intake.js';
import { editLiveMessage } from './live.js';
import { createInteractionHandler } from './processing.js';
import { renderMessage } from './render.js';
import { createInteractionsRoute } from './webhook.js';

export type DiscordConfig = Pick<Config, 'discordBotToken' | 'discordPublicKey' | 'discordApiBase'> &
  Partial<Pick<Config, 'discordRestTimeoutMs'>>;

/** @discordjs/rest's own default, said out loud: a REST call without an answer after this is aborted. */
export const DISCORD_REST_TIMEOUT_MS = 15_000;

export interface DiscordTransportOptions {
  inbox?: Partial<Pick<InboxProcessorDeps, 'concurrency' | 'leaseMs' | 'sweepEveryMs' | 'graceMs' | 'maxAttempts'>>;
  /** How long stop() waits for running work. Default 10 s. */
  stopTimeoutMs?: number;
  /** Gateway mode: the connection is gone for good. Default: log only. */
  onFatal?: (reason: string) => void;
}

export interface DiscordTransportDeps {
  config: DiscordConfig;
  db: Db;
  /**
   * Where deliveries are stored before they are acknowledged: connections of their own, so that commands stuck on
   * a slow ledger (holding the main pool) never delay an acknowledgement. Default: `db`.
   */
  intake?: Db;
  log: Logger;
  layer: CommandLayer;
  /**
   * Discord's invalid-request limit: every REST answer is counted, a user or channel that answered 403 is not called
   * again, and DMs pause while the count is high. Omitted: none of that.
   */
  guard?: InvalidRequestGuard;
  options?: DiscordTransportOptions;
}

export interface DiscordTransport {
  readonly mode: 'http' | 'gateway';
  /** `POST /discord/interactions`, in http mode. */
  readonly router: Router | undefined;
  /** Processing, and the gateway connection in gateway mode. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once nothing handed to this process is queued or running (tests). */
  idle(): Promise<void>;
  /**
   * A DM on the bot's own initiative (the notifications worker's Discord sender): opens (or reuses) the DM channel
   * of `userId`, then posts. With `key`, each piece carries a nonce derived from it that Discord enforces (the same
   * nonce within minutes returns the message already made): a send retried after a lost answer is not a second DM.
   * Rejects with @discordjs/rest's error, readable with `discordFailure`; a 429 rejects at once with the wait Discord
   * asked for (the notifier reschedules rather than this call sleeping). With a `guard`: `RateLimited` (global)
   * without a call while the invalid-request breaker is open, `Blocked` without a call when the user answered 403
   * lately.
   */
  send(userId: string, message: OutMessage, key?: string): Promise<{ messageId: string; chatId: string }>;
  /** Posts a message in a channel with the bot token (a live message a worker shows on its own). */
  post(channelId: string, message: OutMessage): Promise<{ messageId: string }>;
  /**
   * Edits a live message (the live worker's Discord editor) with the bot token. Rejects with @discordjs/rest's
   * error (bots/discord/live.ts `isMessageGone`), or at once without a bot token.
   */
  edit(channelId: string, messageId: string, message: OutMessage): Promise<void>;
}

/** Discord's nonce is at most 25 characters: a digest of the message's key and the piece's place in it. */
const nonceOf = (key: string, piece: number): string =>
  createHash('sha256').update(`${key}#${piece}`).digest('base64url').slice(0, 25);

export class DiscordConfigError extends Error {
  override name = 'DiscordConfigError';
}

export function createDiscordTransport(deps: DiscordTransportDeps): DiscordTransport {
  const { config, db, layer } = deps;
  const intake = deps.intake ?? db;
  const options = deps.options ?? {};
  const log = deps.log.child({ component: 'discord' });
  const mode = config.discordPublicKey ? 'http' : 'gateway';
  const token = config.discordBotToken;
  if (mode === 'gateway' && token === undefined)
    throw new DiscordConfigError('DISCORD_BOT_TOKEN or DISCORD_PUBLIC_KEY must be set');

  // Interaction webhooks need no bot token; DMs do. A hung call is aborted after `timeout` (its socket closed) and
  // retried up to 3 times; a deferral gives up earlier, at Discord's 3 s (gateway.ts).
  const timeout = config.discordRestTimeoutMs ?? DISCORD_REST_TIMEOUT_MS;
  const rest = new REST({ api: config.discordApiBase, version: '10', timeout });
  const dmRest = new REST({
    api: config.discordApiBase,
    version: '10',
    timeout,
    rejectOnRateLimit: () => true,
    offset: 0,
  });
  if (token !== undefined) {
    rest.setToken(token);
    dmRest.setToken(token);
  }
  const guard = deps.guard;
  if (guard) for (const client of [rest, dmRest]) watchInvalidRequests(client, guard);

  /**
   * Runs a call of the bot's own to `target` unless it answered 403 lately (`refused` is thrown instead, no call is
   * made); a 403 now is remembered.
   */
  async function unlessForbidden<T>(target: string, refused: () => Error, call: () => Promise<T>): Promise<T> {
    if (!guard) return call();
    if (await guard.forbidden(target)) throw refused();
    try {
      return await call();
    } catch (err) {
      if (discordFailure(err)?.status === 403) await guard.forbid(target);
      throw err;
    }
  }

  const bindButtons = createButtonBinder(db);
  const effects = createInteractionEffects({
    rest,
    log,
    bindButtons: (ids, chatId, messageId) => bindButtons({ ids, chat: { platform: 'discord', chatId }, messageId }),
    bindLive: async (ref, version, chatId, messageId) => {
      const bound = await bindLive(db, { ref, platform: 'discord', chatId, messageId, version: BigInt(version) });
      if (bound.type === 'refused') log.warn({ ref, error: bound.error }, 'discord: live message not bound');
    },
  });
  const handle = createInteractionHandler({ layer, effects, log });
  const processor = createInboxProcessor({
    db,
    log,
    platform: 'discord',
    process: handle,
    describeError: describeFailure,
    ...options.inbox,
  });
  const interactions = createInteractionIntake({
    db: intake,
    log,
    onAdmitted: (key) => processor.enqueue(key),
  });
  const router =
    mode === 'http'
      ? createInteractionsRoute({ publicKey: config.discordPublicKey, intake: interactions, log })
      : undefined;

  const dmChannels = new Map<string, string>();
  async function dmChannel(userId: string): Promise<string> {
    const known = dmChannels.get(userId);
    if (known) return known;
    const channel = (await dmRest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as { id: string };
    dmChannels.set(userId, channel.id);
    return channel.id;
  }

  let gateway: Gateway | undefined;
  let started = false;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  return {
    mode,
    router,
    async start() {
      if (started) return;
      started = true;
      processor.start();
      if (mode === 'gateway' && token !== undefined) {
        try {
          gateway = await startGateway({
            token,
            apiBase: config.discordApiBase,
            restTimeoutMs: timeout,
            log,
            intake: createGatewayIntake({ intake: interactions, rest, effects, log }),
            onFatal: options.onFatal ?? (() => undefined),
          });
        } catch (err) {
          await processor.stop(stopTimeoutMs);
          started = false;
          throw new Error(`discord: gateway login failed: ${describeFailure(err)}`);
        }
      }
      log.info({ mode }, 'discord transport started');
    },
    async stop() {
      await gateway?.stop();
      await processor.stop(stopTimeoutMs);
      for (const client of [rest, dmRest]) {
        client.clearHashSweeper();
        client.clearHandlerSweeper();
      }
      log.info({}, 'discord transport stopped');
    },
    idle: () => processor.idle(),
    async send(userId, message, key) {
      // Notifications wait while the invalid-request count is high (the notifier reschedules them).
      const pausedMs = (await guard?.pausedFor()) ?? 0;
      if (pausedMs > 0) throw new RateLimited(pausedMs, 'global');
      return unlessForbidden(
        `user:${userId}`,
        () => new Blocked('this user answered 403 lately'),
        async () => {
          const channelId = await dmChannel(userId);
          let last: { id: string } | undefined;
          for (const [i, piece] of renderMessage(message, { ephemeral: false }).entries()) {
            const body =
              key === undefined ? piece.body : { ...piece.body, nonce: nonceOf(key, i), enforce_nonce: true };
            last = (await dmRest.post(Routes.channelMessages(channelId), { body, files: piece.files })) as {
              id: string;
            };
          }
          if (!last) throw new RangeError('nothing to send: the message is empty');
          // The DM channel, not the user: where a later edit of this message goes.
          return { messageId: last.id, chatId: channelId };
        },
      );
    },
    async post(channelId, message) {
      if (token === undefined) throw new DiscordConfigError('posting a live message needs DISCORD_BOT_TOKEN');
      return unlessForbidden(
        `channel:${channelId}`,
        () => new MessageGone('this channel answered 403 lately'),
        async () => {
          let last: { id: string } | undefined;
          for (const piece of renderMessage(message, { ephemeral: false })) {
            last = (await rest.post(Routes.channelMessages(channelId), { body: piece.body, files: piece.files })) as {
              id: string;
            };
          }
          if (!last) throw new RangeError('nothing to post: the message is empty');
          return { messageId: last.id };
        },
      );
    },
    async edit(channelId, messageId, message) {
      if (token === undefined) throw new DiscordConfigError('editing a live message needs DISCORD_BOT_TOKEN');
      await unlessForbidden(
        `channel:${channelId}`,
        () => new MessageGone('this channel answered 403 lately'),
        () => editLiveMessage(rest, channelId, messageId, message),
      );
    },
  };
}
