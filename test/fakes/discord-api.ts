/**
 * A local Discord REST API for tests, speaking its wire format under `<base>/v10/…` so the real @discordjs/rest
 * client runs against it (SPEC §7): application command registration, interaction callbacks, the interaction
 * webhook (follow-ups, edits and deletion of @original, JSON or multipart with attachments), DM channels and
 * channel messages. It records every call, answers 401 for a wrong bot token, can rate-limit sends (429 with
 * Retry-After and `retry_after`), refuse DMs to a user (403, code 50007) and posts in a channel (403, 50001), like
 * Discord does; and, for fault tests, hold the calls of a route unanswered (`hold`) or fail its next calls
 * (`failNext`: a 500, or 404 10062 Unknown interaction for a callback that came too late).
 *
 * `DiscordInteractions` builds interactions the way Discord sends them and signs them with a generated Ed25519
 * key pair (its public key is the app's DISCORD_PUBLIC_KEY).
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordCall {
  method: string;
  /** Decoded path after `/api/v10`, e.g. `/webhooks/1/tok/messages/@original`. */
  path: string;
  /** JSON body, or a multipart request's `payload_json`. */
  body: Record<string, unknown> | undefined;
  files: Array<{ name: string; content: string }>;
  /** The Authorization header was `Bot <token>`. */
  authorized: boolean;
  status: number;
  at: number;
  /** What the fake answered (a message, with its id and channel_id). */
  response?: unknown;
  /** The client closed the connection (gave up) before the fake answered. */
  abandoned?: boolean;
}

/** The routes `hold` and `failNext` act on. */
export type DiscordRoute = 'callback' | 'webhook' | 'dmChannel' | 'message';

export interface DiscordFailure {
  status: number;
  code: number;
  message: string;
}

/** What Discord answers a deferral sent after the 3 s or for an unknown interaction. */
export const UNKNOWN_INTERACTION: DiscordFailure = { status: 404, code: 10062, message: 'Unknown interaction' };
export const SERVER_ERROR: DiscordFailure = { status: 500, code: 0, message: '500: Internal Server Error' };

function routeOf(method: string, parts: readonly string[]): DiscordRoute | undefined {
  if (parts[0] === 'interactions' && parts[3] === 'callback' && method === 'POST') return 'callback';
  if (parts[0] === 'webhooks') return 'webhook';
  if (parts[0] === 'users' && parts[2] === 'channels' && method === 'POST') return 'dmChannel';
  if (parts[0] === 'channels' && parts[2] === 'messages' && method === 'POST') return 'message';
  return undefined;
}

/** The channel of every interaction this process made, by token: a webhook message lands there, as on Discord. */
const interactionChannels = new Map<string, string>();

export interface DiscordUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator?: string;
  avatar?: string | null;
  bot?: boolean;
}

let nextSnowflake = BigInt(Date.now()) * 4_194_304n + BigInt(Math.floor(Math.random() * 1_000_000));

/** A fresh snowflake-shaped id. */
export const snowflake = (): string => String((nextSnowflake += 4_194_304n));

export class FakeDiscordApi {
  readonly calls: DiscordCall[] = [];
  /** The next `n` channel-message sends answer 429. */
  private rateLimitSends = { n: 0, retryAfterS: 0.05, global: false };
  private readonly blockedUsers = new Set<string>();
  private readonly forbiddenChannels = new Set<string>();
  private readonly dmChannels = new Map<string, string>();
  private readonly gates = new Map<DiscordRoute, { opened: Promise<void>; open: () => void; waiting: number }>();
  private readonly failures = new Map<DiscordRoute, DiscordFailure[]>();
  /** The gateway URL GET /gateway/bot answers with (a FakeDiscordGateway's). */
  gatewayUrl: string | undefined;
  private server: Server | undefined;
  private base = '';

  constructor(readonly options: { token: string; applicationId: string }) {}

  /** The DISCORD_API_BASE to give the app (the client appends `/v10`). */
  get apiBase(): string {
    return `${this.base}/api`;
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.json(res, 500, { message: String(err), code: 0 });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.apiBase;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** DMs to this user fail with 403 / 50007 "Cannot send messages to this user". */
  block(userId: string): void {
    this.blockedUsers.add(userId);
  }

  /** Posts and edits in this channel fail with 403 / 50001 "Missing Access" (the bot lost its permissions there). */
  forbidChannel(channelId: string): void {
    this.forbiddenChannels.add(channelId);
  }

  /** The next `n` channel-message sends get 429 with `retryAfterS`. */
  rateLimitNextSends(n: number, retryAfterS = 0.05, global = false): void {
    this.rateLimitSends = { n, retryAfterS, global };
  }

  /**
   * Calls of `route` arriving from now on wait, unanswered, until the returned function is called (a Discord that
   * hangs); a call whose client gives up first is recorded `abandoned` and never answered.
   */
  hold(route: DiscordRoute): () => void {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(route, { opened, open, waiting: 0 });
    return () => {
      this.gates.delete(route);
      open();
    };
  }

  /** Calls of `route` waiting on `hold`. */
  held(route: DiscordRoute): number {
    return this.gates.get(route)?.waiting ?? 0;
  }

  /** The next `n` calls of `route` fail with `failure`. */
  failNext(route: DiscordRoute, n: number, failure: DiscordFailure): void {
    const list = this.failures.get(route) ?? [];
    for (let i = 0; i < n; i++) list.push(failure);
    this.failures.set(route, list);
  }

  /** Interaction callbacks (deferrals) of an interaction, in order. */
  callbacksOf(raw: { id: string; token: string }): DiscordCall[] {
    return this.calls.filter((c) => c.path === `/interactions/${raw.id}/${raw.token}/callback`);
  }

  dmChannelOf(userId: string): string | undefined {
    return this.dmChannels.get(userId);
  }

  /** Calls on the interaction webhook of `token` (follow-ups, edits, deletes), in order. */
  webhookCalls(token: string): DiscordCall[] {
    return this.calls.filter((c) => c.path.startsWith(`/webhooks/${this.options.applicationId}/${token}`));
  }

  /** Follow-ups and edits of `token` carrying content, in order. */
  messagesOf(token: string): DiscordCall[] {
    return this.webhookCalls(token).filter((c) => c.method !== 'DELETE' && c.status < 300);
  }

  /** Messages sent to a channel with the bot token (DMs), in order. */
  channelMessages(channelId: string): DiscordCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);
  }

  /** The distinct messages made in a channel (a send repeated with its enforced nonce made none). */
  messagesMadeIn(channelId: string): Array<{ id: string; content: string }> {
    const made = new Map<string, { id: string; content: string }>();
    for (const call of this.channelMessages(channelId)) {
      const response = call.response as { id?: unknown; content?: unknown } | undefined;
      if (call.status === 200 && typeof response?.id === 'string')
        made.set(response.id, {
          id: response.id,
          content: typeof response.content === 'string' ? response.content : '',
        });
    }
    return [...made.values()];
  }

  async waitFor(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake discord: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.base);
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/api/v10/')) return this.json(res, 404, { message: '404: Not Found', code: 0 });
    const path = decodeURIComponent(url.pathname.slice('/api/v10'.length));
    const { body, files } = await parseBody(req.headers['content-type'], raw);
    const authorized = req.headers.authorization === `Bot ${this.options.token}`;
    const call: DiscordCall = { method, path, body, files, authorized, status: 0, at: Date.now() };
    this.calls.push(call);
    const answer = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      call.response = payload;
      if (payload === undefined) {
        res.writeHead(status, headers).end();
        return;
      }
      this.json(res, status, payload, headers);
    };
    const app = this.options.applicationId;
    const parts = path.split('/').filter(Boolean);
    const route = routeOf(method, parts);
    const gate = route === undefined ? undefined : this.gates.get(route);
    if (gate) {
      gate.waiting += 1;
      const gaveUp = new Promise<void>((resolve) => res.once('close', () => resolve()));
      await Promise.race([gate.opened, gaveUp]);
      gate.waiting -= 1;
      if (res.destroyed) {
        call.abandoned = true;
        return;
      }
    }
    const failure = route === undefined ? undefined : this.failures.get(route)?.shift();
    if (failure) return answer(failure.status, { message: failure.message, code: failure.code });

    if (parts[0] === 'interactions' && parts[3] === 'callback' && method === 'POST') return answer(204);
    if (parts[0] === 'webhooks' && parts[1] === app) {
      if (parts.length === 3 && method === 'POST') return answer(200, this.message(parts[2]!, body));
      if (parts[3] === 'messages' && parts[4] === '@original') {
        if (method === 'PATCH') return answer(200, this.message(parts[2]!, body));
        if (method === 'DELETE') return answer(204);
      }
      return answer(404, { message: 'Unknown Webhook', code: 10015 });
    }
    if (!authorized) return answer(401, { message: '401: Unauthorized', code: 0 });
    if (path === '/gateway/bot' && method === 'GET' && this.gatewayUrl !== undefined) {
      const limit = { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 };
      return answer(200, { url: this.gatewayUrl, shards: 1, session_start_limit: limit });
    }
    if (parts[0] === 'applications' && parts[1] === app && method === 'PUT') {
      const commands = Array.isArray(body) ? (body as Array<Record<string, unknown>>) : [];
      return answer(
        200,
        commands.map((c) => ({ ...c, id: snowflake(), application_id: app, version: snowflake() })),
      );
    }
    if (path === '/users/@me/channels' && method === 'POST') {
      const recipient = typeof body?.recipient_id === 'string' ? body.recipient_id : '';
      let channel = this.dmChannels.get(recipient);
      if (!channel) this.dmChannels.set(recipient, (channel = snowflake()));
      return answer(200, { id: channel, type: 1, recipients: [{ id: recipient }] });
    }
    if (parts[0] === 'channels' && parts[2] === 'messages' && this.forbiddenChannels.has(parts[1]!))
      return answer(403, { message: 'Missing Access', code: 50001 });
    if (parts[0] === 'channels' && parts[2] === 'messages' && parts.length === 4 && method === 'PATCH') {
      // An edit with the bot token (live messages): only of a message the fake knows.
      if (!this.knownMessages.has(parts[3]!)) return answer(404, { message: 'Unknown Message', code: 10008 });
      return answer(200, { id: parts[3], channel_id: parts[1], content: body?.content ?? '' });
    }
    if (parts[0] === 'channels' && parts[2] === 'messages' && method === 'POST') {
      if (this.rateLimitSends.n > 0) {
        this.rateLimitSends.n -= 1;
        const { retryAfterS, global } = this.rateLimitSends;
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: retryAfterS, global },
          {
            'retry-after': String(retryAfterS),
            'x-ratelimit-scope': global ? 'global' : 'user',
            ...(global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        );
      }
      const recipient = [...this.dmChannels].find(([, channel]) => channel === parts[1])?.[0];
      if (recipient !== undefined && this.blockedUsers.has(recipient))
        return answer(403, { message: 'Cannot send messages to this user', code: 50007 });
      // enforce_nonce: the same author's nonce again within minutes returns the message it made, makes none.
      const nonce = body?.enforce_nonce === true && typeof body.nonce === 'string' ? `${parts[1]}:${body.nonce}` : '';
      const made = nonce === '' ? undefined : this.nonces.get(nonce);
      if (made) return answer(200, made);
      const message = this.remember({ id: snowflake(), channel_id: parts[1], content: body?.content ?? '' });
      if (nonce !== '') this.nonces.set(nonce, message);
      return answer(200, message);
    }
    return answer(404, { message: '404: Not Found', code: 0 });
  }

  private message(token: string, body: Record<string, unknown> | undefined) {
    const channelId = interactionChannels.get(token) ?? '0';
    return this.remember({
      id: snowflake(),
      channel_id: channelId,
      content: body?.content ?? '',
      flags: body?.flags ?? 0,
      token,
    });
  }

  /** Messages the fake created, so that an edit of an unknown one fails as Discord's does. */
  private readonly knownMessages = new Set<string>();
  /** Messages made with an enforced nonce, by channel and nonce (the fake never forgets them). */
  private readonly nonces = new Map<string, { id: string }>();

  private remember<M extends { id: string }>(message: M): M {
    this.knownMessages.add(message.id);
    return message;
  }

  private json(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(
  contentType: string | undefined,
  raw: Buffer,
): Promise<{ body: Record<string, unknown> | undefined; files: DiscordCall['files'] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
    const files: DiscordCall['files'] = [];
    let body: Record<string, unknown> | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        if (name === 'payload_json') body = JSON.parse(value) as Record<string, unknown>;
      } else {
        files.push({ name: value.name, content: await value.text() });
      }
    }
    return { body, files };
  }
  return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Interactions, as Discord sends them, signed

export interface Where {
  guildId?: string;
  channelId: string;
  locale?: string;
}

type OptionValue = string | number | boolean | DiscordUser;

export class DiscordInteractions {
  readonly publicKeyHex: string;
  private readonly privateKey: KeyObject;

  constructor(readonly applicationId: string) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    // The last 32 bytes of the SPKI DER are the raw key, what the developer portal shows in hex.
    this.publicKeyHex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  }

  user(id: string, username: string, globalName: string | null = null): DiscordUser {
    return { id, username, global_name: globalName, discriminator: '0', avatar: null };
  }

  /**
   * A slash command. `options` by name; a DiscordUser value becomes a USER option (resolved like Discord does);
   * `subcommand` nests them under it.
   */
  command(
    from: DiscordUser,
    name: string,
    options: Record<string, OptionValue> = {},
    where: Where,
    subcommand?: string,
  ): Record<string, unknown> & { id: string; token: string } {
    const users: Record<string, DiscordUser> = {};
    const leaves = Object.entries(options).map(([optionName, value]) => {
      if (typeof value === 'object') {
        users[value.id] = value;
        return { name: optionName, type: 6, value: value.id };
      }
      const type = typeof value === 'string' ? 3 : typeof value === 'number' ? 4 : 5;
      return { name: optionName, type, value };
    });
    const list = subcommand === undefined ? leaves : [{ name: subcommand, type: 1, options: leaves }];
    return this.base(from, where, 2, {
      id: snowflake(),
      name,
      type: 1,
      options: list,
      ...(Object.keys(users).length > 0 ? { resolved: { users } } : {}),
    });
  }

  /** A press of the button `customId` on the message `messageId`. */
  button(
    from: DiscordUser,
    customId: string,
    messageId: string,
    where: Where,
  ): Record<string, unknown> & { id: string; token: string } {
    return {
      ...this.base(from, where, 3, { custom_id: customId, component_type: 2 }),
      message: { id: messageId, channel_id: where.channelId },
    };
  }

  ping(): Record<string, unknown> {
    return { id: snowflake(), application_id: this.applicationId, type: 1, token: randomToken(), version: 1 };
  }

  /** Headers Discord sends: the signature of `timestamp + body` (now, unless given). */
  sign(body: string, timestamp = String(Math.floor(Date.now() / 1000))): Record<string, string> {
    const signature = sign(null, Buffer.from(timestamp + body), this.privateKey).toString('hex');
    return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
  }

  private base(from: DiscordUser, where: Where, type: number, data: Record<string, unknown>) {
    const inGuild = where.guildId !== undefined;
    const token = randomToken();
    interactionChannels.set(token, where.channelId);
    return {
      id: snowflake(),
      application_id: this.applicationId,
      type,
      token,
      version: 1,
      data,
      channel_id: where.channelId,
      channel: { id: where.channelId, type: inGuild ? 0 : 1 },
      locale: where.locale ?? 'en-US',
      app_permissions: '0',
      entitlements: [],
      authorizing_integration_owners: { '0': where.guildId ?? from.id },
      context: inGuild ? 0 : 1,
      attachment_size_limit: 10_485_760,
      ...(inGuild
        ? {
            guild_id: where.guildId,
            member: {
              user: from,
              nick: null,
              roles: [],
              joined_at: new Date(0).toISOString(),
              deaf: false,
              mute: false,
              flags: 0,
              permissions: '0',
            },
          }
        : { user: from }),
    };
  }
}

const randomToken = (): string => `aW50ZXJhY3Rpb24${randomBytes(48).toString('base64url')}`;

/** POSTs `body` (an object or exact text) to the interactions endpoint, signed unless `headers` are given. */
export async function postInteraction(
  url: string,
  interactions: DiscordInteractions,
  body: unknown,
  headers?: Record<string, string>,
): Promise<{ status: number; json: unknown; receivedAt: number }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${url}/discord/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? interactions.sign(text)) },
    body: text,
  });
  const received = await res.text();
  return { status: res.status, json: received === '' ? undefined : JSON.parse(received), receivedAt: Date.now() };
}
