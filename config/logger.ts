/**
 * pino to stderr (stdout stays clean for `--json` output), with secrets and people's words kept out of every line:
 * fields named like secrets or carrying message content are replaced at any depth, and a regex scrubber removes
 * token shapes from strings (and, last, from the finished line).
 */
import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Config } from './env.js';

export type Logger = PinoLogger;

const REDACTED = '[Redacted]';

/** Shapes of secrets that end up inside strings: error messages, stacks, URLs. */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Telegram bot token, bare or in a Bot API URL (`/bot<id>:<secret>/getMe`).
  [/(?<!\d)\d{3,}:[A-Za-z0-9_-]{20,}/g, REDACTED],
  // Stripe secret and restricted keys, webhook signing secrets.
  [/\b(?:sk|rk)_(?:live|test)_\w+/g, REDACTED],
  [/\bwhsec_\w+/g, REDACTED],
  // Discord bot token (base64 id . timestamp . hmac); also catches JWTs.
  [/[\w-]{24,}\.[\w-]{6}\.[\w-]{27,}/g, REDACTED],
  // Password in any URL's userinfo: postgres://user:pass@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)[^\s/@"]+@/gi, `$1${REDACTED}@`],
  // Credentials in header-like text: `Authorization: Bearer …`, `x-telegram-bot-api-secret-token=…`.
  [
    /\b((?:authorization|x-telegram-bot-api-secret-token|stripe-signature)["']?\s*[:=]\s*["']?)(?:(?:Bearer|Basic|Bot)\s+)?[^\s"',;}]+/gi,
    `$1${REDACTED}`,
  ],
];

/** Replaces every known secret shape in `text`. */
export function scrubSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * Field names whose values are secrets, at any depth (`token`, `secret`, `password`, `authorization`, `cookie`,
 * `apiKey`, `x-signature-ed25519`, `stripe-signature`, `telegramBotToken`, `stripeSecretKey`, `databaseUrl`…).
 */
const SECRET_KEY = /token|secret|passw(or)?d|authorization|cookie|api[-_]?key|signature|database_?url|redis_?url/i;

/**
 * Fields that carry what people wrote or what was sent to a platform on their behalf — message text, a Bot API
 * call's parameters (telegraf errors keep them in `on.payload`), an update, a request body, Discord message content
 * (discord.js errors keep it in `requestBody`) — at any depth. Never logged: the ids around them say enough.
 */
const CONTENT_KEYS = new Set([
  'text',
  'caption',
  'payload',
  'update',
  'body',
  'rawBody',
  'content',
  'requestBody',
  'reply_markup',
  'embeds',
  'components',
]);

const MAX_DEPTH = 12;

/**
 * A log object made safe: secret and content fields replaced at any depth, token shapes scrubbed from every string,
 * errors (wherever they sit) serialized as pino serializes `err` and cleaned the same way.
 */
function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value instanceof Error) return clean(stdSerializers.err(value), depth);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_KEY.test(key) || CONTENT_KEYS.has(key) ? REDACTED : clean(item, depth + 1),
    ]),
  );
}

/** pino's error serializer, with secrets and content cleaned from message, stack, cause and every other property. */
const errSerializer = (err: unknown): unknown => clean(err);

export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    serializers: { err: errSerializer, error: errSerializer },
    // Every line's fields, at any depth (errors included: the serializers then see plain objects).
    formatters: { log: (object: Record<string, unknown>) => clean(object) as Record<string, unknown> },
    // Last net: scrubs msg and every field of the finished line, whatever its key.
    hooks: { streamWrite: scrubSecrets },
  };
  if (destination) return pino(options, destination);
  if (config.nodeEnv === 'development' && process.stderr.isTTY) {
    // A transport resolves pino-pretty (a dev dependency) only here, never in production.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  }
  // Synchronous, so the last lines before a crash are not lost.
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
