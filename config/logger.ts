/**
 * pino to stderr (stdout stays clean for `--json` output), with secrets kept out of every line:
 * `redact` removes known keys, and a regex scrubber removes token shapes from strings, which redaction cannot see.
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

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, depth + 1)]));
}

/** pino's error serializer, with secrets scrubbed from message, stack, cause and any other string property. */
function errSerializer(err: unknown): unknown {
  return err instanceof Error ? scrubDeep(stdSerializers.err(err)) : scrubDeep(err);
}

const SECRET_KEYS = ['token', 'secret', 'password', 'apiKey', 'authorization', 'cookie'];
const SECRET_HEADERS = [
  'authorization',
  'cookie',
  '["x-telegram-bot-api-secret-token"]',
  '["stripe-signature"]',
  '["x-signature-ed25519"]',
];
// Config fields, in case a config object (or part of it) is logged.
const CONFIG_SECRETS = [
  'telegramBotToken',
  'telegramWebhookSecret',
  'discordBotToken',
  'stripeSecretKey',
  'stripeWebhookSecret',
  'adminToken',
  'databaseUrl',
  'redisUrl',
];

const header = (prefix: string, name: string) => (name.startsWith('[') ? `${prefix}${name}` : `${prefix}.${name}`);

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_HEADERS.flatMap((name) => [
    header('req.headers', name),
    header('headers', name),
    header('*.headers', name),
  ]),
  ...[...SECRET_KEYS, ...CONFIG_SECRETS].flatMap((key) => [key, `*.${key}`]),
];

export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: errSerializer, error: errSerializer },
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
