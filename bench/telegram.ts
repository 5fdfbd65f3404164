/**
 * npm run bench:telegram — chipin's Telegram path against a bare telegraf echo bot, in one invocation.
 *
 * Both sides get the same Telegram updates POSTed to their webhook by 50 concurrent connections (closed loop: each
 * connection sends an update, waits for the bot's reply to arrive at the fake Bot API, then sends the next), and both
 * reply through the same fake Bot API (test/fakes/telegram-api.ts). Measured per update: from the webhook POST to the
 * reply arriving at the fake. The updates are `/pay 0.37` in a group, in reply to another user's message (the
 * recipient), between random users of 500 pre-funded with /faucet.
 *
 * - echo: telegraf `webhookCallback` in an express route, `ctx.reply` with the same text (its own process).
 * - simplest durable bot (issue 17's yardstick): the same route; per `/pay` one Postgres transaction (the update id,
 *   both balance rows locked, checked and updated, the transfer row), then `ctx.reply` — on a database of its own with
 *   every user funded, pg with 10 connections like chipin (its own process).
 * - chipin: the real app (`startApp` from app.ts, all three roles, fresh Postgres database, the test Redis) in its own
 *   process: webhook → inbox → command layer → ledger → reply. Telegram's rate limits are lifted on both sides (the
 *   fake enforces none, and chipin's outbound limits are lifted through `startApp`'s `hooks.telegram.limits`), or
 *   Telegram's 30 messages/s would be all this measures. The notifications to the recipients keep their own limits
 *   (not on the measured path).
 *
 * Then the Undo buttons of up to 5,000 of chipin's replies are pressed by their payers, 50 at a time (each press a real
 * reversal: UNDO_WINDOW is 10 minutes here), measuring from the callback POST to the answerCallbackQuery arriving
 * at the fake: Telegram's client spins until then, and the target is under a second.
 *
 * Then the burst with Telegram's limits on (as `chipin start` runs in production), skipped when BENCH_TEXT is refused:
 * BENCH_BURST `/pay` updates (the same as above, 500 groups) POSTed by 50 connections, each POST waiting only for its
 * webhook answer before the next.
 * - simplest durable bot: a fresh one on a fresh database, warmed up by BENCH_USERS /pay posted the same way (not
 *   measured; chipin's process is warmed up by its /faucet); it answers the POST after the commit and the reply, so
 *   its committed /pay per second is BENCH_BURST ÷ the time the POSTs took (checked: that many more transfers
 *   landed). It paces nothing (the fake enforces no limits).
 * - chipin: a second process (`serve-app-limited`: the same app, without `hooks.telegram`, so its outbound pacing is
 *   Telegram's: 1 message/s per chat, 20/min per group, 30/s overall) on a fresh database, its 500 users funded by
 *   /faucet (waiting until every answer is delivered, ~17 s at 30/s, so that the messages counted during the burst
 *   are the burst's own). It answers the POST once the update is stored, so its committed /pay per second is
 *   BENCH_BURST ÷ the time from the first POST until the last payment is committed (`transfers` of kind 'pay', polled
 *   every 100 ms); also printed: the group replies that had arrived at the fake by then, and every message sent
 *   meanwhile (notifications to the recipients included: together at most 30/s). The replies still queued are not
 *   waited for: the process is stopped (SIGTERM, SIGKILL after 30 s). The phase gives up after 180 s from its first
 *   POST and prints what it reached.
 *
 * Printed: the closed-loop table, the press run, the burst table, and issue 17's targets, each "met" / "NOT met"
 * (ratios are always chipin ÷ the simplest durable bot in the same run): 1. burst committed /pay per s ≥ 0.7×, the
 * replies at Telegram's pace; 2. /pay updates/s ≥ 0.7× then ≥ 1×, and p99 ≤ 1.5×; 3. Postgres CPU per /pay ≤ 1×;
 * 4. Undo presses/s ≥ 0.7× chipin's /pay updates/s with the answer's p99 < 1 s; 5. only with a refused BENCH_TEXT
 * (no payment recorded in the run): updates/s ≥ 1.5× (the durable bot answers its usage line). Targets 1–4 are about
 * /pay that commits and are printed only when the run recorded payments. The statements-per-/pay target is measured by
 * test/e2e/telegram-statements.test.ts. The echo bot is the ceiling of the HTTP layer, with no target.
 *
 * Env: BENCH_SECONDS (20 per side), BENCH_CONNECTIONS (50), BENCH_USERS (500), BENCH_GROUPS (500),
 * BENCH_TEXT (the command, default `/pay 0.37 coffee`; e.g. `/pay 0 coffee`, refused, measures the path without
 * the ledger), BENCH_BURST (5000, the burst's updates), BENCH_SKIP_BURST=1 (no burst phase), BENCH_NODE_ARGS (node
 * flags for the bot processes), BENCH_NO_WORKERS=1 (chipin without its workers role: the notifications to recipients
 * are then not sent, to see what they cost), BENCH_DATABASE_URL (admin URL, default TEST_DATABASE_URL's),
 * TEST_REDIS_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pg from 'pg';
import { Telegraf } from 'telegraf';
import { ROLES, startApp } from '../app.js';
import type { TelegramLimits } from '../bots/telegram/index.js';
import { loadConfig, loadTestEnv } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { createPostgresDb } from '../core/db/postgres.js';
import { audit } from '../core/ledger/index.js';
import { FakeTelegramApi, type RecordedCall } from '../test/fakes/telegram-api.js';
import { procStat } from './proc.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
/** The command every update carries; it must answer in the group, in reply to the command. */
const TEXT = process.env.BENCH_TEXT ?? '/pay 0.37 coffee';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = Number(process.env.BENCH_USERS ?? 500);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 500);
const WARMUP_SECONDS = 3;
/** Updates in the burst with Telegram's limits on. */
const BURST = Number(process.env.BENCH_BURST ?? 5_000);
const SKIP_BURST = process.env.BENCH_SKIP_BURST === '1';
/** The burst gives up after this long from its first POST, and prints what it reached. */
const BURST_TIMEOUT_MS = 180_000;
/** Telegram's overall outbound pace: messages per second. */
const TELEGRAM_GLOBAL_PER_SECOND = 30;
/** Extra node flags for the two bot processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

const TOKEN = `123456789:${'AAbench_chipin_telegram'.padEnd(35, '0')}`;
const SECRET = 'bench-webhook-secret_0123456789';
const SELF = fileURLToPath(import.meta.url);

/** Limits nobody reaches: the transport's outbound pacing off. */
const UNLIMITED: TelegramLimits = {
  perChat: { limit: 1_000_000_000, windowMs: 1 },
  perGroup: { limit: 1_000_000_000, windowMs: 1 },
  global: { limit: 1_000_000_000, windowMs: 1 },
};

// ---------------------------------------------------------------------------------------------------------------
// The bots, each in a process of its own (`tsx bench/telegram.ts serve-app|serve-app-limited|serve-echo|serve-durable`);
// each prints its port.

/** chipin; `limits`: 'lifted' (the closed-loop runs) or 'on' (Telegram's own, as `chipin start` runs: no hooks). */
async function serveApp(limits: 'lifted' | 'on'): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chipin-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: process.env.TELEGRAM_API_ROOT,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    DEMO_MONEY: '1',
    // A benchmark's people send far more than a person would: no per-person limits.
    RATE_MONEY_PER_MINUTE: '0',
    RATE_PRESSES_PER_MINUTE: '0',
    // The Undo buttons of the /pay replies are pressed after the /pay run: they must still be live.
    UNDO_WINDOW: '10m',
  });
  const log = createLogger(config);
  const app = await startApp(
    config,
    log,
    process.env.BENCH_NO_WORKERS ? (['http', 'bots'] as const) : ROLES,
    limits === 'lifted' ? { telegram: { limits: UNLIMITED, safetyMs: 0 } } : {},
  );
  // The data directory too: the parent removes it if this process has to be killed.
  process.stdout.write(`${JSON.stringify({ port: app.port, dataDir })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

async function serveEcho(): Promise<void> {
  const bot = new Telegraf(TOKEN, { telegram: { apiRoot: process.env.TELEGRAM_API_ROOT, webhookReply: false } });
  bot.on('message', async (ctx) => {
    const text = 'text' in ctx.message ? ctx.message.text : '';
    await ctx.reply(text, { reply_parameters: { message_id: ctx.message.message_id } });
  });
  await serveWebhook(bot, 'echo bot');
}

/**
 * Serves a baseline bot as each of them is written: telegraf's webhookCallback in an express route; prints its port,
 * and on SIGTERM stops listening, runs `closing` and exits.
 */
async function serveWebhook(bot: Telegraf, name: string, closing?: () => Promise<void>): Promise<void> {
  bot.catch((err) => {
    process.stderr.write(`${name}: ${String(err)}\n`);
  });
  bot.botInfo = await bot.telegram.getMe();
  const app = express();
  app.post('/telegram/webhook', bot.webhookCallback('/telegram/webhook', { secretToken: SECRET }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  server.close();
  await closing?.();
  process.exit(0);
}

/** Its whole schema: what a careful developer would write in an afternoon, exactly-once for money. */
const DURABLE_SCHEMA = `
CREATE TABLE updates (update_id BIGINT PRIMARY KEY);
CREATE TABLE balances (user_id BIGINT PRIMARY KEY, minor BIGINT NOT NULL CHECK (minor >= 0));
CREATE TABLE transfers (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  update_id BIGINT NOT NULL UNIQUE,
  payer BIGINT NOT NULL,
  payee BIGINT NOT NULL,
  minor BIGINT NOT NULL CHECK (minor > 0)
);`;

/**
 * The simplest durable bot (issue 17's yardstick): telegraf's webhook in an express route; per `/pay` one Postgres
 * transaction — the update id inserted (a duplicate ends there), both balance rows locked in id order, the payer's
 * checked, both updated, the transfer inserted — committed, then `ctx.reply`. Same driver and pool size as chipin
 * (pg, 10 connections). No outbox, no undo, no command log, no identities.
 */
async function serveDurable(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const bot = new Telegraf(TOKEN, { telegram: { apiRoot: process.env.TELEGRAM_API_ROOT, webhookReply: false } });
  bot.on('message', async (ctx) => {
    const text = 'text' in ctx.message ? ctx.message.text : '';
    const amount = /^\/pay (\d{1,9})(?:\.(\d{1,2}))?(?:\s|$)/.exec(text);
    const payee = 'reply_to_message' in ctx.message ? ctx.message.reply_to_message?.from?.id : undefined;
    const payer = ctx.from.id;
    const reply = (answer: string) => ctx.reply(answer, { reply_parameters: { message_id: ctx.message.message_id } });
    const minor = amount ? Number(amount[1]) * 100 + Number((amount[2] ?? '').padEnd(2, '0')) : 0;
    if (minor <= 0 || payee === undefined || payee === payer) {
      await reply('Usage: reply to someone with /pay <amount>');
      return;
    }
    const client = await pool.connect();
    let answer: string | undefined;
    try {
      await client.query('BEGIN');
      const fresh = await client.query('INSERT INTO updates VALUES ($1) ON CONFLICT DO NOTHING', [
        ctx.update.update_id,
      ]);
      if (fresh.rowCount === 0) {
        await client.query('ROLLBACK');
        return; // a redelivery: answered the first time
      }
      const rows = await client.query<{ user_id: string; minor: string }>(
        'SELECT user_id, minor FROM balances WHERE user_id = ANY($1::bigint[]) ORDER BY user_id FOR UPDATE',
        [[payer, payee]],
      );
      const from = rows.rows.find((r) => Number(r.user_id) === payer);
      if (!from || Number(from.minor) < minor) answer = 'Not enough money.';
      else {
        await client.query('UPDATE balances SET minor = minor - $2 WHERE user_id = $1', [payer, minor]);
        await client.query(
          'INSERT INTO balances VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET minor = balances.minor + $2',
          [payee, minor],
        );
        await client.query('INSERT INTO transfers (update_id, payer, payee, minor) VALUES ($1, $2, $3, $4)', [
          ctx.update.update_id,
          payer,
          payee,
          minor,
        ]);
        answer = `Paid ${(minor / 100).toFixed(2)} USD.`;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err; // telegraf answers the webhook 500: Telegram delivers the update again
    } finally {
      client.release();
    }
    await reply(answer);
  });
  await serveWebhook(bot, 'durable bot', () => pool.end());
}

interface Child {
  process: ChildProcess;
  url: string;
  /** Where its stderr (logs at LOG_LEVEL=warn) went. */
  logFile: string;
  /** Lines it wrote there. */
  logLines(): number;
  /** SIGTERM, and SIGKILL if it has not exited after `killAfterMs`; resolves with how it ended. */
  stop(killAfterMs?: number): Promise<'exited' | 'killed'>;
}

/** Bot processes spawned so far: each gets a log file of its own. */
let spawned = 0;

async function spawnBot(
  mode: 'serve-app' | 'serve-app-limited' | 'serve-echo' | 'serve-durable',
  env: Record<string, string>,
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SELF, mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned += 1;
  const logFile = path.join(tmpdir(), `chipin-bench-telegram-${mode}-${process.pid}-${spawned}.log`);
  const log = createWriteStream(logFile);
  let lines = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    lines += chunk.toString('utf8').split('\n').length - 1;
    log.write(chunk);
  });
  const { port, dataDir } = await new Promise<{ port: number; dataDir?: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve(JSON.parse(line) as { port: number; dataDir?: string });
    });
    child.once('exit', (code) =>
      reject(new Error(`${mode} exited with ${String(code)} before listening; see ${logFile}`)),
    );
  });
  return {
    process: child,
    url: `http://127.0.0.1:${port}/telegram/webhook`,
    logFile,
    logLines: () => lines,
    async stop(killAfterMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return 'exited';
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), killAfterMs)));
      const ended = await Promise.race([exited.then(() => 'exited' as const), late]);
      clearTimeout(timer);
      if (ended === 'exited') return 'exited';
      child.kill('SIGKILL');
      await exited;
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
      return 'killed';
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Load

/** Replies arriving at the fake, matched to the update they answer by (chat, replied-to message). */
class Replies {
  private readonly waiting = new Map<string, (arrival: Arrival) => void>();
  private readonly answers = new Map<string, (arrival: Arrival) => void>();
  /** Private messages (faucet answers, notifications): counted per chat. */
  readonly privateCount = new Map<string, number>();
  /** Replies (sendMessage with reply_parameters) arrived so far, waited for or not. */
  groupReplies = 0;
  /** Every sendMessage arrived so far (replies and private messages). */
  sends = 0;

  constructor(fake: FakeTelegramApi) {
    // The fake records every call; here each one is looked at as it arrives, and not kept.
    fake.calls.push = (...calls: RecordedCall[]): number => {
      const at = performance.now();
      for (const call of calls) this.arrived(call, at);
      return 0;
    };
  }

  /** The reply to the message `messageId` in `chatId`. Its call gets its `result` (the message id) once answered. */
  expect(chatId: number, messageId: number): Promise<Arrival> {
    return new Promise((resolve) => this.waiting.set(`${chatId}:${messageId}`, resolve));
  }

  /** The answerCallbackQuery for the callback query `id`. */
  expectAnswer(id: string): Promise<Arrival> {
    return new Promise((resolve) => this.answers.set(id, resolve));
  }

  private arrived(call: RecordedCall, at: number): void {
    if (call.method === 'answerCallbackQuery') {
      const id = String(call.params.callback_query_id);
      this.answers.get(id)?.({ at, call });
      this.answers.delete(id);
      return;
    }
    if (call.method !== 'sendMessage') return;
    this.sends += 1;
    const chatId = String(call.params.chat_id);
    const replyTo = (call.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
    if (replyTo === undefined) {
      this.privateCount.set(chatId, (this.privateCount.get(chatId) ?? 0) + 1);
      return;
    }
    this.groupReplies += 1;
    const key = `${chatId}:${replyTo}`;
    const resolve = this.waiting.get(key);
    if (resolve) {
      this.waiting.delete(key);
      resolve({ at, call });
    }
  }
}

interface Arrival {
  at: number;
  call: RecordedCall;
}

/** A button on a /pay reply, to be pressed by the payer where it was sent. */
interface Press {
  from: BenchUser;
  chat: object;
  reply: RecordedCall;
  data: string;
}

interface BenchUser {
  id: number;
  is_bot: false;
  first_name: string;
  username: string;
}

const users: BenchUser[] = Array.from({ length: USERS }, (_, i) => ({
  id: 7_000_000 + i,
  is_bot: false,
  first_name: `User${i}`,
  username: `bench_user_${i}`,
}));

let nextUpdateId = 1_000_000;
let nextMessageId = 1_000;

function payUpdate(): { update: object; chatId: number; messageId: number; from: BenchUser; chat: object } {
  const from = users[Math.floor(Math.random() * users.length)]!;
  let to = users[Math.floor(Math.random() * users.length)]!;
  while (to.id === from.id) to = users[Math.floor(Math.random() * users.length)]!;
  const chat = { id: -1_002_000_000_000 - Math.floor(Math.random() * GROUPS), type: 'supergroup', title: 'Bench' };
  const messageId = nextMessageId++;
  const text = TEXT;
  const update = {
    update_id: nextUpdateId++,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      from,
      chat,
      text,
      entities: [{ type: 'bot_command', offset: 0, length: 4 }],
      reply_to_message: { message_id: 1, date: Math.floor(Date.now() / 1000) - 60, from: to, chat, text: 'hi' },
    },
  };
  return { update, chatId: chat.id, messageId, from, chat };
}

async function post(url: string, update: object): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify(update),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
}

interface Figure {
  run: string;
  /** CPU milliseconds per measured update: the bot process, its Postgres backends, this process (driver + fake). */
  cpu?: { bot: number; postgres: number; driver: number };
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
  timeouts: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Closed loop: `CONNECTIONS` senders, each POST → wait for the reply → next, for `seconds`. */
async function load(run: string, url: string, replies: Replies, seconds: number, presses?: Press[]): Promise<Figure> {
  const latencies: number[] = [];
  let timeouts = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const { update, chatId, messageId, from, chat } = payUpdate();
        const replied = replies.expect(chatId, messageId);
        const t0 = performance.now();
        await post(url, update);
        const arrival = await Promise.race([
          replied,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000)),
        ]);
        if (arrival === null) timeouts += 1;
        else if (arrival.at <= end) latencies.push(arrival.at - t0);
        const undo = arrival ? buttonsOf(arrival.call)[0] : undefined;
        if (arrival && undo !== undefined) presses?.push({ from, chat, reply: arrival.call, data: undo });
      }
    }),
  );
  const sorted = latencies.sort((a, b) => a - b);
  return {
    run,
    perSecond: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    count: sorted.length,
    timeouts,
  };
}

/** callback_data of the buttons on a sent message. */
function buttonsOf(call: RecordedCall): string[] {
  const rows = (call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined)
    ?.inline_keyboard;
  return (rows ?? []).flat().flatMap((b) => (b.callback_data ? [b.callback_data] : []));
}

/**
 * Closed loop over `presses`: each connection presses the next Undo button as its payer, on the message it sits on,
 * and waits for the answerCallbackQuery (Telegram's client spins until then). Measured from the POST to the
 * answer arriving at the fake. Resolves with the figure and the answer texts seen.
 */
async function pressLoad(
  url: string,
  fake: FakeTelegramApi,
  replies: Replies,
  presses: Press[],
): Promise<{ figure: Figure; texts: Map<string, number> }> {
  const latencies: number[] = [];
  const texts = new Map<string, number>();
  let timeouts = 0;
  const queue = [...presses];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let press = queue.shift(); press; press = queue.shift()) {
        const messageId = (press.reply.result as { message_id?: number } | undefined)?.message_id ?? 0;
        const update = fake.callback(press.from, press.chat, messageId, press.data) as unknown as {
          callback_query: { id: string };
        };
        const answered = replies.expectAnswer(update.callback_query.id);
        const t0 = performance.now();
        await post(url, update);
        const arrival = await Promise.race([
          answered,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000)),
        ]);
        if (arrival === null) {
          timeouts += 1;
          continue;
        }
        latencies.push(arrival.at - t0);
        const text = typeof arrival.call.params.text === 'string' ? arrival.call.params.text : '';
        texts.set(text, (texts.get(text) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    figure: {
      run: 'chipin Undo press → callback answered',
      perSecond: sorted.length / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      count: sorted.length,
      timeouts,
    },
    texts,
  };
}

/** /faucet for every user (their private chats), waiting for every answer. */
async function fund(url: string, replies: Replies): Promise<void> {
  await postFaucets(url);
  const deadline = Date.now() + 120_000;
  while (users.some((u) => (replies.privateCount.get(String(u.id)) ?? 0) === 0)) {
    if (Date.now() > deadline) throw new Error('the faucet did not answer every user');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** POSTs /faucet 1000 for every user, in their private chats. */
async function postFaucets(url: string): Promise<void> {
  const queue = [...users];
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let user = queue.shift(); user; user = queue.shift()) {
        await post(url, {
          update_id: nextUpdateId++,
          message: {
            message_id: nextMessageId++,
            date: Math.floor(Date.now() / 1000),
            from: user,
            chat: { id: user.id, type: 'private', first_name: user.first_name },
            text: '/faucet 1000',
            entities: [{ type: 'bot_command', offset: 0, length: 7 }],
          },
        });
      }
    }),
  );
}

interface Burst {
  /** Payments in the ledger when the measuring stopped. */
  committed: number;
  /** ms from the first POST until the last payment was committed, or until the phase gave up. */
  elapsedMs: number;
  /** ms from the first POST until the last POST was answered (undefined: not all were, the phase gave up). */
  postsMs: number | undefined;
  /** POSTs answered otherwise than 200 (or failed), sent again after 100 ms as Telegram would. */
  retries: number;
  /** Group replies (to any update) arrived at the fake from the first POST until the last payment committed. */
  replies: number;
  /** Every sendMessage (replies and private messages) arrived at the fake in that time. */
  sends: number;
  timedOut: boolean;
}

/**
 * `size` /pay updates POSTed to `url` by `CONNECTIONS` connections, each waiting only for the webhook's answer before
 * its next. Done when `countSql` (payments committed, in the database at `dbUrl`) has grown by `size`: polled every
 * 100 ms, or, when `answeredMeansCommitted` (the bot answers after its commit), when the last POST is answered.
 */
async function burst(
  url: string,
  dbUrl: string,
  countSql: string,
  replies: Replies,
  answeredMeansCommitted: boolean,
  size = BURST,
): Promise<Burst> {
  const updates = Array.from({ length: size }, () => payUpdate().update);
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const count = async (): Promise<number> => Number((await c.query<{ n: string }>(countSql)).rows[0]?.n ?? 0);
  try {
    const base = await count();
    const repliesBefore = replies.groupReplies;
    const sendsBefore = replies.sends;
    let retries = 0;
    let postsMs: number | undefined;
    let doneAt: number | undefined;
    let repliesAtDone = 0;
    let sendsAtDone = 0;
    const started = performance.now();
    const deadline = started + BURST_TIMEOUT_MS;
    const finish = (at: number): void => {
      if (doneAt !== undefined) return;
      doneAt = at;
      repliesAtDone = replies.groupReplies - repliesBefore;
      sendsAtDone = replies.sends - sendsBefore;
    };
    const queue = [...updates];
    const posting = Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let update = queue.shift(); update; update = queue.shift()) {
          while (performance.now() < deadline) {
            try {
              await post(url, update);
              break;
            } catch {
              retries += 1;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        }
      }),
    ).then(() => {
      if (performance.now() >= deadline) return;
      postsMs = performance.now() - started;
      if (answeredMeansCommitted) finish(performance.now());
    });
    let committed = 0;
    while (doneAt === undefined && performance.now() < deadline) {
      committed = (await count()) - base;
      if (committed >= size) finish(performance.now());
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await posting;
    committed = (await count()) - base;
    const timedOut = doneAt === undefined;
    return {
      committed,
      elapsedMs: (doneAt ?? performance.now()) - started,
      postsMs,
      retries,
      replies: timedOut ? replies.groupReplies - repliesBefore : repliesAtDone,
      sends: timedOut ? replies.sends - sendsBefore : sendsAtDone,
      timedOut,
    };
  } finally {
    await c.end();
  }
}

/** CPU time (user + system) of a process so far, in ms; 0 once it is gone. */
const cpuMs = (pid: number): number => (procStat(pid)?.cpuSeconds ?? 0) * 1000;

/** The Postgres backends serving `dbName` now. */
async function backends(dbName: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL ?? loadTestEnv().databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [dbName]);
    return r.rows.map((row) => row.pid);
  } finally {
    await c.end();
  }
}

/** `load` with the CPU it cost each process per update. */
async function measured(
  run: string,
  child: Child,
  replies: Replies,
  dbName: string | undefined,
  presses?: Press[],
): Promise<Figure> {
  const pgBefore = new Map((dbName ? await backends(dbName) : []).map((pid) => [pid, cpuMs(pid)]));
  const botBefore = cpuMs(child.process.pid ?? 0);
  const selfBefore = process.cpuUsage();
  const figure = await load(run, child.url, replies, SECONDS, presses);
  const self = process.cpuUsage(selfBefore);
  const bot = cpuMs(child.process.pid ?? 0) - botBefore;
  let postgres = 0;
  for (const pid of dbName ? await backends(dbName) : []) postgres += cpuMs(pid) - (pgBefore.get(pid) ?? 0);
  const per = (ms: number): number => ms / Math.max(1, figure.count);
  return { ...figure, cpu: { bot: per(bot), postgres: per(postgres), driver: per((self.user + self.system) / 1000) } };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const testEnv = loadTestEnv();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? testEnv.databaseUrl;
  const dbName = `chipin_bench_telegram_${process.pid}`;
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const durableName = `chipin_bench_durable_${process.pid}`;
  const durableUrl = new URL(adminUrl);
  durableUrl.pathname = `/${durableName}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  const limitedName = `chipin_bench_limited_${process.pid}`;
  const limitedUrl = new URL(adminUrl);
  limitedUrl.pathname = `/${limitedName}`;
  /** The durable bot's database, (re)created with its schema and every user funded. */
  const freshDurableDb = async (): Promise<void> => {
    await admin(`DROP DATABASE IF EXISTS ${durableName} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${durableName}`);
    const seed = new pg.Client({ connectionString: durableUrl.toString() });
    await seed.connect();
    try {
      await seed.query(DURABLE_SCHEMA);
      await seed.query('INSERT INTO balances SELECT unnest($1::bigint[]), 100000', [users.map((u) => u.id)]);
    } finally {
      await seed.end();
    }
  };

  const fake = new FakeTelegramApi({ token: TOKEN, limits: false, callbackTimeoutMs: 60_000 });
  const apiRoot = await fake.listen();
  const replies = new Replies(fake);
  const children: Child[] = [];
  await admin(`CREATE DATABASE ${dbName}`);
  try {
    const echo = await spawnBot('serve-echo', { TELEGRAM_API_ROOT: apiRoot });
    children.push(echo);
    await load('warm-up', echo.url, replies, WARMUP_SECONDS);
    const echoFigure = await measured('telegraf echo bot', echo, replies, undefined);
    await echo.stop();

    await freshDurableDb();
    const durable = await spawnBot('serve-durable', {
      TELEGRAM_API_ROOT: apiRoot,
      DATABASE_URL: durableUrl.toString(),
    });
    children.push(durable);
    await load('warm-up', durable.url, replies, WARMUP_SECONDS);
    const durableFigure = await measured('simplest durable bot', durable, replies, durableName);
    await durable.stop();

    const app = await spawnBot('serve-app', {
      TELEGRAM_API_ROOT: apiRoot,
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: testEnv.redisUrl,
    });
    children.push(app);
    await fund(app.url, replies);
    await load('warm-up', app.url, replies, WARMUP_SECONDS);
    const before = await commits(dbName);
    const presses: Press[] = [];
    const appFigure = await measured(`chipin ${TEXT}`, app, replies, dbName, presses);
    const after = await commits(dbName);
    const pressed = await pressLoad(app.url, fake, replies, presses.slice(0, 5_000));
    await app.stop();

    const db = createPostgresDb({ connectionString: dbUrl.toString(), max: 1 });
    const report = await audit(db);
    const transfers = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM transfers WHERE kind = 'pay'`);
    await db.close();

    const paid = Number(transfers.rows[0]?.n ?? 0);
    /** The text was refused: chipin recorded no payment in the run (targets 1–4 are about /pay that commits). */
    const refused = paid === 0;
    const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(
      `\nTelegram webhook → reply at the fake Bot API, ${CONNECTIONS} concurrent connections (closed loop), ` +
        `${SECONDS} s per side, ${USERS} users in ${GROUPS} groups; Node ${process.version}.`,
    );
    console.log(
      "Telegram's rate limits are lifted on both sides: the fake Bot API enforces none, and chipin's outbound " +
        'limits (1/s per chat, 20/min per group, 30/s) are lifted through startApp hooks.telegram.limits.\n',
    );
    console.log(
      '| run | updates/s | p50 ms | p99 ms | ÷ echo | ÷ durable | CPU ms/update: bot + Postgres (+ driver and fake) |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const f of [echoFigure, durableFigure, appFigure]) {
      const cpu = f.cpu ? `${fmt(f.cpu.bot, 2)} + ${fmt(f.cpu.postgres, 2)} (+ ${fmt(f.cpu.driver, 2)})` : '–';
      console.log(
        `| ${f.run} | ${fmt(f.perSecond)} | ${fmt(f.p50, 1)} | ${fmt(f.p99, 1)} | ${fmt(f.perSecond / echoFigure.perSecond, 2)} | ${fmt(f.perSecond / durableFigure.perSecond, 2)} | ${cpu} |`,
      );
    }
    const undo = pressed.figure;
    const answers = [...pressed.texts].map(([text, n]) => `${n} × ${JSON.stringify(text)}`).join(', ');
    console.log(
      `\nUndo buttons of those replies pressed by their payers (${undo.count} presses, ${CONNECTIONS} at a time, ` +
        `each a real reversal): ${fmt(undo.perSecond)}/s; callback answered p50 ${fmt(undo.p50, 1)} ms, ` +
        `p99 ${fmt(undo.p99, 1)} ms; answers: ${answers === '' ? 'none' : answers}; never answered: ${undo.timeouts}`,
    );
    console.log(
      `chipin: ${transfers.rows[0]?.n ?? '?'} payments in the ledger; audit ${report.ok ? 'clean' : `FAILED: ${JSON.stringify(report.violations)}`}` +
        `; replies that never came: echo ${echoFigure.timeouts}, durable ${durableFigure.timeouts}, chipin ${appFigure.timeouts}`,
    );
    console.log(
      `Postgres during the chipin run: ${fmt((after.commits - before.commits) / appFigure.count, 1)} commits, ` +
        `${fmt((after.rows - before.rows) / appFigure.count, 1)} rows written per update (workers included)`,
    );

    // Issue 17's targets 2–5 (ratios: chipin ÷ the simplest durable bot, this run).
    const rate = appFigure.perSecond / durableFigure.perSecond;
    console.log("\nIssue 17's targets (chipin ÷ the simplest durable bot, measured in this run):");
    if (refused) {
      console.log(
        `targets 1–4 (about /pay that commits): not measured, ${JSON.stringify(TEXT)} recorded no payment; run without BENCH_TEXT`,
      );
      console.log(
        `refused-command target: chipin updates/s ≥ 1.5× the durable bot's (which answers its usage line) — ` +
          `${verdict(rate >= 1.5)} (${fmt(rate, 2)}×: ${fmt(appFigure.perSecond)} vs ${fmt(durableFigure.perSecond)}/s)`,
      );
    } else {
      const p99 = appFigure.p99 / durableFigure.p99;
      console.log(
        `target 2, first step: chipin /pay updates/s ≥ 0.7× the durable bot's — ${verdict(rate >= 0.7)} (${fmt(rate, 2)}×)`,
      );
      console.log(
        `target 2: chipin /pay updates/s ≥ 1× the durable bot's — ${verdict(rate >= 1)} ` +
          `(${fmt(rate, 2)}×: ${fmt(appFigure.perSecond)} vs ${fmt(durableFigure.perSecond)}/s)`,
      );
      console.log(
        `target 2: chipin p99 ≤ 1.5× the durable bot's p99 — ${verdict(p99 <= 1.5)} ` +
          `(${fmt(p99, 2)}×: ${fmt(appFigure.p99, 1)} vs ${fmt(durableFigure.p99, 1)} ms)`,
      );
      const pgChipin = appFigure.cpu?.postgres ?? NaN;
      const pgDurable = durableFigure.cpu?.postgres ?? NaN;
      console.log(
        `target 3: Postgres CPU per /pay ≤ the durable bot's — ${verdict(pgChipin <= pgDurable)} ` +
          `(${fmt(pgChipin / pgDurable, 2)}×: ${fmt(pgChipin, 2)} vs ${fmt(pgDurable, 2)} ms)`,
      );
      const pressRate = undo.perSecond / appFigure.perSecond;
      console.log(
        `target 4: Undo presses/s ≥ 0.7× chipin's /pay updates/s, answered p99 < 1 s — ` +
          `${verdict(pressRate >= 0.7 && undo.p99 < 1_000 && undo.timeouts === 0 && undo.count > 0)} ` +
          `(${fmt(pressRate, 2)}×: ${fmt(undo.perSecond)} vs ${fmt(appFigure.perSecond)}/s; p99 ${fmt(undo.p99, 1)} ms` +
          `${undo.timeouts > 0 ? `; ${undo.timeouts} never answered` : ''})`,
      );
      console.log('refused-command target: run with BENCH_TEXT="/pay 0 coffee"');
    }
    console.log('statements per /pay: see test/e2e/telegram-statements.test.ts');

    // Target 1: the burst with Telegram's limits on.
    if (SKIP_BURST) console.log("\ntarget 1 (burst with Telegram's limits on): skipped (BENCH_SKIP_BURST=1)");
    else if (refused)
      console.log(`\ntarget 1 (burst with Telegram's limits on): skipped, ${JSON.stringify(TEXT)} is refused`);
    else {
      await freshDurableDb();
      const durableBurstBot = await spawnBot('serve-durable', {
        TELEGRAM_API_ROOT: apiRoot,
        DATABASE_URL: durableUrl.toString(),
      });
      children.push(durableBurstBot);
      // Warmed up like chipin's process is by its 500 /faucet: as many /pay, not measured.
      await burst(
        durableBurstBot.url,
        durableUrl.toString(),
        'SELECT count(*)::text AS n FROM transfers',
        replies,
        true,
        USERS,
      );
      const durableBurst = await burst(
        durableBurstBot.url,
        durableUrl.toString(),
        'SELECT count(*)::text AS n FROM transfers',
        replies,
        true,
      );
      await durableBurstBot.stop();

      await admin(`CREATE DATABASE ${limitedName}`);
      const limited = await spawnBot('serve-app-limited', {
        TELEGRAM_API_ROOT: apiRoot,
        DATABASE_URL: limitedUrl.toString(),
        REDIS_URL: testEnv.redisUrl,
      });
      children.push(limited);
      const fundStarted = performance.now();
      // Every faucet answer delivered (500 private chats at 30/s) before the burst, so that the messages counted
      // during the burst are the burst's own.
      replies.privateCount.clear();
      await fund(limited.url, replies);
      const fundMs = performance.now() - fundStarted;
      const chipinBurst = await burst(
        limited.url,
        limitedUrl.toString(),
        `SELECT count(*)::text AS n FROM transfers WHERE kind = 'pay'`,
        replies,
        false,
      );
      const stopStarted = performance.now();
      const stopped = await limited.stop(30_000);
      const stopMs = performance.now() - stopStarted;
      const limitedDb = createPostgresDb({ connectionString: limitedUrl.toString(), max: 1 });
      const limitedReport = await audit(limitedDb);
      await limitedDb.close();
      if (!limitedReport.ok) process.exitCode = 1;

      const perSecond = (b: Burst): number => (b.timedOut ? NaN : BURST / (b.elapsedMs / 1000));
      const durableRate = perSecond(durableBurst);
      const chipinRate = perSecond(chipinBurst);
      const secs = (ms: number | undefined): string =>
        ms === undefined ? 'not all answered' : `${fmt(ms / 1000, 1)} s`;
      console.log(
        `\nBurst with Telegram's limits on: ${BURST} /pay updates POSTed by ${CONNECTIONS} connections (each waits only for ` +
          `the webhook's answer) in ${GROUPS} groups. The durable bot answers after its commit and reply (and paces ` +
          'nothing); chipin answers once the update is stored, and paces its replies as Telegram demands ' +
          '(1/s per chat, 20/min per group, 30/s overall). Each is a fresh process on a fresh database, warmed up ' +
          `before (not measured) by ${USERS} /pay (durable) or the ${USERS} /faucet that fund its users (chipin).\n`,
      );
      console.log("| burst with Telegram's limits on | committed /pay per s | ÷ durable |");
      console.log('|---|---|---|');
      console.log(`| simplest durable bot | ${fmt(durableRate)} | 1.00 |`);
      console.log(`| chipin (limits on) | ${fmt(chipinRate)} | ${fmt(chipinRate / durableRate, 2)} |`);
      const describe = (name: string, b: Burst): string =>
        `${name}: ${b.committed} of ${BURST} committed` +
        (b.timedOut
          ? ` when the phase gave up after ${fmt(b.elapsedMs / 1000, 1)} s`
          : ` in ${fmt(b.elapsedMs / 1000, 1)} s`) +
        `; the POSTs took ${secs(b.postsMs)}` +
        (b.retries > 0 ? `; ${b.retries} POSTs sent again (not answered 200)` : '');
      console.log(describe('durable bot', durableBurst));
      console.log(
        describe('chipin', chipinBurst) +
          `; funding ${USERS} users by /faucet took ${fmt(fundMs / 1000, 1)} s (until every answer was delivered); ` +
          `stopped with replies still queued in ${fmt(stopMs / 1000, 1)} s${stopped === 'killed' ? ' (SIGKILL after 30 s)' : ''}; ` +
          `audit ${limitedReport.ok ? 'clean' : `FAILED: ${JSON.stringify(limitedReport.violations)}`}`,
      );
      const replyPace = chipinBurst.replies / (chipinBurst.elapsedMs / 1000);
      // Telegram's pace, with one second's worth of slack for the measuring's granularity.
      const paced = chipinBurst.sends <= TELEGRAM_GLOBAL_PER_SECOND * (chipinBurst.elapsedMs / 1000 + 1);
      const burstRatio = chipinRate / durableRate;
      console.log(
        `target 1: with Telegram's limits on, chipin's committed /pay per s ≥ 0.7× the durable bot's, the burst of ` +
          `${BURST} drained at that rate, the replies at Telegram's pace — ` +
          `${verdict(burstRatio >= 0.7 && !chipinBurst.timedOut && !durableBurst.timedOut && durableBurst.committed === BURST && paced)} ` +
          `(${fmt(burstRatio, 2)}×: ${fmt(chipinRate)} vs ${fmt(durableRate)}/s)`,
      );
      console.log(
        `replies delivered when the last payment committed: ${chipinBurst.replies} ` +
          `(${fmt(replyPace, 1)}/s; Telegram's pace: ≤ ${TELEGRAM_GLOBAL_PER_SECOND}/s); every message sent meanwhile, ` +
          `notifications to the recipients included: ${chipinBurst.sends} ` +
          `(${fmt(chipinBurst.sends / (chipinBurst.elapsedMs / 1000), 1)}/s)`,
      );
    }

    for (const child of children) {
      if (child.logLines() > 0) console.log(`${child.logLines()} log line(s) at warn or above: ${child.logFile}`);
    }
    if (!report.ok) process.exitCode = 1;
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    await fake.close();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${durableName} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${limitedName} WITH (FORCE)`);
  }
}

/** Commits and rows written in `dbName` so far (pg_stat_database; its counters are flushed about once a second). */
async function commits(dbName: string): Promise<{ commits: number; rows: number }> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const c = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL ?? loadTestEnv().databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ commits: string; rows: string }>(
      `SELECT xact_commit::text AS commits, (tup_inserted + tup_updated + tup_deleted)::text AS rows
         FROM pg_stat_database WHERE datname = $1`,
      [dbName],
    );
    return { commits: Number(r.rows[0]?.commits ?? NaN), rows: Number(r.rows[0]?.rows ?? NaN) };
  } finally {
    await c.end();
  }
}

const mode = process.argv[2];
if (mode === 'serve-app') await serveApp('lifted');
else if (mode === 'serve-app-limited') await serveApp('on');
else if (mode === 'serve-echo') await serveEcho();
else if (mode === 'serve-durable') await serveDurable();
else await main();
