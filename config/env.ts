/**
 * The only reader of process.env (SPEC §3): one zod schema for every variable, validated once at start into a
 * frozen, typed Config. A bad value becomes a ConfigError naming the variable; secrets are never echoed.
 */
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import {
  DEFAULT_MAX_AMOUNT_SPEC,
  isCurrency,
  parseAmount,
  parseMaxAmount,
  type Amount,
  type MaxAmount,
} from '../core/money/index.js';

export type Env = Record<string, string | undefined>;

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Config {
  readonly nodeEnv: NodeEnv;
  /** 0 = an ephemeral port (tests). */
  readonly port: number;
  /** Without a trailing slash. When set, Telegram `setWebhook` is called with it at start. */
  readonly publicUrl: string | undefined;
  /** Absolute path. */
  readonly dataDir: string;
  /** Unset: embedded Postgres (PGlite) under dataDir. */
  readonly databaseUrl: string | undefined;
  /** Postgres connections this process keeps at most (DATABASE_POOL_SIZE, 10; not in SPEC §3: an operator's knob). */
  readonly databasePoolSize: number;
  /** The server cancels a statement running longer (DATABASE_STATEMENT_TIMEOUT, 10s; migrations have none). */
  readonly databaseStatementTimeoutMs: number;
  /** The server ends a session idle inside a transaction this long (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT, 2m). */
  readonly databaseIdleInTransactionTimeoutMs: number;
  /** Getting a connection waits at most this long (DATABASE_CONNECT_TIMEOUT, 10s). */
  readonly databaseConnectTimeoutMs: number;
  /** A redis:// or rediss:// URL, or a unix socket (unix:// URL or absolute path). */
  readonly redisUrl: string | undefined;
  /**
   * Tests only (NODE_ENV=test): the address tried instead of redis://127.0.0.1:6379 when REDIS_URL is unset, so a
   * test can show a machine without Redis on one that runs it (REDIS_LOCAL_URL).
   */
  readonly redisLocalUrl: string | undefined;
  readonly logLevel: LogLevel;
  /** Upper-case ISO 4217 code. */
  readonly defaultCurrency: string;
  readonly defaultLocale: Locale;
  /** Canonical IANA time zone name. */
  readonly defaultTimezone: string;
  readonly maxAmount: MaxAmount;
  /** In the default currency; payments above it ask for a confirm tap. `minor: 0n` means confirm every payment. */
  readonly confirmThreshold: Amount;
  readonly telegramBotToken: string | undefined;
  /** Without a trailing slash. */
  readonly telegramApiRoot: string;
  /** Set: webhook mode; unset: long polling. */
  readonly telegramWebhookSecret: string | undefined;
  readonly discordBotToken: string | undefined;
  readonly discordApplicationId: string | undefined;
  /** Lower-case hex. */
  readonly discordPublicKey: string | undefined;
  /** Without a trailing slash. */
  readonly discordApiBase: string;
  /** Every Discord REST call without an answer after this is aborted (and retried by @discordjs/rest). */
  readonly discordRestTimeoutMs: number;
  readonly stripeSecretKey: string | undefined;
  readonly stripeWebhookSecret: string | undefined;
  /** Without a trailing slash. */
  readonly stripeApiBase: string;
  readonly adminToken: string | undefined;
  /** Enables `/faucet`; never true in production. */
  readonly demoMoney: boolean;
  /** Durations in milliseconds, all positive integers. */
  readonly holdTtlMs: number;
  readonly requestTtlMs: number;
  readonly redpacketTtlMs: number;
  readonly voteTtlMs: number;
  readonly iouConfirmTtlMs: number;
  readonly borrowTtlMs: number;
  readonly linkCodeTtlMs: number;
  readonly undoWindowMs: number;
  /** What a withdrawal costs: WITHDRAW_FEE_FIXED minor units + WITHDRAW_FEE_BPS of the amount, rounded up. */
  readonly withdrawFee: { readonly fixedMinor: bigint; readonly basisPoints: number };
  /** How long a withdrawal Stripe refused with `balance_insufficient` waits before its next try (WITHDRAW_RETRY). */
  readonly withdrawRetryMs: number;
  /** Abuse throttles (issue 16): per-person limits, the daily reminder cap, Discord's invalid-request breaker. */
  readonly throttles: Throttles;
}

/** Every limit is shared by the processes on one Redis; 0 turns a limit off. */
export interface Throttles {
  /** Commands that write (every money command) one person may give per minute (RATE_MONEY_PER_MINUTE). */
  readonly moneyPerMinute: number;
  /** Button presses one person may make per minute (RATE_PRESSES_PER_MINUTE). */
  readonly pressesPerMinute: number;
  /** Reminders and other deferrable notices one person receives per UTC day (REMINDERS_PER_DAY). */
  readonly remindersPerDay: number;
  /** Discord 401/403/429 answers within the window that pause notifications (DISCORD_INVALID_THRESHOLD). */
  readonly discordInvalidThreshold: number;
  /** The sliding window those answers are counted over (DISCORD_INVALID_WINDOW; Discord's is 10 minutes). */
  readonly discordInvalidWindowMs: number;
  /** How long a Discord user or channel that answered 403 is not called again (DISCORD_FORBIDDEN_TTL). */
  readonly discordForbiddenTtlMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';

  constructor(
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Variables whose values must never appear in an error message (URLs may carry passwords). */
const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_BOT_TOKEN',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'TEST_DATABASE_URL',
  'TEST_REDIS_URL',
]);

/** A string checked by `parse`, which returns undefined for a bad value; `message` then names what is expected. */
function parsed<T>(message: string, parse: (text: string) => T | undefined) {
  return z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const matching = (pattern: RegExp, message: string) => z.string().regex(pattern, { error: message });

function urlWith(protocols: readonly string[], text: string): URL | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url && protocols.includes(url.protocol) ? url : undefined;
}

const withoutTrailingSlash = (text: string) => text.replace(/\/+$/, '');

const httpUrl = parsed('must be an http:// or https:// URL', (text) =>
  urlWith(['http:', 'https:'], text) ? withoutTrailingSlash(text) : undefined,
);

const postgresUrl = parsed('must be a postgres:// or postgresql:// URL', (text) =>
  urlWith(['postgres:', 'postgresql:'], text) ? text : undefined,
);

const redisUrl = parsed('must be a redis://, rediss:// or unix:// URL, or an absolute socket path', (text) =>
  urlWith(['redis:', 'rediss:', 'unix:'], text) || path.isAbsolute(text) ? text : undefined,
);

const port = parsed('must be an integer from 0 to 65535', (text) =>
  /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined,
);

const poolSize = parsed('must be an integer from 1 to 100', (text) =>
  /^\d{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= 100 ? Number(text) : undefined,
);

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `24h`, `2d`, `500ms` in milliseconds (0 allowed); undefined when it is not such a duration. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const unit = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  const ms = unit === undefined ? NaN : Number(match?.[1]) * unit;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const duration = parsed('must be a positive duration like 90s, 15m, 24h or 2d', (text) => {
  const ms = durationMs(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
});

const currency = parsed('must be a known ISO 4217 currency code', (text) =>
  isCurrency(text.toUpperCase()) ? text.toUpperCase() : undefined,
);

const locale = parsed(`must be one of ${LOCALES.join(', ')}`, (text) =>
  LOCALES.find((known) => known.toLowerCase() === text.toLowerCase()),
);

const timeZone = parsed('must be an IANA time zone name like UTC or Asia/Shanghai', (text) => {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
});

const flag = parsed('must be 1 (enabled) or 0 (disabled)', (text) =>
  text === '1' ? true : text === '0' ? false : undefined,
);

const minorUnits = parsed('must be a whole number of minor units (cents), 0 to 999999999', (text) =>
  /^\d{1,9}$/.test(text) ? BigInt(text) : undefined,
);

const basisPoints = parsed('must be whole basis points from 0 to 10000 (25 = 0.25 %)', (text) =>
  /^\d{1,5}$/.test(text) && Number(text) <= 10_000 ? Number(text) : undefined,
);

const count = (max: number) =>
  parsed(`must be a whole number from 0 to ${max} (0 turns the limit off)`, (text) =>
    /^\d{1,7}$/.test(text) && Number(text) <= max ? Number(text) : undefined,
  );

const bareToken = matching(/^\S+$/, 'must be the bare value, without spaces');

const variables = z.object({
  NODE_ENV: oneOf(NODE_ENVS).default('development'),
  PORT: port.prefault('3000'),
  PUBLIC_URL: httpUrl.optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: poolSize.prefault('10'),
  DATABASE_STATEMENT_TIMEOUT: duration.prefault('10s'),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: duration.prefault('2m'),
  DATABASE_CONNECT_TIMEOUT: duration.prefault('10s'),
  REDIS_URL: redisUrl.optional(),
  REDIS_LOCAL_URL: redisUrl.optional(),
  LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
  DEFAULT_CURRENCY: currency.prefault('USD'),
  DEFAULT_LOCALE: locale.prefault('en'),
  DEFAULT_TIMEZONE: timeZone.prefault('UTC'),
  // Both depend on DEFAULT_CURRENCY, so they are parsed in the cross-variable step below.
  MAX_AMOUNT: z.string().default(DEFAULT_MAX_AMOUNT_SPEC),
  CONFIRM_THRESHOLD: z.string().default('20'),
  TELEGRAM_BOT_TOKEN: matching(
    /^\d+:[A-Za-z0-9_-]{20,}$/,
    'must look like <bot id>:<secret> as given by @BotFather',
  ).optional(),
  TELEGRAM_API_ROOT: httpUrl.prefault('https://api.telegram.org'),
  TELEGRAM_WEBHOOK_SECRET: matching(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1 to 256 of A-Z a-z 0-9 _ -').optional(),
  DISCORD_BOT_TOKEN: bareToken.optional(),
  DISCORD_APPLICATION_ID: matching(/^\d{1,20}$/, 'must be the numeric application id').optional(),
  DISCORD_PUBLIC_KEY: matching(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
    .transform((hex) => hex.toLowerCase())
    .optional(),
  DISCORD_API_BASE: httpUrl.prefault('https://discord.com/api'),
  DISCORD_REST_TIMEOUT: duration.prefault('15s'),
  STRIPE_SECRET_KEY: bareToken.optional(),
  STRIPE_WEBHOOK_SECRET: bareToken.optional(),
  STRIPE_API_BASE: httpUrl.prefault('https://api.stripe.com'),
  ADMIN_TOKEN: bareToken.optional(),
  DEMO_MONEY: flag.prefault('0'),
  // Read only to refuse it in production: telegraf's debug output logs the expected webhook secret.
  DEBUG: z.string().optional(),
  HOLD_TTL: duration.prefault('24h'),
  REQUEST_TTL: duration.prefault('24h'),
  REDPACKET_TTL: duration.prefault('24h'),
  VOTE_TTL: duration.prefault('48h'),
  IOU_CONFIRM_TTL: duration.prefault('48h'),
  BORROW_TTL: duration.prefault('24h'),
  LINK_CODE_TTL: duration.prefault('10m'),
  UNDO_WINDOW: duration.prefault('10s'),
  WITHDRAW_FEE_FIXED: minorUnits.prefault('25'),
  WITHDRAW_FEE_BPS: basisPoints.prefault('25'),
  WITHDRAW_RETRY: duration.prefault('1h'),
  RATE_MONEY_PER_MINUTE: count(10_000).prefault('20'),
  RATE_PRESSES_PER_MINUTE: count(10_000).prefault('60'),
  REMINDERS_PER_DAY: count(10_000).prefault('10'),
  DISCORD_INVALID_THRESHOLD: count(10_000).prefault('5000'),
  DISCORD_INVALID_WINDOW: duration.prefault('10m'),
  DISCORD_FORBIDDEN_TTL: duration.prefault('24h'),
});

type Variables = z.output<typeof variables>;
type Ctx = z.core.$RefinementCtx<Variables>;

function fail(ctx: Ctx, variable: keyof Variables, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', path: [variable], message });
  return z.NEVER;
}

function confirmThreshold(v: Variables, maxAmount: MaxAmount, ctx: Ctx): Amount {
  const expected = `must be 0 or an amount in major units of ${v.DEFAULT_CURRENCY}`;
  // parseAmount rejects zero, but here 0 means "confirm every payment".
  if (/^0+(\.0+)?$/.test(v.CONFIRM_THRESHOLD)) return { minor: 0n, currency: v.DEFAULT_CURRENCY };
  const result = parseAmount(v.CONFIRM_THRESHOLD, { defaultCurrency: v.DEFAULT_CURRENCY, max: maxAmount });
  if (!result.ok && result.reason === 'TooLarge')
    return fail(ctx, 'CONFIRM_THRESHOLD', `${expected}, at most MAX_AMOUNT`);
  if (!result.ok || result.amount.currency !== v.DEFAULT_CURRENCY) return fail(ctx, 'CONFIRM_THRESHOLD', expected);
  return result.amount;
}

/** Would the `debug` package, given this DEBUG value, turn on a telegraf namespace? */
function enablesTelegrafDebug(debug: string): boolean {
  return debug
    .split(/[\s,]+/)
    .filter((pattern) => pattern !== '' && !pattern.startsWith('-'))
    .some((pattern) => {
      const glob = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return pattern.includes('telegraf') || glob.test('telegraf:webhook');
    });
}

const configSchema = variables.transform((v, ctx): Config => {
  const production = v.NODE_ENV === 'production';
  if (v.DEMO_MONEY && production) return fail(ctx, 'DEMO_MONEY', 'must be unset or 0 when NODE_ENV=production');
  if (v.DEBUG !== undefined && production && enablesTelegrafDebug(v.DEBUG)) {
    return fail(ctx, 'DEBUG', 'must not enable telegraf debug output when NODE_ENV=production (it logs secrets)');
  }
  if (v.REDIS_LOCAL_URL !== undefined && v.NODE_ENV !== 'test')
    return fail(ctx, 'REDIS_LOCAL_URL', 'is for tests only: leave it unset unless NODE_ENV=test');
  const max = parseMaxAmount(v.MAX_AMOUNT, v.DEFAULT_CURRENCY);
  if (!max.ok)
    return fail(ctx, 'MAX_AMOUNT', `must be like 10000 or USD:10000,CNY:50000 in major units: ${max.message}`);
  const threshold = confirmThreshold(v, max.value, ctx);

  return Object.freeze({
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    publicUrl: v.PUBLIC_URL,
    dataDir: path.resolve(v.DATA_DIR),
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT,
    databaseIdleInTransactionTimeoutMs: v.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT,
    databaseConnectTimeoutMs: v.DATABASE_CONNECT_TIMEOUT,
    redisUrl: v.REDIS_URL,
    redisLocalUrl: v.REDIS_LOCAL_URL,
    logLevel: v.LOG_LEVEL,
    defaultCurrency: v.DEFAULT_CURRENCY,
    defaultLocale: v.DEFAULT_LOCALE,
    defaultTimezone: v.DEFAULT_TIMEZONE,
    maxAmount: max.value,
    confirmThreshold: Object.freeze(threshold),
    telegramBotToken: v.TELEGRAM_BOT_TOKEN,
    telegramApiRoot: v.TELEGRAM_API_ROOT,
    telegramWebhookSecret: v.TELEGRAM_WEBHOOK_SECRET,
    discordBotToken: v.DISCORD_BOT_TOKEN,
    discordApplicationId: v.DISCORD_APPLICATION_ID,
    discordPublicKey: v.DISCORD_PUBLIC_KEY,
    discordApiBase: v.DISCORD_API_BASE,
    discordRestTimeoutMs: v.DISCORD_REST_TIMEOUT,
    stripeSecretKey: v.STRIPE_SECRET_KEY,
    stripeWebhookSecret: v.STRIPE_WEBHOOK_SECRET,
    stripeApiBase: v.STRIPE_API_BASE,
    adminToken: v.ADMIN_TOKEN,
    demoMoney: v.DEMO_MONEY,
    holdTtlMs: v.HOLD_TTL,
    requestTtlMs: v.REQUEST_TTL,
    redpacketTtlMs: v.REDPACKET_TTL,
    voteTtlMs: v.VOTE_TTL,
    iouConfirmTtlMs: v.IOU_CONFIRM_TTL,
    borrowTtlMs: v.BORROW_TTL,
    linkCodeTtlMs: v.LINK_CODE_TTL,
    undoWindowMs: v.UNDO_WINDOW,
    withdrawFee: Object.freeze({ fixedMinor: v.WITHDRAW_FEE_FIXED, basisPoints: v.WITHDRAW_FEE_BPS }),
    withdrawRetryMs: v.WITHDRAW_RETRY,
    throttles: Object.freeze({
      moneyPerMinute: v.RATE_MONEY_PER_MINUTE,
      pressesPerMinute: v.RATE_PRESSES_PER_MINUTE,
      remindersPerDay: v.REMINDERS_PER_DAY,
      discordInvalidThreshold: v.DISCORD_INVALID_THRESHOLD,
      discordInvalidWindowMs: v.DISCORD_INVALID_WINDOW,
      discordForbiddenTtlMs: v.DISCORD_FORBIDDEN_TTL,
    }),
  });
});

/** Trimmed values of the variables `schema` knows; an empty value means unset. */
function pick(schema: z.ZodObject, env: Env): Env {
  return Object.fromEntries(
    Object.keys(schema.shape).map((name) => {
      const value = env[name]?.trim();
      return [name, value === '' ? undefined : value];
    }),
  );
}

function parseOrThrow<T>(schema: z.ZodType<T>, values: Env): T {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  const value = values[variable];
  const got =
    value === undefined || SECRET_VARIABLES.has(variable) ? '' : ` (got ${JSON.stringify(value.slice(0, 80))})`;
  const message = `${variable}: ${issue?.message ?? 'invalid'}${got}`.replace(/\s+/g, ' ');
  throw new ConfigError(variable, message);
}

let dotenvLoaded = false;

/** process.env, after loading `.env` once when present (the real environment wins). */
function processEnv(): Env {
  if (!dotenvLoaded) {
    dotenvLoaded = true;
    const { error } = dotenv.config({ quiet: true });
    if (error && (error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('.env', `.env: could not be read (${error.message})`);
    }
  }
  return process.env;
}

/** Validates the environment (by default process.env plus `.env`); throws ConfigError on the first bad variable. */
export function loadConfig(env: Env = processEnv()): Config {
  return parseOrThrow(configSchema, pick(variables, env));
}

let cached: Config | undefined;

/** The app's config, read once; a bad value prints one line to stderr and exits 1. */
export function readConfigOrExit(): Config {
  if (cached) return cached;
  try {
    cached = loadConfig();
    return cached;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`chipin: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

export interface TestEnv {
  /** Used only to create per-file databases. */
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

const testVariables = z.object({
  TEST_DATABASE_URL: postgresUrl.prefault('postgres://postgres@127.0.0.1:5432/postgres'),
  TEST_REDIS_URL: redisUrl.prefault('redis://127.0.0.1:6379'),
});

/** Where the test suite finds Postgres and Redis (SPEC §7). Read only by tests. */
export function loadTestEnv(env: Env = processEnv()): TestEnv {
  const v = parseOrThrow(testVariables, pick(testVariables, env));
  return Object.freeze({ databaseUrl: v.TEST_DATABASE_URL, redisUrl: v.TEST_REDIS_URL });
}
