/**
 * The sandbox web chat (SPEC §4 `/`): the page at `/` and its JSON API under `/sandbox/api/`. Only outside
 * production: main.ts does not mount it there, and the router itself answers 404 when `nodeEnv` is
 * production, in case it ever is mounted.
 *
 *   GET  /sandbox/api/commands                   the commands offered (name, descriptions, example)
 *   GET  /sandbox/api/users                      the sandbox's users
 *   POST /sandbox/api/users                      {username, displayName, language} → 201 {user}; a refusal names
 *                                                the field it is about: 400/409 {error, message, field?}
 *   GET  /sandbox/api/chats?userId=              the group and the private chats (or those of one user)
 *   GET  /sandbox/api/chats/:id/messages?after=  messages created or edited after revision `after`, and `rev`
 *   POST /sandbox/api/send                       {userId, chatId, text, replyToMessageId?} → {message, toast?}
 *   POST /sandbox/api/press                      {userId, chatId, messageId, actionId} → {toast?}
 *
 * Anything a user typed comes back as JSON data; the page renders it as text, never as markup.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { LOCALES, type Locale, type NodeEnv } from '../../config/env.js';
import type { Log } from '../../core/log.js';
import type { LocalizedCommand } from '../commands/index.js';
import type { CommandLayer } from '../commands/types.js';
import { createSandboxStore, type CreateUserError, type SandboxStore } from './store.js';
import { createSandbox, type SandboxDeps, type SandboxError } from './transport.js';

export interface SandboxRouterDeps {
  layer: CommandLayer;
  log: Log;
  nodeEnv: NodeEnv;
  /** The language preselected for a new user. */
  defaultLocale: Locale;
  /** Shared with `createSandboxSender` so notifications reach the same transcript. */
  store?: SandboxStore;
  /** The commands offered, in menu order (bots/commands `localizedCommands`): the page's hints. */
  commands?: readonly LocalizedCommand[];
  /** Binds posted live messages to their rows (core/live); see SandboxDeps. */
  bindLive?: SandboxDeps['bindLive'];
  bindButtons?: SandboxDeps['bindButtons'];
  /** Idempotency keys of the deliveries (tests). */
  newKey?: () => string;
}

type ApiError = SandboxError | CreateUserError | 'BadRequest';

const API_ERRORS: Record<ApiError, { status: number; message: string }> = {
  BadRequest: { status: 400, message: 'the request is not valid' },
  UnknownUser: { status: 404, message: 'no such sandbox user' },
  UnknownChat: { status: 404, message: 'no such chat' },
  UnknownMessage: { status: 404, message: 'no such message in this chat' },
  NotAMember: { status: 403, message: 'this user is not in this chat' },
  NotABotMessage: { status: 400, message: 'only the bot’s messages have buttons' },
  UsernameTaken: { status: 409, message: 'a sandbox user already has this username' },
  TooManyUsers: { status: 409, message: 'the sandbox has as many users as it can take' },
};

const userId = z.string().regex(/^[0-9]{1,20}$/);
const chatId = z.string().regex(/^-?[0-9]{1,20}$/);
const messageId = z.string().regex(/^[0-9]{1,12}$/);
// No control characters: names and messages are shown as they are.
const visible = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u);

/** The fields of a new user, each with what it must be (shown beside the field by the page). */
const USER_FIELDS = {
  username: 'Username: 1–32 of a–z, 0–9 and _',
  displayName: 'Display name is required (at most 64 characters, no control characters)',
  language: 'Language: en or zh-CN',
} as const;
type UserField = keyof typeof USER_FIELDS;
const isUserField = (key: unknown): key is UserField => typeof key === 'string' && Object.hasOwn(USER_FIELDS, key);

const newUser = (defaultLocale: Locale) =>
  z.object({
    username: z
      .string()
      .trim()
      .transform((text) => text.replace(/^@/, '').toLowerCase())
      .pipe(z.string().regex(/^[a-z0-9_]{1,32}$/)),
    displayName: visible(64),
    language: z.enum(LOCALES).default(defaultLocale),
  });

const sendBody = z.object({
  userId,
  chatId,
  // Newlines are text; other control characters are not.
  text: z
    .string()
    .trim()
    .min(1)
    .max(4096)
    .regex(/^(?:[^\p{Cc}]|[\n\t])*$/u),
  replyToMessageId: messageId.optional(),
});

const pressBody = z.object({ userId, chatId, messageId, actionId: z.string().min(1).max(256) });

const chatsQuery = z.object({ userId: userId.optional() });
const messagesQuery = z.object({ after: z.coerce.number().int().nonnegative().default(0) });

const PAGE = readFileSync(new URL('./page.html', import.meta.url), 'utf8');

/**
 * Answers `error`; `field`: the field of the request it is about (a request that does not fit then says what that
 * field must be).
 */
function fail(res: Response, error: ApiError, field?: UserField): void {
  const { status, message } = API_ERRORS[error];
  const about =
    field === undefined ? {} : { field, ...(error === 'BadRequest' ? { message: USER_FIELDS[field] } : {}) };
  res.status(status).json({ error, message, ...about });
}

/** The request's body or query per `schema`; answers 400 and returns undefined when it does not fit. */
function read<S extends z.ZodType>(schema: S, value: unknown, res: Response): z.output<S> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  fail(res, 'BadRequest');
  return undefined;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

function servePage(_req: Request, res: Response): void {
  // Inline script and style run only with this response's nonce; nothing loads from anywhere else.
  const nonce = randomBytes(16).toString('base64');
  res.set({
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.type('html').send(PAGE.replaceAll('{{nonce}}', nonce));
}

export function createSandboxRouter(deps: SandboxRouterDeps): Router {
  const router = express.Router();
  if (deps.nodeEnv === 'production') {
    const notFound: RequestHandler = (_req, res) => {
      res.status(404).json({ error: 'not found' });
    };
    router.get('/', notFound);
    router.use('/sandbox', notFound);
    return router;
  }

  const store = deps.store ?? createSandboxStore();
  const sandbox = createSandbox({
    store,
    layer: deps.layer,
    log: deps.log,
    ...(deps.newKey ? { newKey: deps.newKey } : {}),
    ...(deps.bindLive ? { bindLive: deps.bindLive } : {}),
    ...(deps.bindButtons ? { bindButtons: deps.bindButtons } : {}),
  });
  const userSchema = newUser(deps.defaultLocale);

  router.get('/', noStore, servePage);

  const api = express.Router();
  api.use(noStore, express.json({ limit: '32kb' }));

  api.get('/commands', (_req, res) => {
    res.json({ commands: deps.commands ?? [] });
  });

  api.get('/users', (_req, res) => {
    res.json({ users: store.users() });
  });

  api.post('/users', async (req, res) => {
    const parsed = userSchema.safeParse(req.body);
    if (!parsed.success) {
      const field = parsed.error.issues.map((issue) => issue.path[0]).find(isUserField);
      return fail(res, 'BadRequest', field);
    }
    const input = parsed.data;
    const created = store.createUser(input);
    if (!created.ok) return fail(res, created.error, created.error === 'UsernameTaken' ? 'username' : undefined);
    deps.log.info({ userId: created.user.id }, 'sandbox: user created');
    try {
      await sandbox.join(created.user);
    } catch {
      // Logged by the transport; the user exists, and their first message introduces them to chipin anyway.
    }
    res.status(201).json({ user: created.user });
  });

  api.get('/chats', (req, res) => {
    const query = read(chatsQuery, req.query, res);
    if (!query) return;
    if (query.userId !== undefined && !store.user(query.userId)) return fail(res, 'UnknownUser');
    res.json({ chats: store.chats(query.userId) });
  });

  api.get('/chats/:chatId/messages', (req, res) => {
    const query = read(messagesQuery, req.query, res);
    const id = read(chatId, req.params.chatId, res);
    if (!query || id === undefined) return;
    const found = store.messages(id, query.after);
    if (!found) return fail(res, 'UnknownChat');
    res.json(found);
  });

  api.post('/send', async (req, res) => {
    const input = read(sendBody, req.body, res);
    if (!input) return;
    const sent = await sandbox.send(input);
    if (!sent.ok) return fail(res, sent.error);
    const { ok: _ok, ...body } = sent;
    res.json(body);
  });

  api.post('/press', async (req, res) => {
    const input = read(pressBody, req.body, res);
    if (!input) return;
    const pressed = await sandbox.press(input);
    if (!pressed.ok) return fail(res, pressed.error);
    res.json({ toast: pressed.toast ?? null });
  });

  router.use('/sandbox/api', api);
  return router;
}
