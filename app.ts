/**
 * The composition root of `chipin start`: builds the database, Redis, metrics, the core, the command
 * layer and the transports in order, starts the requested roles, and stops everything in reverse.
 * No business logic lives here; it only connects ports to their implementations.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { createCommandLayer, localizedCommands } from './bots/commands/layer.js';
import { renderNotification } from './bots/commands/render.js';
import type { CommandLayer, OutMessage } from './bots/commands/types.js';
import { createHttpApp, startHttpServer, type RouteInstaller } from './bots/http.js';
import {
  createDiscordTransport,
  discordFailure,
  isDiscordMessageGone,
  isUnreachable,
  type DiscordTransport,
  type DiscordTransportOptions,
} from './bots/discord/index.js';
import { createMetricsRegistry } from './bots/metrics.js';
import {
  createSandboxEditor,
  createSandboxRouter,
  createSandboxSender,
  createSandboxStore,
  type SandboxStore,
} from './bots/sandbox/index.js';
import {
  apiFailure,
  createTelegramTransport,
  isForbidden,
  isMessageGone,
  type TelegramTransport,
  type TelegramTransportOptions,
} from './bots/telegram/index.js';
import type { Config } from './config/env.js';
import type { Logger } from './config/logger.js';
import type { Db } from './core/db/executor.js';
import { migrate } from './core/db/migrate.js';
import { openDatabase } from './core/db/open.js';
import { createCore, scheduleReconcile, type Core } from './core/index.js';
import {
  adminQueuesRoute,
  Blocked,
  closeQueues,
  createDirectory,
  MessageGone,
  createQueues,
  RateLimited,
  startWorkers,
  type Editor,
  type Editors,
  type LivePorts,
  type RunningWorkers,
  type Sender,
  type Senders,
} from './workers/index.js';
import { bindLive } from './core/live/index.js';
import { createButtonBinder } from './core/actions/index.js';
import { RedisUnavailableError, resolveRedisOrNone, type RedisHandle } from './workers/redis.js';
import { createDiscordGuard } from './workers/throttles/discord.js';
import { createPersonThrottle } from './workers/throttles/person.js';
import { createStripeGateway } from './bots/stripe/client.js';
import { createStripeRoutes, STRIPE_RETURN_PATH } from './bots/stripe/webhook.js';
import { registerCashierMetrics } from './bots/stripe/metrics.js';

export const ROLES = ['http', 'bots', 'workers'] as const;
export type Role = (typeof ROLES)[number];

/** Something started that must be stopped at shutdown, in reverse order of start. */
interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

export interface App {
  readonly roles: readonly Role[];
  /** The bound HTTP port. */
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * In-process tuning the environment cannot reach, for benchmarks and tests that start the app with `startApp`
 * (`chipin start` never passes any). `bench/telegram.ts` lifts the Telegram transport's outbound rate limits with
 * `telegram.limits`, so that Telegram's 30 messages/s is not all it measures.
 */
export interface AppHooks {
  readonly telegram?: TelegramTransportOptions;
  readonly discord?: DiscordTransportOptions;
}

/** What every role is built from. */
interface Parts {
  readonly config: Config;
  readonly log: Logger;
  readonly db: Db;
  /** Null: no Redis, on embedded PGlite; the timed work runs in this process, which runs every role. */
  readonly redis: RedisHandle | null;
  readonly metrics: Registry;
  readonly core: Core;
  readonly layer: CommandLayer;
  /** Present when TELEGRAM_BOT_TOKEN is set. */
  readonly telegram: TelegramTransport | undefined;
  /** Present when DISCORD_PUBLIC_KEY (HTTP interactions) or DISCORD_BOT_TOKEN (gateway) is set. */
  readonly discord: DiscordTransport | undefined;
  /**
   * The sandbox chat's transcript (never in production). In memory: its page (http role) and its
   * notifications (workers role) meet only when both roles run in this process.
   */
  readonly sandbox: SandboxStore | undefined;
}

function httpRoutes(parts: Parts): RouteInstaller[] {
  const { config, log, layer, sandbox, telegram, discord, core, db } = parts;
  const routes: RouteInstaller[] = [];
  const stripe = createStripeRoutes({
    enabled: config.stripeWebhookSecret !== undefined,
    cashier: core.cashier,
    db,
    log: log.child({ transport: 'stripe' }),
    defaultLocale: config.defaultLocale,
  });
  routes.push((app) => app.use(stripe));
  const webhook = telegram?.router;
  if (webhook) routes.push((app) => app.use(webhook));
  const interactions = discord?.router;
  if (interactions) routes.push((app) => app.use(interactions));
  if (sandbox) {
    const bindSandboxButtons = createButtonBinder(parts.db);
    const router = createSandboxRouter({
      layer,
      log: log.child({ transport: 'sandbox' }),
      nodeEnv: config.nodeEnv,
      defaultLocale: config.defaultLocale,
      commands: localizedCommands({ demoMoney: config.demoMoney }),
      store: sandbox,
      // Live messages (core/live): posted sandbox messages are bound to their rows.
      bindLive: async (ref, version, chatId, messageId) => {
        await bindLive(parts.db, { ref, platform: 'sandbox', chatId, messageId, version: BigInt(version) });
      },
      // Buttons are bound to their messages, so a button whose time ends (Undo, Confirm) has its message edited.
      bindButtons: (ids, chatId, messageId) =>
        bindSandboxButtons({ ids, chat: { platform: 'sandbox', chatId }, messageId }),
    });
    routes.push((app) => app.use(router));
  }
  return routes;
}

async function startBots(parts: Parts): Promise<Stoppable[]> {
  const { telegram, discord } = parts;
  const started: Stoppable[] = [];
  if (telegram) {
    await telegram.start();
    started.push({ name: 'telegram', stop: () => telegram.stop() });
  }
  if (discord) {
    await discord.start();
    started.push({ name: 'discord', stop: () => discord.stop() });
  }
  return started;
}

/** A transport's send as the notifier's Sender: `typed` turns the platform's failures into RateLimited / Blocked. */
function senderOf(
  send: (
    to: string,
    message: OutMessage,
    key?: string,
    signal?: AbortSignal,
  ) => Promise<{ messageId: string; chatId?: string }>,
  typed: (err: unknown) => Error | undefined,
): Sender {
  return {
    async send(to, message, key, signal) {
      try {
        return await send(to, message, key, signal);
      } catch (err) {
        throw typed(err) ?? err;
      }
    },
  };
}

/** DMs through the Discord transport. */
export function discordSender(discord: DiscordTransport): Sender {
  return senderOf(
    (userId, message, key) => discord.send(userId, message, key),
    (err) => {
      const failure = discordFailure(err);
      if (failure?.status === 429)
        return new RateLimited(failure.retryAfterMs ?? 1_000, failure.global ? 'global' : 'chat');
      if (isUnreachable(failure)) return new Blocked(failure?.message ?? 'cannot message this user');
      return undefined;
    },
  );
}

/** Notifications share the transport's rate limits. */
function telegramSender(telegram: TelegramTransport): Sender {
  return senderOf(
    (chatId, message, _key, signal) => telegram.send(chatId, message, signal),
    (err) => {
      const failure = apiFailure(err);
      if (failure?.code === 429) return new RateLimited((failure.retryAfterS ?? 1) * 1000, 'chat');
      if (isForbidden(failure)) return new Blocked(failure?.description ?? 'forbidden');
      return undefined;
    },
  );
}

/** Live messages (core/live) on Discord: edits with the bot token; a deleted message ends its edits. */
export function discordEditor(discord: DiscordTransport): Editor {
  return {
    async edit(channelId, messageId, message) {
      try {
        await discord.edit(channelId, messageId, message);
      } catch (err) {
        const failure = discordFailure(err);
        if (isDiscordMessageGone(failure)) throw new MessageGone(failure?.message ?? 'message gone');
        throw err;
      }
    },
    post: (channelId, message) => discord.post(channelId, message),
  };
}

/** A Bot API call on a message that is gone for good ends its job (MessageGone); anything else is retried. */
async function goneOrRethrow(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (err) {
    const failure = apiFailure(err);
    if (isMessageGone(failure)) throw new MessageGone(failure?.description ?? 'message gone');
    throw err;
  }
}

// Live messages (core/live): the workers edit them through each transport, within its limits.
function liveWorkerPorts(parts: Parts): LivePorts {
  const { config, telegram, discord, sandbox } = parts;
  const editors: Editors = {
    ...(sandbox ? { sandbox: createSandboxEditor(sandbox) } : {}),
    ...(discord && config.discordBotToken ? { discord: discordEditor(discord) } : {}),
    ...(telegram
      ? {
          telegram: {
            edit: (chatId, messageId, message) => goneOrRethrow(telegram.edit(chatId, messageId, message)),
            stopPoll: (chatId, messageId) => goneOrRethrow(telegram.stopPoll(chatId, messageId)),
            post: (chatId, message) => telegram.send(chatId, message),
          },
        }
      : {}),
  };
  return {
    editors,
    renderer: { render: (view) => renderNotification(view.locale, view.template, { timeZone: view.timeZone }) },
  };
}

/**
 * Queues are named after the database they serve: processes sharing a database share queues (scale
 * workers horizontally), and apps on different databases never take each other's jobs on one Redis.
 */
export function queuePrefix(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  const identity = config.databaseUrl ?? `pglite:${config.dataDir}`;
  return `chipin-${createHash('sha256').update(identity).digest('hex').slice(0, 10)}`;
}

async function startWorkerRole(parts: Parts): Promise<RunningWorkers> {
  const { config, log, db, redis, metrics, core, sandbox, telegram, discord } = parts;
  const senders: Senders = {
    ...(sandbox ? { sandbox: createSandboxSender(sandbox) } : {}),
    ...(telegram ? { telegram: telegramSender(telegram) } : {}),
    ...(discord && config.discordBotToken ? { discord: discordSender(discord) } : {}),
  };
  // The daily Stripe reconciliation: today's run, once (each run schedules the next day's).
  if (core.cashier.available) await scheduleReconcile(db);
  const workers = await startWorkers({
    db,
    redis,
    log,
    metrics,
    prefix: queuePrefix(config),
    remindersPerDay: config.throttles.remindersPerDay,
    handlers: core.timed,
    notifier: {
      directory: createDirectory({ people: core.people }),
      renderer: { render: renderNotification },
      senders,
    },
    live: liveWorkerPorts(parts),
    // A reconnect landed on a Redis that may evict queued jobs: stop (graceful); the next start refuses it.
    onUnsafeRedis: () => process.kill(process.pid, 'SIGTERM'),
  });
  return workers;
}

/** Why `roles` cannot run without Redis: the in-process jobs need every role in the one process. */
function rolesWithoutRedis(roles: readonly Role[]): RedisUnavailableError | undefined {
  if (roles.length === ROLES.length) return undefined;
  const flags = roles.map((role) => `--${role}`).join(' ');
  return new RedisUnavailableError(
    `chipin start ${flags} needs Redis: without it (REDIS_URL unset, nothing on 127.0.0.1:6379, no redis-server ` +
      'on PATH) the timed work runs in-process and one process runs every role, so no other process could run ' +
      'the rest; run chipin start without role flags, or install Redis or set REDIS_URL',
  );
}

/** The Stripe gateway when STRIPE_SECRET_KEY is set, and where Checkout sends payers back. */
export function stripeOf(config: Config): {
  gateway: ReturnType<typeof createStripeGateway> | undefined;
  returnUrl: string;
} {
  const base = config.publicUrl ? new URL(config.publicUrl).origin : `http://localhost:${config.port}`;
  return {
    gateway: config.stripeSecretKey
      ? createStripeGateway({
          secretKey: config.stripeSecretKey,
          apiBase: config.stripeApiBase,
          ...(config.stripeWebhookSecret ? { webhookSecret: config.stripeWebhookSecret } : {}),
        })
      : undefined,
    returnUrl: `${base}${STRIPE_RETURN_PATH}`,
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

async function stopAll(started: readonly Stoppable[], log: Logger): Promise<void> {
  for (const part of [...started].reverse()) {
    try {
      await part.stop();
    } catch (err) {
      log.error({ err, part: part.name }, 'stop failed');
    }
  }
}

/** Starts the given roles; every process also serves /healthz, /readyz and /metrics on PORT. */
export async function startApp(
  config: Config,
  log: Logger,
  roles: readonly Role[],
  hooks: AppHooks = {},
): Promise<App> {
  const started: Stoppable[] = [];
  try {
    // The database first: a second process on a PGlite directory must fail before touching anything else.
    const { db, intake, close, location } = await openDatabase(config, log, { migrate: false, intake: true });
    started.push({ name: 'database', stop: close });
    const redis = await resolveRedisOrNone(config, log, {
      ...(config.redisLocalUrl ? { localUrl: config.redisLocalUrl } : {}),
    });
    if (redis) started.push({ name: 'redis', stop: () => redis.close() });
    else {
      const refused = rolesWithoutRedis(roles);
      if (refused) throw refused;
    }
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ applied, database: location }, 'migrations applied');

    const metrics = createMetricsRegistry({ version: version() });
    const core = createCore({ db, config, log, stripe: stripeOf(config) });
    registerCashierMetrics(metrics, { db, log });
    // The abuse throttles share one fail-fast connection: a lost Redis lets commands through rather than wait.
    // Without Redis they count in this process (the only one).
    const throttleRedis = redis?.createConnection('producer') ?? null;
    const layer = createCommandLayer({
      core,
      config,
      log,
      throttle: createPersonThrottle(throttleRedis, queuePrefix(config), config.throttles, log),
    });
    const telegram = config.telegramBotToken
      ? createTelegramTransport({
          config,
          db,
          intake,
          log: log.child({ transport: 'telegram' }),
          layer,
          commands: localizedCommands({ demoMoney: config.demoMoney }),
          ...(hooks.telegram ? { options: hooks.telegram } : {}),
        })
      : undefined;
    const discord =
      config.discordPublicKey || config.discordBotToken
        ? createDiscordTransport({
            config,
            db,
            intake,
            log: log.child({ transport: 'discord' }),
            layer,
            guard: createDiscordGuard(
              throttleRedis,
              queuePrefix(config),
              {
                threshold: config.throttles.discordInvalidThreshold,
                windowMs: config.throttles.discordInvalidWindowMs,
                forbiddenTtlMs: config.throttles.discordForbiddenTtlMs,
              },
              log.child({ transport: 'discord' }),
            ),
            options: {
              // A gateway gone for good ends the process (graceful stop); the supervisor restarts it with backoff.
              onFatal: () => process.kill(process.pid, 'SIGTERM'),
              ...hooks.discord,
            },
          })
        : undefined;
    const sandbox = config.nodeEnv === 'production' ? undefined : createSandboxStore();
    const parts: Parts = { config, log, db, redis, metrics, core, layer, telegram, discord, sandbox };

    if (roles.includes('bots')) started.push(...(await startBots(parts)));
    let workers: RunningWorkers | undefined;
    if (roles.includes('workers')) {
      const running = await startWorkerRole(parts);
      started.push({ name: 'workers', stop: () => running.stop() });
      workers = running;
    }

    const health = redis?.createConnection('producer');
    const routes = roles.includes('http') ? httpRoutes(parts) : [];
    if (roles.includes('http') && config.adminToken) {
      if (redis) {
        // /admin/queues reads the queues through a producer connection of its own (fails fast).
        const queues = createQueues(redis.createConnection('producer'), queuePrefix(config));
        started.push({ name: 'admin queues', stop: () => closeQueues(queues) });
        routes.push(adminQueuesRoute({ adminToken: config.adminToken, queues, board: queues, db }));
      } else if (workers) {
        // No board without Redis: the dead letters route counts the in-process queues.
        routes.push(adminQueuesRoute({ adminToken: config.adminToken, queues: workers.queues, board: null, db }));
      }
    }
    const app = createHttpApp({
      log,
      metrics,
      // Without Redis there is nothing but Postgres to be ready for.
      readiness: { postgres: () => db.query('SELECT 1'), ...(health ? { redis: () => health.ping() } : {}) },
      routes,
    });
    const http = await startHttpServer(app, { port: config.port, log });
    started.push({ name: 'http', stop: () => http.stop() });

    log.info(
      { roles, port: http.port, database: location, redis: redis?.address ?? 'none (timed work in-process)' },
      'chipin started',
    );
    let stopping: Promise<void> | undefined;
    return { roles, port: http.port, stop: () => (stopping ??= stopAll(started, log)) };
  } catch (err) {
    await stopAll(started, log);
    throw err;
  }
}
