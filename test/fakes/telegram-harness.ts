/**
 * Test harness for the Telegram transport: the fake Bot API, a tiny real CommandLayer, a log capture, and the real
 * express app (bots/http.ts) on an ephemeral port with the transport's webhook route mounted.
 */
import { Writable } from 'node:stream';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../../bots/http.js';
import { createMetricsRegistry } from '../../bots/metrics.js';
import type { CommandLayer, Effect, HandleResult, IncomingEvent } from '../../bots/commands/types.js';
import {
  createTelegramTransport,
  type TelegramConfig,
  type TelegramTransport,
  type TelegramTransportOptions,
} from '../../bots/telegram/index.js';
import { createLogger, type Logger } from '../../config/logger.js';
import type { Db } from '../../core/db/executor.js';
import { FakeTelegramApi, type FakeLimits } from './telegram-api.js';

export const TOKEN = ['123456789', 'AAH-harness-token-for-telegram-tests-0123'].join(':');
export const SECRET = 'webhook_Secret-for-tests_0123456789';

export interface LogCapture {
  log: Logger;
  /** Everything logged so far. */
  text(): string;
  lines(): Array<Record<string, unknown>>;
}

/** The project logger writing into memory (at debug, so the most is there to scan). */
export function captureLogs(): LogCapture {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const log = createLogger({ logLevel: 'debug', nodeEnv: 'test' }, sink);
  return {
    log,
    text: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/**
 * A small real CommandLayer: "/pay args" → a public reply with a Confirm button; "/balance" → a private reply;
 * "/export" → a private CSV; "/spam n" → n public replies; "/say x" → a public reply "said x" (no buttons); "/live ref version" → a live message; "/long" → a 6,000-character reply; "/slow ms"; "/fail"
 * throws; a button press → an answer and an edit. Like the real layer it returns the recorded effects for a key it
 * has already handled.
 */
export class EchoLayer implements CommandLayer {
  readonly events: IncomingEvent[] = [];
  /** handle() calls that ran the command (not replays). */
  executions = 0;
  buttonDelayMs = 0;
  private readonly outcomes = new Map<string, HandleResult>();

  async handle(event: IncomingEvent): Promise<HandleResult> {
    this.events.push(event);
    if (event.type === 'seen' || event.type === 'member' || event.type === 'vote') return { effects: [] };
    const recorded = this.outcomes.get(event.key);
    if (recorded) return recorded;
    this.executions += 1;
    const result = { effects: await this.run(event) };
    this.outcomes.set(event.key, result);
    return result;
  }

  commands(): Array<Extract<IncomingEvent, { type: 'command' }>> {
    return this.events.filter((e) => e.type === 'command');
  }

  private async run(event: Exclude<IncomingEvent, { type: 'seen' | 'member' | 'vote' }>): Promise<Effect[]> {
    if (event.type === 'button') {
      if (this.buttonDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.buttonDelayMs));
      return [
        { type: 'edit', message: { text: `confirmed ${event.actionId}` } },
        { type: 'answer', text: 'Done' },
      ];
    }
    const reply = (text: string, isPrivate = false): Effect => ({
      type: 'reply',
      private: isPrivate,
      message: { text },
    });
    switch (event.command) {
      case 'pay':
        return [
          {
            type: 'reply',
            private: false,
            message: { text: `pay: ${event.args}`, buttons: [[{ label: 'Confirm', actionId: `act:${event.key}` }]] },
          },
        ];
      case 'balance':
        return [reply('balance: 0.00 USD', true)];
      case 'export':
        return [
          {
            type: 'reply',
            private: true,
            message: {
              text: 'Your history',
              document: { filename: 'history.csv', mime: 'text/csv', content: 'a,b\n1,2\n' },
            },
          },
        ];
      case 'spam':
        return Array.from({ length: Number(event.args) }, (_, i) => reply(`message ${i + 1}`));
      case 'long':
        return [
          {
            type: 'reply',
            private: false,
            message: { text: `${'x'.repeat(99)}\n`.repeat(60), buttons: [[{ label: 'More', actionId: 'act:more' }]] },
          },
        ];
      case 'say':
        return [reply(`said ${event.args}`)];
      case 'live': {
        // "/live <ref> <version>": posts the live message `ref`, rendered at `version`.
        const [ref = 'live:none', version = '1'] = event.args.split(/\s+/);
        return [{ type: 'live', ref, version, message: { text: `live ${ref}` } }];
      }
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, Number(event.args)));
        return [reply('slow done')];
      case 'fail':
        throw new Error('the command layer is down');
      default:
        return [reply(`unknown command ${event.command}`)];
    }
  }
}

export const COMMANDS = [
  { name: 'pay', description: { en: 'Pay someone', 'zh-CN': '付款' } },
  { name: 'balance', description: { en: 'Your balance', 'zh-CN': '余额' } },
];

export interface HarnessOptions {
  db: Db;
  mode: 'webhook' | 'polling';
  layer?: EchoLayer;
  /** A command layer of the test's own (a real one) for the transport, instead of `layer`. */
  commandLayer?: CommandLayer;
  fake?: FakeTelegramApi;
  /** The fake's limits (default: none enforced, so tests that do not test limits run fast). */
  fakeLimits?: FakeLimits | false;
  transport?: TelegramTransportOptions;
  /** Set PUBLIC_URL to the harness server (webhook mode). Default true. */
  publicUrl?: boolean;
  capture?: LogCapture;
}

export interface Harness {
  fake: FakeTelegramApi;
  layer: EchoLayer;
  transport: TelegramTransport;
  logs: LogCapture;
  /** http://127.0.0.1:<port> of the app serving the webhook route. */
  url: string;
  /** POSTs a body to the webhook route with the given secret header (null: none). */
  post(body: unknown, secret?: string | null, init?: { contentType?: string; path?: string }): Promise<number>;
  /** Stops the transport and the HTTP server (the fake stays up unless `withFake`). */
  stop(withFake?: boolean): Promise<void>;
}

const FAST_INBOX = { graceMs: 200, sweepEveryMs: 100 };

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const fake = options.fake ?? new FakeTelegramApi({ token: TOKEN, limits: options.fakeLimits ?? false });
  if (!options.fake) await fake.listen();
  const layer = options.layer ?? new EchoLayer();
  const logs = options.capture ?? captureLogs();

  // Mounted before the transport exists: PUBLIC_URL (its config) is only known once the server listens.
  const mounted: { transport?: TelegramTransport } = {};
  const app = createHttpApp({
    log: logs.log,
    metrics: createMetricsRegistry({ version: 'test' }),
    readiness: {},
    routes: [
      (express) =>
        express.use((req, res, next) => {
          if (mounted.transport?.router) mounted.transport.router(req, res, next);
          else next();
        }),
    ],
  });
  const http: RunningHttpServer = await startHttpServer(app, {
    port: 0,
    host: '127.0.0.1',
    log: logs.log,
    drainMs: 500,
  });
  const url = `http://127.0.0.1:${http.port}`;

  const config: TelegramConfig = {
    telegramBotToken: TOKEN,
    telegramApiRoot: fake.apiRoot,
    telegramWebhookSecret: options.mode === 'webhook' ? SECRET : undefined,
    publicUrl: options.mode === 'webhook' && options.publicUrl !== false ? url : undefined,
    defaultLocale: 'en',
  };
  const transport = createTelegramTransport({
    config,
    db: options.db,
    log: logs.log,
    layer: options.commandLayer ?? layer,
    commands: COMMANDS,
    options: { ...options.transport, inbox: { ...FAST_INBOX, ...options.transport?.inbox } },
  });
  mounted.transport = transport;
  await transport.start();
  const started = transport;

  return {
    fake,
    layer,
    transport: started,
    logs,
    url,
    async post(body, secret = SECRET, init = {}) {
      const res = await fetch(url + (init.path ?? '/telegram/webhook'), {
        method: 'POST',
        headers: {
          'content-type': init.contentType ?? 'application/json',
          ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async stop(withFake = false) {
      await started.stop();
      await http.stop();
      if (withFake) await fake.close();
    },
  };
}

/** Inbox rows of the harness bot, by state. */
export async function inboxStates(db: Db): Promise<Record<string, string>> {
  const r = await db.query<{ key: string; state: string }>(
    `SELECT key, state FROM inbox WHERE key LIKE 'tg:123456789:%'`,
  );
  return Object.fromEntries(r.rows.map((row) => [row.key, row.state]));
}
