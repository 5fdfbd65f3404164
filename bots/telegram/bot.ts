/**
 * The Telegram transport: installs the pieces, owns their lifecycle. Intake (the webhook route, or long polling)
 * stores each update in the inbox; the inbox processor claims stored updates and runs them through the command
 * layer; effects go out through one rate-limited sender. Nothing here knows a business rule.
 *
 * Roles (SPEC §2): an `http` process mounts `router` and only stores; a `bots` process calls `start()`, which
 * processes stored updates (its own at once, other processes' through the sweep) and, without a webhook secret,
 * polls. One process with both does both.
 */
import type { Router } from 'express';
import { Telegraf } from 'telegraf';
import type { Config } from '../../config/env.js';
import { scrubSecrets, type Logger } from '../../config/logger.js';
import type { Db } from '../../core/db/executor.js';
import { createButtonBinder } from '../../core/actions/index.js';
import { telegramPolls } from './polls.js';
import { createInboxProcessor, type InboxProcessorDeps } from '../../core/inbox/index.js';
import { bindLive } from '../../core/live/index.js';
import type { CommandLayer, OutMessage } from '../commands/types.js';
import { publishCommands, type BotCommandSpec } from './commands.js';
import { createEffects } from './effects.js';
import { createLiveEditor } from './live.js';
import { apiFailure } from './errors.js';
import type { TelegramLimits } from './limits.js';
import { createOutbound, type OutboundStats } from './outbound.js';
import { ALLOWED_UPDATES, startPolling, type Polling } from './polling.js';
import { createUpdateHandler } from './processing.js';
import { partitionOf } from './update.js';
import { createTelegramWebhook, TELEGRAM_WEBHOOK_PATH } from './webhook.js';

export type TelegramConfig = Pick<
  Config,
  'telegramBotToken' | 'telegramApiRoot' | 'telegramWebhookSecret' | 'publicUrl' | 'defaultLocale'
>;

/** Tuning, mostly for tests (smaller windows, shorter timers). */
export interface TelegramTransportOptions {
  limits?: TelegramLimits;
  /** Margin added to every rate window. Default 50 ms. */
  safetyMs?: number;
  /** A button press is answered by then at the latest. Default 700 ms. */
  ackWithinMs?: number;
  inbox?: Partial<
    Pick<
      InboxProcessorDeps,
      | 'concurrency'
      | 'leaseMs'
      | 'sweepEveryMs'
      | 'graceMs'
      | 'maxAttempts'
      | 'retryDelayMs'
      | 'retainMs'
      | 'pruneEveryMs'
    >
  >;
  /** How long stop() waits for running work. Default 10 s. */
  stopTimeoutMs?: number;
  /**
   * A Bot API call with no answer by then is aborted (telegraf itself waits 500 s, and a hung call holds its
   * chat's queue). getUpdates keeps its own long-poll timing. Default 15 s.
   */
  callTimeoutMs?: number;
}

export interface TelegramTransportDeps {
  config: TelegramConfig;
  db: Db;
  /**
   * Where deliveries are stored before they are acknowledged: connections of their own, so that commands stuck on
   * a slow ledger (holding the main pool) never delay an acknowledgement. Default: `db`.
   */
  intake?: Db;
  log: Logger;
  layer: CommandLayer;
  /** The command menu (setMyCommands at start). */
  commands: readonly BotCommandSpec[];
  options?: TelegramTransportOptions;
}

export interface TelegramTransport {
  /** Numeric prefix of the token (SPEC §5 keys: `tg:<bot id>:<update_id>`). */
  readonly botId: string;
  readonly mode: 'webhook' | 'polling';
  /** `POST /telegram/webhook`, in webhook mode; mount it in an http process. */
  readonly router: Router | undefined;
  /** getMe, the command menu, processing, then setWebhook (when PUBLIC_URL is set) or long polling. */
  start(): Promise<void>;
  /** Stops intake, lets running updates finish (bounded), closes the sender. Unfinished rows stay stored. */
  stop(): Promise<void>;
  /** Resolves once nothing handed to this process is queued or running (tests). */
  idle(): Promise<void>;
  /**
   * A message on the bot's own initiative (the notifications worker's Telegram sender): same rate limits and
   * rendering as replies. Resolves with the last message id; rejects with the Bot API error, readable with
   * `apiFailure` (429 after the bounded retries, 403 blocked).
   */
  send(chatId: string, message: OutMessage, signal?: AbortSignal): Promise<{ messageId: string }>;
  /**
   * Edits a live message (the live worker's Telegram editor), through the same rate limits. "Not modified" is a
   * success; rejects with the Bot API error otherwise (bots/telegram/live.ts `isMessageGone`).
   */
  edit(chatId: string, messageId: string, message: OutMessage): Promise<void>;
  /** Stops a native poll from a worker (its vote closed); rejects like `edit`. */
  stopPoll(chatId: string, messageId: string): Promise<void>;
  outboundStats(): OutboundStats;
}

export class TelegramConfigError extends Error {
  override name = 'TelegramConfigError';
}

/** A start failure as one line; never the telegraf error itself, whose payload can hold the webhook secret. */
function startError(method: string, err: unknown): Error {
  const failure = apiFailure(err);
  const reason = failure
    ? `${failure.code} ${failure.description}`
    : scrubSecrets(err instanceof Error ? err.message : String(err));
  return new Error(`telegram: ${method} failed: ${reason}`);
}

/**
 * Every Bot API call that comes without an abort signal of its own gets one that fires after `timeoutMs`: the
 * call is really cancelled (its socket closed), not just left behind. Long polling passes its own signal.
 */
function abortHungCalls(bot: Telegraf, timeoutMs: number): void {
  const callApi = bot.telegram.callApi.bind(bot.telegram);
  // telegraf types the signal as its abort-controller shim's; node-fetch takes Node's own at run time.
  type Signal = NonNullable<NonNullable<Parameters<typeof callApi>[2]>['signal']>;
  const bounded: typeof callApi = (method, payload, extra = {}) =>
    callApi(method, payload, {
      ...extra,
      signal: extra.signal ?? (AbortSignal.timeout(timeoutMs) as unknown as Signal),
    });
  bot.telegram.callApi = bounded;
}

export function createTelegramTransport(deps: TelegramTransportDeps): TelegramTransport {
  const { config, db, layer, commands } = deps;
  const intake = deps.intake ?? db;
  const options = deps.options ?? {};
  const token = config.telegramBotToken;
  if (token === undefined) throw new TelegramConfigError('TELEGRAM_BOT_TOKEN is not set');
  const botId = token.slice(0, token.indexOf(':'));
  if (!/^\d+$/.test(botId)) throw new TelegramConfigError('TELEGRAM_BOT_TOKEN must look like <bot id>:<secret>');
  const secret = config.telegramWebhookSecret;
  const mode = secret !== undefined && secret !== '' ? 'webhook' : 'polling';
  const log = deps.log.child({ component: 'telegram' });
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  // webhookReply off: every call is a real Bot API request whose failure we see.
  const bot = new Telegraf(token, {
    telegram: { apiRoot: config.telegramApiRoot, webhookReply: false },
    handlerTimeout: Number.POSITIVE_INFINITY,
  });
  abortHungCalls(bot, options.callTimeoutMs ?? 15_000);
  let username: string | undefined;

  const outbound = createOutbound({
    log,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.safetyMs !== undefined ? { safetyMs: options.safetyMs } : {}),
  });
  const bindButtons = createButtonBinder(db);
  const effects = createEffects({
    telegram: bot.telegram,
    outbound,
    log,
    defaultLocale: config.defaultLocale,
    botUsername: () => username,
    bindButtons: (ids, chatId, messageId) => bindButtons({ ids, chat: { platform: 'telegram', chatId }, messageId }),
    bindLive: async (ref, version, chatId, messageId) => {
      const bound = await bindLive(db, { ref, platform: 'telegram', chatId, messageId, version: BigInt(version) });
      if (bound.type === 'refused') log.warn({ ref, error: bound.error }, 'telegram: live message not bound');
    },
    polls: telegramPolls(db),
  });
  const liveEditor = createLiveEditor({ telegram: bot.telegram, outbound });
  const handle = createUpdateHandler({
    layer,
    effects,
    log,
    bot: () => ({ id: botId, ...(username !== undefined ? { username } : {}) }),
    ...(options.ackWithinMs !== undefined ? { ackWithinMs: options.ackWithinMs } : {}),
  });
  const processor = createInboxProcessor({
    db,
    log,
    platform: 'telegram',
    process: handle,
    partitionOf,
    describeError: (err) =>
      scrubSecrets(err instanceof Error ? `${err.name}: ${err.message}`.split('\n')[0]! : 'non-error thrown'),
    ...options.inbox,
  });

  const router =
    mode === 'webhook'
      ? createTelegramWebhook({
          secret,
          botId,
          db: intake,
          log,
          onStored: (key, update) => processor.enqueue(key, partitionOf(update)),
        })
      : undefined;

  let polling: Polling | undefined;
  let started = false;

  return {
    botId,
    mode,
    router,
    async start() {
      if (started) return;
      started = true;
      try {
        const me = await bot.telegram.getMe().catch((err: unknown) => {
          throw startError('getMe', err);
        });
        bot.botInfo = me;
        username = me.username;
        if (String(me.id) !== botId) log.warn({ botId, getMeId: me.id }, 'telegram: getMe id differs from the token');
        await publishCommands(bot.telegram, commands, log);
        processor.start();
        if (mode === 'polling') {
          polling = startPolling({
            bot,
            db: intake,
            log,
            botId,
            onStored: (key, update) => processor.enqueue(key, partitionOf(update)),
          });
        } else if (config.publicUrl !== undefined) {
          await bot.telegram
            .setWebhook(config.publicUrl + TELEGRAM_WEBHOOK_PATH, {
              secret_token: secret,
              allowed_updates: [...ALLOWED_UPDATES],
            })
            .catch((err: unknown) => {
              throw startError('setWebhook', err);
            });
        } else {
          log.info({}, 'telegram: webhook mode without PUBLIC_URL; setWebhook left to the operator');
        }
      } catch (err) {
        await processor.stop(stopTimeoutMs);
        started = false;
        throw err;
      }
      log.info({ botId, username, mode }, 'telegram transport started');
    },
    async stop() {
      await polling?.stop(stopTimeoutMs);
      await processor.stop(stopTimeoutMs);
      outbound.close();
      log.info({ botId }, 'telegram transport stopped');
    },
    idle: () => processor.idle(),
    send: (chatId, message, signal) => effects.deliver(chatId, message, signal),
    edit: (chatId, messageId, message) => liveEditor.edit(chatId, messageId, message),
    stopPoll: (chatId, messageId) => liveEditor.stopPoll(chatId, messageId),
    outboundStats: () => outbound.stats(),
  };
}
