/**
 * The real app for end-to-end tests: `chipin start` (bin/chipin.js) as a child process on a fresh Postgres
 * database and the shared test Redis, with the Telegram transport in webhook mode pointed at the fake Bot API
 * (test/fakes/telegram-api.ts). Tests drive it only through HTTP: Telegram updates POSTed to the webhook, and
 * assertions on what the fake recorded and on the database.
 */
import path from 'node:path';
import { loadTestEnv } from '../../config/env.js';
import type { Db } from '../../core/db/executor.js';
import { balancesOf } from '../../core/ledger/index.js';
import { FakeTelegramApi, type FakeLimits, type RecordedCall } from '../fakes/telegram-api.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { expectSound } from './audit.js';
import { cleanUp, spawnChipin, tempDir, type Chipin } from './chipin.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

/** `<bot id>:<35 characters>`, the shape @BotFather gives. */
export const BOT_TOKEN = `123456789:${'AAE2e_chipin_real_app_token'.padEnd(35, '0')}`;
export const BOT_ID = 123456789;
export const WEBHOOK_SECRET = 'e2e-Webhook_secret-0123456789';

export type Role = 'http' | 'bots' | 'workers';

export interface AppOptions {
  /** The database to run on (`createTestDatabase().url`). */
  databaseUrl: string;
  fake: FakeTelegramApi;
  /** No roles: all three (`chipin start`). */
  roles?: readonly Role[];
  /** Extra environment (HOLD_TTL, REQUEST_TTL, UNDO_WINDOW…). */
  env?: Record<string, string>;
}

export interface RunningApp {
  readonly chipin: Chipin;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** POSTs a Telegram update to the webhook with the secret header (`null`: none); resolves with the status. */
  post(update: unknown, secret?: string | null): Promise<number>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

/** A fake Bot API with Telegram's own message limits enforced (the app must keep under them). */
export async function startFakeTelegram(limits?: FakeLimits | false): Promise<FakeTelegramApi> {
  const fake = new FakeTelegramApi({ token: BOT_TOKEN, ...(limits !== undefined ? { limits } : {}) });
  await fake.listen();
  return fake;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const cwd = tempDir('e2e');
  const flags = (options.roles ?? []).map((role) => `--${role}`);
  const chipin = spawnChipin(
    ['start', ...flags],
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      DATA_DIR: path.join(cwd, 'data'),
      DATABASE_URL: options.databaseUrl,
      // With the test's own connection the file stays within SPEC §7's 10.
      DATABASE_POOL_SIZE: '8',
      REDIS_URL: loadTestEnv().redisUrl,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: options.fake.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DEMO_MONEY: '1',
      // The e2e files drive a few people through many commands a minute and many notices a day: no per-person
      // limits unless a file sets them (telegram-throttles.test.ts).
      RATE_MONEY_PER_MINUTE: '0',
      RATE_PRESSES_PER_MINUTE: '0',
      REMINDERS_PER_DAY: '0',
      ...options.env,
    },
    cwd,
  );
  const started = await chipin.logLine('chipin started');
  const url = `http://127.0.0.1:${String(started.port)}`;
  return {
    chipin,
    url,
    async post(update, secret = WEBHOOK_SECRET) {
      const res = await fetch(`${url}/telegram/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}),
        },
        body: JSON.stringify(update),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async kill() {
      if (chipin.child.exitCode !== null || chipin.child.signalCode !== null) return;
      chipin.child.kill('SIGKILL');
      await chipin.exited;
    },
    async stop() {
      if (chipin.child.exitCode === null && chipin.child.signalCode === null) chipin.child.kill('SIGTERM');
      return chipin.exited;
    },
  };
}

/** One e2e file's world: a fresh database, the fake Bot API (Telegram's limits on) and `chipin start` on them. */
export interface TelegramWorld {
  readonly database: TestDatabase;
  readonly fake: FakeTelegramApi;
  readonly app: RunningApp;
  /** POSTs an update to the webhook, which must accept it (200). */
  readonly post: (update: unknown) => Promise<void>;
  /** `user` starts the bot with `/faucet <amount>` in their DM and is told (DEMO_MONEY is on). */
  readonly fund: (user: TgUser, amount: number) => Promise<void>;
}

/**
 * Registers the file's beforeAll / afterAll (call it inside `describe`): the world is ready in the tests and in
 * beforeAll hooks registered after this call; at the end every app started here stops, and the invariants (test/support/audit.ts) must
 * come out clean before the database is dropped.
 */
export function telegramWorld(options: { env?: Record<string, string> } = {}): TelegramWorld {
  let ready: { database: TestDatabase; fake: FakeTelegramApi; app: RunningApp } | undefined;
  const get = () => {
    if (!ready) throw new Error('the e2e world is used before its beforeAll ran');
    return ready;
  };
  beforeAll(async () => {
    const database = await createTestDatabase(1);
    const fake = await startFakeTelegram();
    const app = await startApp({ databaseUrl: database.url, fake, ...(options.env ? { env: options.env } : {}) });
    ready = { database, fake, app };
  });
  afterAll(async () => {
    if (ready) await settled(ready.database.db); // the app finishes what the tests started before it is stopped
    await cleanUp();
    await ready?.fake.close();
    if (ready) {
      await expectSound(ready.database.db);
      await ready.database.drop();
    }
  });
  const world: TelegramWorld = {
    get database() {
      return get().database;
    },
    get fake() {
      return get().fake;
    },
    get app() {
      return get().app;
    },
    post: async (update) => {
      expect(await get().app.post(update)).toBe(200);
    },
    fund: async (user, amount) => {
      const { fake } = get();
      await world.post(fake.message(user, fake.privateChat(user), `/faucet ${amount}`));
      await waitForSent(fake, user.id, (m) => m.text.includes(`${amount.toFixed(2)} USD`));
    },
  };
  return world;
}

// ---------------------------------------------------------------------------------------------------------------
// Updates

export type TgUser = ReturnType<FakeTelegramApi['user']>;
type Update = { update_id: number; [key: string]: unknown };

/**
 * A command whose first argument is a text mention of `to` (a person picked from the client's list: the update
 * carries their id), e.g. `/pay Bob 12.50 lunch`.
 */
export function withTextMention(
  fake: FakeTelegramApi,
  from: TgUser,
  chat: object,
  command: string,
  to: TgUser,
  rest: string,
  extra: Record<string, unknown> = {},
  kind: 'message' | 'edited_message' = 'message',
): Update {
  const name = to.first_name;
  const text = `/${command} ${name} ${rest}`;
  return fake.message(
    from,
    chat,
    text,
    {
      entities: [
        { type: 'bot_command', offset: 0, length: command.length + 1 },
        { type: 'text_mention', offset: command.length + 2, length: name.length, user: to },
      ],
      ...extra,
    },
    kind,
  );
}

/** A command sent in reply to a message `to` wrote (the recipient of /pay, the payer of /request). */
export function replyingTo(fake: FakeTelegramApi, from: TgUser, chat: object, text: string, to: TgUser): Update {
  return fake.message(from, chat, text, {
    reply_to_message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000) - 60,
      from: to,
      chat,
      text: 'hello',
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What the fake Bot API recorded

export interface SentMessage {
  call: RecordedCall;
  chatId: string;
  text: string;
  /** The message's id: what the Bot API returned for a send, the edited message for an edit. */
  messageId: number | undefined;
  /** callback_data (or the url of a link button) of every button, row by row flattened, with its message. */
  buttons: Array<{ text: string; data: string; url?: string; messageId: number | undefined }>;
  /** reply_parameters.message_id, when the message answers one. */
  replyTo: number | undefined;
}

function buttonsOf(params: Record<string, unknown>, messageId: number | undefined): SentMessage['buttons'] {
  const rows = (params.reply_markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return [];
  return (rows as Array<Array<{ text: string; callback_data: string; url?: string }>>)
    .flat()
    .map((b) => ({ text: b.text, data: b.callback_data, ...(b.url ? { url: b.url } : {}), messageId }));
}

function toSent(call: RecordedCall): SentMessage {
  const p = call.params;
  const returned = (call.result as { message_id?: unknown } | undefined)?.message_id;
  const messageId =
    typeof returned === 'number' ? returned : typeof p.message_id === 'number' ? p.message_id : undefined;
  return {
    call,
    chatId: String(p.chat_id),
    text: typeof p.text === 'string' ? p.text : '',
    messageId,
    buttons: buttonsOf(p, messageId),
    replyTo: (p.reply_parameters as { message_id?: number } | undefined)?.message_id,
  };
}

/** Messages the bot sent (successfully) to `chatId`, in order. */
export function sentTo(fake: FakeTelegramApi, chatId: number | string): SentMessage[] {
  return fake
    .sent('sendMessage')
    .filter((c) => String(c.params.chat_id) === String(chatId))
    .map(toSent);
}

/** Edits the bot made (successfully) in `chatId`, in order. */
export function editsIn(fake: FakeTelegramApi, chatId: number | string): SentMessage[] {
  return fake
    .sent('editMessageText')
    .filter((c) => String(c.params.chat_id) === String(chatId))
    .map(toSent);
}

/** The answerCallbackQuery calls for the callback query of `update`. */
export function answersTo(fake: FakeTelegramApi, update: Update): RecordedCall[] {
  const id = (update.callback_query as { id: string }).id;
  return fake.calls.filter((c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === id);
}

/** Waits for the answer to the callback query of `update`; resolves with its text ('' when none). */
export async function answerOf(fake: FakeTelegramApi, update: Update, timeoutMs = 15_000): Promise<string> {
  await fake.waitFor(() => answersTo(fake, update).length > 0, timeoutMs, 'a callback answer');
  const text = answersTo(fake, update)[0]?.params.text;
  return typeof text === 'string' ? text : '';
}

/** Every Bot API write the bot made that carries a message to someone (sends, edits, documents). */
export function writes(fake: FakeTelegramApi): RecordedCall[] {
  return fake.calls.filter((c) => ['sendMessage', 'editMessageText', 'sendDocument'].includes(c.method));
}

/** Waits for the `count`-th message to `chatId` matching `match`; resolves with the matching messages. */
export async function waitForSent(
  fake: FakeTelegramApi,
  chatId: number | string,
  match: (m: SentMessage) => boolean = () => true,
  options: { count?: number; timeoutMs?: number } = {},
): Promise<SentMessage[]> {
  const count = options.count ?? 1;
  let found: SentMessage[] = [];
  await fake
    .waitFor(
      () => (found = sentTo(fake, chatId).filter(match)).length >= count,
      options.timeoutMs ?? 15_000,
      `${count} message(s) to chat ${chatId}`,
    )
    .catch((err: unknown) => {
      const seen = sentTo(fake, chatId).map((m) => JSON.stringify(m.text));
      throw new Error(`${(err as Error).message}; chat ${chatId} got: [${seen.join(', ')}]`);
    });
  return found;
}

/** The reply to the message carrying `update` in a group (sendMessage with reply_parameters pointing at it). */
export function replyTo(fake: FakeTelegramApi, chatId: number, update: Update): SentMessage[] {
  const messageId = (update.message as { message_id: number }).message_id;
  return sentTo(fake, chatId).filter((m) => m.replyTo === messageId);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// The database

/** Resolves once every stored update has been processed (none left `received`). */
export async function inboxDrained(db: Db, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM inbox WHERE state = 'received'`);
    if (r.rows[0]?.n === '0') return;
    if (Date.now() > deadline) throw new Error(`inbox: ${r.rows[0]?.n} update(s) still unprocessed`);
    await sleep(50);
  }
}

/** Resolves once no notification is waiting in the outbox (all sent, or dead). */
export async function notificationsDrained(db: Db, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM outbox WHERE kind = 'notify' AND state = 'pending' AND due_at <= now()`,
    );
    if (r.rows[0]?.n === '0') return;
    if (Date.now() > deadline) throw new Error(`outbox: ${r.rows[0]?.n} notification(s) still pending`);
    await sleep(50);
  }
}

/** Resolves once no outbox row of any kind is due and waiting (all done, cancelled or dead). */
export async function outboxDrained(db: Db, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ keys: string[] }>(
      `SELECT coalesce(array_agg(key), '{}') AS keys FROM outbox WHERE state = 'pending' AND due_at <= now()`,
    );
    const keys = r.rows[0]?.keys ?? [];
    if (keys.length === 0) return;
    if (Date.now() > deadline) throw new Error(`outbox: still due and pending: ${keys.join(', ')}`);
    await sleep(50);
  }
}

/** Everything the app was given has been processed and every due outbox row (notifications, edits, jobs) handled. */
export async function settled(db: Db): Promise<void> {
  await inboxDrained(db);
  await outboxDrained(db);
}

export async function personIdOf(db: Db, userId: number): Promise<bigint | undefined> {
  const r = await db.query<{ person_id: string }>(
    `SELECT person_id::text FROM identities WHERE platform = 'telegram' AND user_id = $1`,
    [String(userId)],
  );
  const id = r.rows[0]?.person_id;
  return id === undefined ? undefined : BigInt(id);
}

export interface Balance {
  available: bigint;
  posted: bigint;
  pendingIn: bigint;
  pendingOut: bigint;
}

const ZERO: Balance = { available: 0n, posted: 0n, pendingIn: 0n, pendingOut: 0n };

/** The wallet balance of a Telegram user in minor units (zeros when they have none). */
export async function balanceOf(db: Db, userId: number, currency = 'USD'): Promise<Balance> {
  const personId = await personIdOf(db, userId);
  if (personId === undefined) return ZERO;
  const line = (await balancesOf(db, `person:${personId}`)).find((b) => b.currency === currency);
  return line
    ? { available: line.available, posted: line.posted, pendingIn: line.pendingIn, pendingOut: line.pendingOut }
    : ZERO;
}

export async function transferCount(db: Db): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM transfers`);
  return Number(r.rows[0]?.n ?? 0);
}

/** Transfers whose ref is the idempotency key of this update (`tg:<bot id>:<update_id>`), legs included. */
export async function transfersOfUpdate(db: Db, update: Update): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM transfers WHERE ref = $1 OR ref LIKE $2`, [
    `tg:${BOT_ID}:${update.update_id}`,
    `tg:${BOT_ID}:${update.update_id}#%`,
  ]);
  return Number(r.rows[0]?.n ?? 0);
}
