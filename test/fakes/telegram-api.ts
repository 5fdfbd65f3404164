/**
 * A local Telegram Bot API for tests: `POST /bot<token>/<method>` with JSON or multipart bodies, answering
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters}` like the real one, so the real
 * telegraf client runs against it (SPEC §7). It records every call, enforces Telegram's message limits with
 * 429 + retry_after (configurable), serves getUpdates with offset confirmation, answers a callback query
 * once, can block a chat (403), inject failures, and deliver updates to a webhook with its secret.
 *
 * Its rate limiter is written independently of bots/telegram/limits.ts on purpose: the fake is the oracle.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLimit {
  limit: number;
  windowMs: number;
}

export interface FakeLimits {
  perChat: FakeLimit;
  perGroup: FakeLimit;
  global: FakeLimit;
}

/** The Bots FAQ numbers. */
export const REAL_LIMITS: FakeLimits = {
  perChat: { limit: 1, windowMs: 1_000 },
  perGroup: { limit: 20, windowMs: 60_000 },
  global: { limit: 30, windowMs: 1_000 },
};

export interface FakeTelegramOptions {
  /** The only token accepted; others get 401. */
  token: string;
  /** The bot's username (getMe). Default "chipin_test_bot". */
  username?: string;
  /** Enforced on sendMessage, sendDocument and editMessageText; false: none. Default REAL_LIMITS. */
  limits?: FakeLimits | false;
  /** A callback query answered later than this after it was made is "too old". Default 15 s. */
  callbackTimeoutMs?: number;
  /** update_id of the first built update. Default random, so fakes sharing a database never reuse inbox keys. */
  firstUpdateId?: number;
}

export interface RecordedFile {
  filename: string;
  content: Buffer;
}

export interface RecordedCall {
  method: string;
  /** JSON body, or multipart text fields (strings) with JSON fields such as reply_markup parsed. */
  params: Record<string, unknown>;
  files: Record<string, RecordedFile>;
  /** Date.now() when the request body was complete. */
  at: number;
  ok: boolean;
  errorCode?: number;
  /** What a successful call returned (a sent message, with its message_id). */
  result?: unknown;
}

export interface ApiErrorBody {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

interface StoredMessage {
  text: string;
  markup: string;
}

/** A native poll the bot sent (sendPoll), as the fake keeps it. */
export interface FakePoll {
  id: string;
  chatId: string;
  messageId: number;
  question: string;
  options: string[];
  isAnonymous: boolean;
  isClosed: boolean;
}

/** Methods that count against the message limits. */
const LIMITED = new Set(['sendMessage', 'sendDocument', 'editMessageText', 'sendPoll']);

export class FakeTelegramApi {
  readonly calls: RecordedCall[] = [];
  /** 429 answers given so far. */
  rateLimited = 0;
  /** Highest offset getUpdates was called with (everything below it is confirmed). */
  confirmedOffset = 0;
  /** getUpdates answers 409 "terminated by other getUpdates request" while true. */
  pollingConflict = false;
  webhook: { url: string; secretToken?: string; allowedUpdates?: unknown } | undefined;
  readonly botId: number;
  readonly username: string;

  private server: Server | undefined;
  private base = '';
  private readonly limits: FakeLimits | false;
  private readonly callbackTimeoutMs: number;
  private readonly sends = new Map<string, number[]>();
  private readonly groupSends = new Map<string, number[]>();
  private globalSends: number[] = [];
  private readonly blocked = new Map<string, string>();
  private readonly failures = new Map<string, ApiErrorBody[]>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly callbacks = new Map<string, { createdAt: number; answered: boolean }>();
  private queue: Array<{ update_id: number }> = [];
  private waiters: Array<() => void> = [];
  private readonly gates = new Map<string, { opened: Promise<void>; open: () => void; waiting: number }>();
  private nextMessageId = 1_000;
  private nextUpdate: number;
  private nextCallback = 1;
  private nextPoll = 5_000_000_000_000_000;
  /** Native polls sent, by poll id. */
  readonly polls = new Map<string, FakePoll>();

  constructor(private readonly options: FakeTelegramOptions) {
    this.botId = Number(options.token.split(':')[0]);
    this.username = options.username ?? 'chipin_test_bot';
    this.limits = options.limits === undefined ? REAL_LIMITS : options.limits;
    this.callbackTimeoutMs = options.callbackTimeoutMs ?? 15_000;
    this.nextUpdate = options.firstUpdateId ?? 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
  }

  /** Listens on 127.0.0.1 (port 0: a free one); resolves with the apiRoot to give telegraf. */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.reply(res, 500, { ok: false, error_code: 500, description: String(err) });
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  get apiRoot(): string {
    return this.base;
  }

  async close(): Promise<void> {
    this.releaseWaiters();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  // ---- test controls ----

  /** Queues updates for getUpdates. */
  enqueueUpdates(...updates: Array<{ update_id: number }>): void {
    this.queue.push(...updates);
    this.releaseWaiters();
  }

  /** Updates served but not yet confirmed, plus those not yet served. */
  get unconfirmed(): number {
    return this.queue.filter((u) => u.update_id >= this.confirmedOffset).length;
  }

  /** Sends to `chatId` fail with 403 (default: the user blocked the bot). */
  block(chatId: number | string, description = 'Forbidden: bot was blocked by the user'): void {
    this.blocked.set(String(chatId), description);
  }

  /** The next `times` calls of `method` fail with `error`. */
  failNext(method: string, error: ApiErrorBody, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.failures.set(method, list);
  }

  /**
   * Calls of `method` arriving from now on wait, unanswered, until the returned function is called (a slow
   * Telegram, to look at what happens while a call is in flight).
   */
  hold(method: string): () => void {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gates.set(method, { opened, open, waiting: 0 });
    return () => {
      this.gates.delete(method);
      open();
    };
  }

  /** Calls of `method` waiting on `hold`. */
  held(method: string): number {
    return this.gates.get(method)?.waiting ?? 0;
  }

  /** POSTs an update to the webhook set with setWebhook, with its secret (or `secret`), as Telegram would. */
  async deliver(update: object, secret?: string | null): Promise<number> {
    if (!this.webhook) throw new Error('no webhook set');
    const token = secret === undefined ? this.webhook.secretToken : secret;
    const res = await fetch(this.webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token !== null && token !== undefined ? { 'x-telegram-bot-api-secret-token': token } : {}),
      },
      body: JSON.stringify(update),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Successful calls of `method` (every method when omitted). */
  sent(method?: string): RecordedCall[] {
    return this.calls.filter((c) => c.ok && (method === undefined || c.method === method));
  }

  /** Resolves once `predicate` holds (polled every 10 ms); rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake telegram: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // ---- update builders ----

  user(id: number, firstName: string, extra: { username?: string; language_code?: string; is_bot?: boolean } = {}) {
    return { id, is_bot: extra.is_bot ?? false, first_name: firstName, ...extra };
  }

  privateChat(user: { id: number; first_name: string }) {
    return { id: user.id, type: 'private', first_name: user.first_name };
  }

  group(id: number, title = 'Test group') {
    return { id, type: 'supergroup', title };
  }

  /**
   * A `message` update. A leading `/command` gets its bot_command entity and every `@name` a mention entity, as
   * Telegram's clients produce them; `extra` overrides or adds fields (reply_to_message, forward_origin…).
   */
  message(
    from: object,
    chat: object,
    text: string,
    extra: Record<string, unknown> = {},
    kind: 'message' | 'edited_message' = 'message',
  ): { update_id: number; [key: string]: unknown } {
    const entities: Array<Record<string, unknown>> = [];
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
    if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
    for (const match of text.matchAll(/(?<![\w@])@[A-Za-z0-9_]{5,32}/g)) {
      if (command && match.index < command[0].length) continue;
      entities.push({ type: 'mention', offset: match.index, length: match[0].length });
    }
    return {
      update_id: this.nextUpdate++,
      [kind]: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        from,
        chat,
        text,
        ...(entities.length > 0 ? { entities } : {}),
        ...(kind === 'edited_message' ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
        ...extra,
      },
    };
  }

  /** A `callback_query` update for a button on message `messageId` in `chat`; its answer deadline starts now. */
  callback(from: object, chat: object, messageId: number, data: string): { update_id: number; [key: string]: unknown } {
    const id = `cb${this.nextCallback++}`;
    this.callbacks.set(id, { createdAt: Date.now(), answered: false });
    return {
      update_id: this.nextUpdate++,
      callback_query: {
        id,
        from,
        chat_instance: '1',
        data,
        message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat, text: 'buttons' },
      },
    };
  }

  /**
   * A `poll_answer` update: `user` chose `optionIds` (empty: took the vote back) in the poll `pollId`. Telegram sends
   * these only for non-anonymous polls that are still open, so anything else is a test bug and throws.
   */
  pollAnswer(user: object, pollId: string, optionIds: number[]): { update_id: number; [key: string]: unknown } {
    const poll = this.polls.get(pollId);
    if (!poll) throw new Error(`fake telegram: no poll ${pollId}`);
    if (poll.isAnonymous) throw new Error('fake telegram: an anonymous poll sends no poll_answer to bots');
    if (poll.isClosed) throw new Error('fake telegram: a closed poll takes no answers');
    if (optionIds.some((i) => i < 0 || i >= poll.options.length)) throw new Error('fake telegram: no such option');
    return { update_id: this.nextUpdate++, poll_answer: { poll_id: pollId, user, option_ids: optionIds } };
  }

  // ---- the server ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const at = Date.now();
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match)
      return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method = ''] = match;
    const { params, files } = parseBody(req.headers['content-type'] ?? '', body);
    const call: RecordedCall = { method, params, files, at, ok: false };
    this.calls.push(call);
    if (token !== this.options.token) return this.fail(res, call, { error_code: 401, description: 'Unauthorized' });

    const gate = this.gates.get(method);
    if (gate) {
      gate.waiting += 1;
      await gate.opened;
      gate.waiting -= 1;
    }

    const injected = this.failures.get(method)?.shift();
    if (injected) return this.fail(res, call, injected);

    const result = await this.run(method, params, files, at, res);
    if ('error_code' in result) return this.fail(res, call, result);
    call.ok = true;
    call.result = result.result;
    this.reply(res, 200, { ok: true, result: result.result });
  }

  private fail(res: ServerResponse, call: RecordedCall, error: ApiErrorBody): void {
    call.errorCode = error.error_code;
    this.reply(res, error.error_code, { ok: false, ...error });
  }

  private reply(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async run(
    method: string,
    p: Record<string, unknown>,
    files: Record<string, RecordedFile>,
    at: number,
    res: ServerResponse,
  ): Promise<{ result: unknown } | ApiErrorBody> {
    const chatId = scalar(p.chat_id);
    if (LIMITED.has(method)) {
      if (chatId === undefined) return badRequest('chat_id is empty');
      const blocked = this.blocked.get(chatId);
      if (blocked !== undefined) return { error_code: 403, description: blocked };
      const limited = this.checkLimits(chatId, at);
      if (limited) return limited;
    }
    switch (method) {
      case 'getMe':
        return {
          result: {
            id: this.botId,
            is_bot: true,
            first_name: 'chipin',
            username: this.username,
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        };
      case 'setMyCommands':
        return Array.isArray(p.commands) ? { result: true } : badRequest('commands must be an array');
      case 'setWebhook': {
        const secret = scalar(p.secret_token);
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
          return badRequest('secret token contains unallowed characters');
        }
        this.webhook = {
          url: scalar(p.url) ?? '',
          ...(secret !== undefined ? { secretToken: secret } : {}),
          allowedUpdates: p.allowed_updates,
        };
        return { result: true };
      }
      case 'deleteWebhook':
        this.webhook = undefined;
        return { result: true };
      case 'getWebhookInfo':
        return { result: { url: this.webhook?.url ?? '', pending_update_count: this.queue.length } };
      case 'getUpdates':
        return this.getUpdates(p, res);
      case 'sendMessage':
        return this.sendMessage(chatId!, p);
      case 'editMessageText':
        return this.editMessageText(chatId!, p);
      case 'sendDocument': {
        const document = files.document;
        if (!document) return badRequest('there is no document in the request');
        return { result: this.stored(chatId!, { document: { file_name: document.filename } }) };
      }
      case 'answerCallbackQuery':
        return this.answerCallbackQuery(p);
      case 'sendPoll':
        return this.sendPoll(chatId!, p);
      case 'stopPoll':
        return this.stopPoll(chatId, p);
      default:
        return { error_code: 404, description: 'Not Found' };
    }
  }

  private checkLimits(chatId: string, now: number): ApiErrorBody | undefined {
    if (!this.limits) return undefined;
    const isGroup = chatId.startsWith('-');
    const checks: Array<[number[], FakeLimit]> = [
      [(this.globalSends = recent(this.globalSends, now, this.limits.global.windowMs)), this.limits.global],
    ];
    const perChat = recent(this.sends.get(chatId) ?? [], now, this.limits.perChat.windowMs);
    this.sends.set(chatId, perChat);
    checks.push([perChat, this.limits.perChat]);
    let perGroup: number[] | undefined;
    if (isGroup) {
      perGroup = recent(this.groupSends.get(chatId) ?? [], now, this.limits.perGroup.windowMs);
      this.groupSends.set(chatId, perGroup);
      checks.push([perGroup, this.limits.perGroup]);
    }
    let waitMs = 0;
    for (const [times, limit] of checks) {
      if (times.length >= limit.limit)
        waitMs = Math.max(waitMs, times[times.length - limit.limit]! + limit.windowMs - now);
    }
    if (waitMs > 0) {
      this.rateLimited += 1;
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1_000));
      return {
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      };
    }
    this.globalSends.push(now);
    perChat.push(now);
    perGroup?.push(now);
    return undefined;
  }

  private chatOf(chatId: string) {
    const id = Number(chatId);
    return id < 0 ? { id, type: 'supergroup', title: 'Test group' } : { id, type: 'private', first_name: 'User' };
  }

  private stored(chatId: string, content: Record<string, unknown>, markup?: unknown) {
    const messageId = this.nextMessageId++;
    this.messages.set(`${chatId}:${messageId}`, {
      text: scalar(content.text) ?? '',
      markup: JSON.stringify(markup ?? null),
    });
    return {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: this.chatOf(chatId),
      from: { id: this.botId, is_bot: true, first_name: 'chipin', username: this.username },
      ...content,
      ...(markup ? { reply_markup: markup } : {}),
    };
  }

  private sendMessage(chatId: string, p: Record<string, unknown>): { result: unknown } | ApiErrorBody {
    const text = typeof p.text === 'string' ? p.text : '';
    if (text.trim() === '') return badRequest('message text is empty');
    if (text.length > 4096) return badRequest('message is too long');
    const markupError = checkMarkup(p.reply_markup);
    if (markupError) return markupError;
    return { result: this.stored(chatId, { text }, p.reply_markup) };
  }

  private editMessageText(chatId: string, p: Record<string, unknown>): { result: unknown } | ApiErrorBody {
    const text = typeof p.text === 'string' ? p.text : '';
    if (text.trim() === '') return badRequest('message text is empty');
    if (text.length > 4096) return badRequest('MESSAGE_TOO_LONG');
    const markupError = checkMarkup(p.reply_markup);
    if (markupError) return markupError;
    const key = `${chatId}:${String(p.message_id)}`;
    const markup = JSON.stringify(p.reply_markup ?? null);
    const before = this.messages.get(key);
    if (before && before.text === text && before.markup === markup) {
      return badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    this.messages.set(key, { text, markup });
    return {
      result: {
        message_id: Number(p.message_id),
        date: Math.floor(Date.now() / 1000),
        chat: this.chatOf(chatId),
        text,
        ...(p.reply_markup ? { reply_markup: p.reply_markup } : {}),
      },
    };
  }

  private sendPoll(chatId: string, p: Record<string, unknown>): { result: unknown } | ApiErrorBody {
    const question = typeof p.question === 'string' ? p.question : '';
    if (question.trim() === '' || question.length > 300) return badRequest('poll question length must be 1-300');
    // Bot API 7.3 takes InputPollOption objects; plain strings are still accepted.
    const raw: unknown[] = Array.isArray(p.options) ? (p.options as unknown[]) : [];
    const options = raw.map((o) =>
      typeof o === 'string'
        ? o
        : typeof o === 'object' && o !== null
          ? scalar((o as { text?: unknown }).text)
          : undefined,
    );
    if (options.length < 2 || options.length > 12) return badRequest('poll must have 2-12 options');
    if (options.some((o) => o === undefined || o === '' || o.length > 100))
      return badRequest('poll options length must not exceed 100');
    const isAnonymous = p.is_anonymous !== false;
    const id = String(this.nextPoll++);
    const poll = {
      id,
      question,
      options: options.map((text) => ({ text, voter_count: 0 })),
      total_voter_count: 0,
      is_closed: false,
      is_anonymous: isAnonymous,
      type: typeof p.type === 'string' ? p.type : 'regular',
      allows_multiple_answers: p.allows_multiple_answers === true,
    };
    const message = this.stored(chatId, { poll }, p.reply_markup);
    this.polls.set(id, {
      id,
      chatId,
      messageId: message.message_id,
      question,
      options: options as string[],
      isAnonymous,
      isClosed: false,
    });
    return { result: message };
  }

  private stopPoll(chatId: string | undefined, p: Record<string, unknown>): { result: unknown } | ApiErrorBody {
    const poll = [...this.polls.values()].find((x) => x.chatId === chatId && x.messageId === Number(p.message_id));
    if (!poll) return badRequest('message with poll to stop not found');
    if (poll.isClosed) return badRequest('poll has already been closed');
    poll.isClosed = true;
    return {
      result: {
        id: poll.id,
        question: poll.question,
        options: poll.options.map((text) => ({ text, voter_count: 0 })),
        total_voter_count: 0,
        is_closed: true,
        is_anonymous: poll.isAnonymous,
        type: 'regular',
        allows_multiple_answers: false,
      },
    };
  }

  private answerCallbackQuery(p: Record<string, unknown>): { result: unknown } | ApiErrorBody {
    const id = String(p.callback_query_id);
    const query = this.callbacks.get(id);
    if (!query || query.answered || Date.now() - query.createdAt > this.callbackTimeoutMs) {
      return badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    if (typeof p.text === 'string' && p.text.length > 200) return badRequest('MESSAGE_TOO_LONG');
    query.answered = true;
    return { result: true };
  }

  private async getUpdates(
    p: Record<string, unknown>,
    res: ServerResponse,
  ): Promise<{ result: unknown } | ApiErrorBody> {
    if (this.webhook) {
      return {
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      };
    }
    if (this.pollingConflict) {
      return {
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      };
    }
    const offset = Number(p.offset ?? 0);
    const limit = Math.min(Math.max(Number(p.limit ?? 100), 1), 100);
    const timeoutS = Number(p.timeout ?? 0);
    if (offset > this.confirmedOffset) this.confirmedOffset = offset;
    // Confirmed updates are forgotten, as Telegram does.
    this.queue = this.queue.filter((u) => u.update_id >= this.confirmedOffset);
    const available = () => this.queue.filter((u) => u.update_id >= offset).slice(0, limit);
    if (available().length === 0 && timeoutS > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutS * 1_000);
        function done() {
          clearTimeout(timer);
          res.off('close', done);
          resolve();
        }
        this.waiters.push(done);
        // The client gave up (telegraf's stop aborts its long poll).
        res.once('close', done);
      });
    }
    return { result: available() };
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A string or number parameter as text (JSON bodies carry numbers, multipart bodies strings). */
function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function badRequest(what: string): ApiErrorBody {
  return { error_code: 400, description: `Bad Request: ${what}` };
}

function recent(times: number[], now: number, windowMs: number): number[] {
  return times.filter((t) => t > now - windowMs);
}

function checkMarkup(markup: unknown): ApiErrorBody | undefined {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows)) return badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  for (const row of rows as unknown[]) {
    for (const button of Array.isArray(row)
      ? (row as Array<{ text?: unknown; callback_data?: unknown; url?: unknown }>)
      : []) {
      const data = button.callback_data;
      // Exactly one of the optional fields (here: callback_data or url).
      if ((data === undefined) === (button.url === undefined))
        return badRequest('text buttons are unallowed in the inline keyboard');
      if (button.url !== undefined && (typeof button.url !== 'string' || !/^https?:\/\/\S+$/.test(button.url)))
        return badRequest('BUTTON_URL_INVALID');
      if (typeof data === 'string' && (data.length === 0 || Buffer.byteLength(data, 'utf8') > 64)) {
        return badRequest('BUTTON_DATA_INVALID');
      }
      if (typeof button.text !== 'string' || button.text === '')
        return badRequest('text buttons are unallowed in the inline keyboard');
    }
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Multipart fields that carry JSON (telegraf's FORM_DATA_JSON_FIELDS). */
const JSON_FIELDS = new Set(['reply_markup', 'results', 'mask_position', 'shipping_options', 'errors', 'commands']);

function parseBody(
  contentType: string,
  body: Buffer,
): { params: Record<string, unknown>; files: Record<string, RecordedFile> } {
  if (body.length === 0) return { params: {}, files: {} };
  if (contentType.startsWith('application/json')) {
    return { params: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files: {} };
  }
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (contentType.startsWith('multipart/form-data') && boundary) return parseMultipart(body, boundary);
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return { params: Object.fromEntries(new URLSearchParams(body.toString('utf8'))), files: {} };
  }
  return { params: {}, files: {} };
}

function parseMultipart(
  body: Buffer,
  boundary: string,
): { params: Record<string, unknown>; files: Record<string, RecordedFile> } {
  const params: Record<string, unknown> = {};
  const files: Record<string, RecordedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    start += 2; // CRLF after the delimiter
    const end = body.indexOf(separator, start);
    if (end === -1) break;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) files[name] = { filename, content };
      else {
        const text = content.toString('utf8');
        params[name] = JSON_FIELDS.has(name) ? (JSON.parse(text) as unknown) : text;
      }
    }
    pos = end + 2;
  }
  return { params, files };
}
