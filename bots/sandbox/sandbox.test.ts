/**
 * The sandbox web chat as a transport: what it hands the command layer, where the answers land in the
 * transcript, and its HTTP surface. First against a recording layer, then against the real command layer,
 * core and ledger on a fresh Postgres database.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../core/log.js';
import { createCore } from '../../core/index.js';
import { notificationsOf, TEST_CONFIG } from '../../test/support/core.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { Blocked } from '../../workers/notify/ports.js';
import { createCommandLayer, localizedCommands } from '../commands/layer.js';
import { renderNotification } from '../commands/render.js';
import { t } from '../i18n/index.js';
import type { CommandLayer, Effect, IncomingEvent } from '../commands/types.js';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../http.js';
import { createMetricsRegistry } from '../metrics.js';
import {
  createSandboxRouter,
  createSandboxSender,
  createSandboxStore,
  GROUP_CHAT_ID,
  type SandboxMessage,
  type SandboxRouterDeps,
  type SandboxStore,
  type SandboxUser,
} from './index.js';

const running: RunningHttpServer[] = [];

async function serve(deps: Partial<SandboxRouterDeps> & { layer: CommandLayer }): Promise<string> {
  const router = createSandboxRouter({ log: silentLog, nodeEnv: 'test', defaultLocale: 'en', ...deps });
  const app = createHttpApp({
    log: silentLog,
    metrics: createMetricsRegistry({ version: '0.0.0' }),
    readiness: {},
    routes: [(a) => a.use(router)],
  });
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log: silentLog });
  running.push(server);
  return `http://127.0.0.1:${server.port}`;
}

/** A layer that records the events and answers with whatever `answer` returns. */
function recordingLayer(answer: (event: IncomingEvent) => Effect[] = () => []) {
  const events: IncomingEvent[] = [];
  const layer: CommandLayer = {
    handle(event) {
      events.push(event);
      return Promise.resolve({ effects: answer(event) });
    },
  };
  return { events, layer };
}

async function post<T = Record<string, unknown>>(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}/sandbox/api${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function get<T = Record<string, unknown>>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}/sandbox/api${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function createUser(base: string, username: string, language = 'en'): Promise<SandboxUser> {
  const displayName = username.charAt(0).toUpperCase() + username.slice(1);
  const res = await post<{ user: SandboxUser }>(base, '/users', { username, displayName, language });
  expect(res.status).toBe(201);
  return res.body.user;
}

/** The chat's messages after revision `after`, without the "… joined the group" lines. */
const messagesOf = async (base: string, chatId: string, after = 0) =>
  (
    await get<{ messages: SandboxMessage[]; rev: number }>(base, `/chats/${chatId}/messages?after=${after}`)
  ).messages.filter((m) => m.from.type !== 'system');

const textsOf = async (base: string, chatId: string) => (await messagesOf(base, chatId)).map((m) => m.text);

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('the sandbox transport', () => {
  it('turns a typed command into the event a transport builds: name, args, @mentions with offsets, an sb: key', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    await createUser(base, 'bob');
    events.splice(0); // their joins

    const sent = await post<{ message: SandboxMessage }>(base, '/send', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      text: '/Pay@chipin_bot  @Bob 10 lunch with @carol_2 (mail me at x@y.z)',
    });
    expect(sent.status).toBe(200);
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event).toMatchObject({
      type: 'command',
      command: 'pay',
      args: '@Bob 10 lunch with @carol_2 (mail me at x@y.z)',
      messageId: sent.body.message.id,
      actor: {
        platform: 'sandbox',
        userId: alice.id,
        username: 'alice',
        displayName: 'Alice',
        languageCode: 'en',
        isBot: false,
      },
      chat: { platform: 'sandbox', chatId: GROUP_CHAT_ID, kind: 'group', title: 'Sandbox group' },
      mentions: [
        { username: 'Bob', offset: 0, length: 4 },
        { username: 'carol_2', offset: 19, length: 8 },
      ],
    });
    expect(event?.type === 'command' && event.key).toMatch(/^sb:[0-9a-f-]{36}$/);
  });

  it('treats plain text and commands addressed to another bot as a "seen", never as a command', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    events.splice(0);
    for (const text of ['hello there', '/pay@otherbot @bob 10', 'pay /pay @bob 10']) {
      await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text });
    }
    expect(events.map((e) => e.type)).toEqual(['seen', 'seen', 'seen']);
    expect(await textsOf(base, GROUP_CHAT_ID)).toEqual(['hello there', '/pay@otherbot @bob 10', 'pay /pay @bob 10']);
  });

  it('marks a command that names the sandbox bot as addressed to it (an unknown one is then answered in a group)', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    events.splice(0);
    for (const text of ['/nosuch@chipin_bot', '/nosuch']) {
      await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text });
    }
    expect(events).toMatchObject([
      { type: 'command', command: 'nosuch', addressed: true },
      { type: 'command', command: 'nosuch' },
    ]);
    expect(events[1]).not.toHaveProperty('addressed');
  });

  it('gives every delivery its own key, so the layer can tell a new command from a redelivery', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    events.splice(0);
    await post(base, '/send', { userId: alice.id, chatId: alice.id, text: '/faucet 100' });
    await post(base, '/send', { userId: alice.id, chatId: alice.id, text: '/faucet 100' });
    const keys = events.map((e) => (e.type === 'command' ? e.key : ''));
    expect(new Set(keys).size).toBe(2);
  });

  it('passes the author of the replied-to message as replyTo (a person, or the bot)', async () => {
    const { events, layer } = recordingLayer((e) =>
      e.type === 'command' && e.command === 'help'
        ? [{ type: 'reply', message: { text: 'help text' }, private: false }]
        : [],
    );
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    const bob = await createUser(base, 'bob');
    events.splice(0);
    const hello = await post<{ message: SandboxMessage }>(base, '/send', {
      userId: bob.id,
      chatId: GROUP_CHAT_ID,
      text: 'lunch was 12',
    });
    await post(base, '/send', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      text: '/pay 12',
      replyToMessageId: hello.body.message.id,
    });
    await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text: '/help' });
    const botMessage = (await messagesOf(base, GROUP_CHAT_ID)).find((m) => m.from.type === 'bot');
    await post(base, '/send', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      text: '/pay 1',
      replyToMessageId: botMessage?.id,
    });

    const [, pay, , toBot] = events;
    expect(pay).toMatchObject({ replyTo: { platform: 'sandbox', userId: bob.id, username: 'bob', isBot: false } });
    expect(toBot).toMatchObject({ replyTo: { isBot: true, username: 'chipin_bot' } });
    const replied = (await messagesOf(base, GROUP_CHAT_ID)).find((m) => m.text === '/pay 12');
    expect(replied?.replyTo).toEqual({ messageId: hello.body.message.id, author: 'Bob', text: 'lunch was 12' });
  });

  it('answers a private reply to a group command in the actor’s DM and leaves a pointer in the group', async () => {
    const { layer } = recordingLayer((e) =>
      e.type === 'command'
        ? [{ type: 'reply', message: { text: 'Your balance\n• 85.00 USD available' }, private: true }]
        : [],
    );
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    const bob = await createUser(base, 'bob');
    const sent = await post<{ message: SandboxMessage }>(base, '/send', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      text: '/balance',
    });

    const group = await messagesOf(base, GROUP_CHAT_ID);
    expect(group.map((m) => m.text)).toEqual(['/balance', t('en', 'private.dm_sent', { name: '@alice' })]);
    expect(group[1]?.replyTo?.messageId).toBe(sent.body.message.id);
    expect(await textsOf(base, alice.id)).toEqual(['Your balance\n• 85.00 USD available']);
    expect(await textsOf(base, bob.id)).toEqual([]);
  });

  it('writes the pointer in the actor’s language', async () => {
    const { layer } = recordingLayer((e) =>
      e.type === 'command' ? [{ type: 'reply', message: { text: '余额' }, private: true }] : [],
    );
    const base = await serve({ layer });
    const li = await createUser(base, 'li', 'zh-CN');
    await post(base, '/send', { userId: li.id, chatId: GROUP_CHAT_ID, text: '/balance' });
    const [, pointer] = await textsOf(base, GROUP_CHAT_ID);
    expect(pointer).toBe(t('zh-CN', 'private.dm_sent', { name: '@li' }));
  });

  it('answers a private reply in a DM right there, without a pointer', async () => {
    const { layer } = recordingLayer((e) =>
      e.type === 'command' ? [{ type: 'reply', message: { text: 'balance' }, private: true }] : [],
    );
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    await post(base, '/send', { userId: alice.id, chatId: alice.id, text: '/balance' });
    expect(await textsOf(base, alice.id)).toEqual(['/balance', 'balance']);
    expect(await textsOf(base, GROUP_CHAT_ID)).toEqual([]);
  });

  it('presses a button as a "button" event, edits that message and returns the answer as a toast', async () => {
    const { events, layer } = recordingLayer((e) => {
      if (e.type === 'command') {
        return [
          {
            type: 'reply',
            message: { text: 'Send 30.00 USD?', buttons: [[{ label: 'Confirm', actionId: 'act_1' }]] },
            private: false,
          },
        ];
      }
      if (e.type === 'button') {
        return [
          { type: 'answer', text: 'Done' },
          { type: 'edit', message: { text: '✅ Sent 30.00 USD to Bob.' } },
        ];
      }
      return [];
    });
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    events.splice(0);
    await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text: '/pay @bob 30' });
    const before = await get<{ rev: number }>(base, `/chats/${GROUP_CHAT_ID}/messages`);
    const confirm = (await messagesOf(base, GROUP_CHAT_ID)).find((m) => m.buttons);
    expect(confirm?.buttons).toEqual([[{ label: 'Confirm', actionId: 'act_1' }]]);

    const pressed = await post(base, '/press', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      messageId: confirm?.id,
      actionId: 'act_1',
    });
    expect(pressed).toEqual({ status: 200, body: { toast: { text: 'Done', alert: false } } });
    expect(events[1]).toMatchObject({
      type: 'button',
      actionId: 'act_1',
      messageId: confirm?.id,
      actor: { userId: alice.id },
      chat: { chatId: GROUP_CHAT_ID, kind: 'group' },
    });
    expect(events[1]?.type === 'button' && events[1].key).toMatch(/^sb:/);

    // Polling after the last revision shows only the edited message, without its buttons.
    const changed = await messagesOf(base, GROUP_CHAT_ID, before.rev);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ id: confirm?.id, text: '✅ Sent 30.00 USD to Bob.', edited: true });
    expect(changed[0]?.buttons).toBeUndefined();
  });

  it('refuses to press on a message that is not the bot’s or does not exist, without calling the layer', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    events.splice(0);
    const own = await post<{ message: SandboxMessage }>(base, '/send', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      text: 'hi',
    });
    const press = (messageId: string) =>
      post(base, '/press', { userId: alice.id, chatId: GROUP_CHAT_ID, messageId, actionId: 'x' });
    expect((await press(own.body.message.id)).body).toMatchObject({ error: 'NotABotMessage' });
    expect((await press('999')).body).toMatchObject({ error: 'UnknownMessage' });
    expect(events.map((e) => e.type)).toEqual(['seen']);
  });

  it('lets a user speak only in the group and in their own DM', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const alice = await createUser(base, 'alice');
    const bob = await createUser(base, 'bob');
    events.splice(0);
    expect(await post(base, '/send', { userId: alice.id, chatId: bob.id, text: '/balance' })).toMatchObject({
      status: 403,
      body: { error: 'NotAMember' },
    });
    expect(await post(base, '/send', { userId: '42', chatId: GROUP_CHAT_ID, text: 'hi' })).toMatchObject({
      status: 404,
      body: { error: 'UnknownUser' },
    });
    expect(await post(base, '/send', { userId: alice.id, chatId: '-5', text: 'hi' })).toMatchObject({
      status: 404,
      body: { error: 'UnknownChat' },
    });
    expect(events).toEqual([]);
    const chats = await get<{ chats: Array<{ id: string; kind: string }> }>(base, `/chats?userId=${alice.id}`);
    expect(chats.chats.map((c) => [c.id, c.kind])).toEqual([
      [GROUP_CHAT_ID, 'group'],
      [alice.id, 'private'],
    ]);
  });

  it('validates what it is sent: usernames, duplicates, empty and control-character text, non-JSON bodies', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    // A refused user names the field that is wrong, so the page can say so beside it.
    expect(await post(base, '/users', { username: 'bad name', displayName: 'X' })).toMatchObject({
      status: 400,
      body: { error: 'BadRequest', field: 'username', message: 'Username: 1–32 of a–z, 0–9 and _' },
    });
    expect(await post(base, '/users', { username: 'alice', displayName: '' })).toMatchObject({
      status: 400,
      body: { error: 'BadRequest', field: 'displayName' },
    });
    expect(await post(base, '/users', { username: 'alice', displayName: 'A\u0007' })).toMatchObject({
      status: 400,
      body: { field: 'displayName' },
    });
    expect(await post(base, '/users', ['alice'])).toEqual({
      status: 400,
      body: { error: 'BadRequest', message: 'the request is not valid' },
    });
    const alice = await createUser(base, '@Alice');
    expect(alice.username).toBe('alice');
    expect(await post(base, '/users', { username: 'ALICE', displayName: 'Other' })).toMatchObject({
      status: 409,
      body: { error: 'UsernameTaken', field: 'username' },
    });
    expect((await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text: '   ' })).status).toBe(400);
    expect((await post(base, '/send', { userId: alice.id, chatId: GROUP_CHAT_ID, text: 'a\u0000b' })).status).toBe(400);
    const form = await fetch(`${base}/sandbox/api/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `userId=${alice.id}&chatId=${GROUP_CHAT_ID}&text=hi`,
    });
    expect(form.status).toBe(400);
    expect(events.map((e) => e.type)).toEqual(['seen']); // alice joining, nothing else
    expect((await get<{ users: SandboxUser[] }>(base, '/users')).users).toHaveLength(1);
  });

  it('lets a new user join the group: a join line for everyone and a "seen" for the layer, so @username resolves', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer });
    const carol = await createUser(base, 'carol', 'zh-CN');
    expect(events).toEqual([
      {
        type: 'seen',
        actor: {
          platform: 'sandbox',
          userId: carol.id,
          username: 'carol',
          displayName: 'Carol',
          languageCode: 'zh-CN',
          isBot: false,
        },
        chat: { platform: 'sandbox', chatId: GROUP_CHAT_ID, kind: 'group', title: 'Sandbox group' },
      },
    ]);
    const all = await get<{ messages: SandboxMessage[] }>(base, `/chats/${GROUP_CHAT_ID}/messages`);
    expect(all.messages.map((m) => [m.from.type, m.text])).toEqual([['system', 'Carol (@carol) joined the group.']]);
  });

  it('never hands a new user the id of a user from before a restart', () => {
    let clock = 1_700_000_000_000;
    const before = createSandboxStore({ now: () => new Date(clock) });
    const first = before.createUser({ username: 'alice', displayName: 'Alice', language: 'en' });
    clock += 60_000;
    const after = createSandboxStore({ now: () => new Date(clock) });
    const second = after.createUser({ username: 'carol', displayName: 'Carol', language: 'en' });
    expect(first.ok && second.ok && BigInt(second.user.id) > BigInt(first.user.id)).toBe(true);
  });
});

describe('the sandbox sender', () => {
  it('puts a notification in the person’s DM, where polling finds it with its buttons', async () => {
    const store = createSandboxStore();
    const base = await serve({ layer: recordingLayer().layer, store });
    const alice = await createUser(base, 'alice');
    const sender = createSandboxSender(store);
    const { messageId } = await sender.send(alice.id, {
      text: 'Bob asks you for 5.00 USD.',
      buttons: [
        [
          { label: 'Pay', actionId: 'a1' },
          { label: 'Decline', actionId: 'a2' },
        ],
      ],
    });
    const [m] = await messagesOf(base, alice.id);
    expect(m).toMatchObject({
      id: messageId,
      origin: 'notification',
      from: { type: 'bot' },
      text: 'Bob asks you for 5.00 USD.',
    });
    expect(m?.buttons?.[0]?.map((b) => b.label)).toEqual(['Pay', 'Decline']);
  });

  it('reports a chat it does not know (a user from before a restart) as Blocked', async () => {
    const sender = createSandboxSender(createSandboxStore());
    await expect(sender.send('1234567', { text: 'hi' })).rejects.toBeInstanceOf(Blocked);
  });
});

describe('the sandbox page and production', () => {
  it('serves the page with a per-response nonce, a strict CSP and no-store', async () => {
    const base = await serve({ layer: recordingLayer().layer });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toContain('{{nonce}}');
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    const again = await fetch(`${base}/`);
    expect(again.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('offers the bot’s own command list as hints, with something to type for each, and /faucet only in demo mode', async () => {
    const listed = async (demoMoney: boolean) => {
      const base = await serve({ layer: recordingLayer().layer, commands: localizedCommands({ demoMoney }) });
      const body = (await (await fetch(`${base}/sandbox/api/commands`)).json()) as {
        commands: Array<{ name: string; example: string; description: { en: string } }>;
      };
      return body.commands;
    };
    const demo = await listed(true);
    expect(demo.find((c) => c.name === 'pay')?.example).toBe('/pay @bob 10 lunch');
    expect(demo.find((c) => c.name === 'balance')).toMatchObject({ example: '/balance' });
    expect(demo.map((c) => c.name)).toContain('faucet');
    expect((await listed(false)).map((c) => c.name)).not.toContain('faucet');
  });

  it('answers 404 for the page and the whole API when NODE_ENV is production, and never calls the layer', async () => {
    const { events, layer } = recordingLayer();
    const base = await serve({ layer, nodeEnv: 'production' });
    for (const path of ['/', '/sandbox/api/users', '/sandbox/api/chats']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not found' });
    }
    const send = await post(base, '/send', { userId: '1', chatId: GROUP_CHAT_ID, text: '/faucet 100' });
    expect(send.status).toBe(404);
    expect(events).toEqual([]);
  });
});

describe('the sandbox over the real command layer and ledger', () => {
  let database: TestDatabase;
  let store: SandboxStore;
  let base: string;
  let routerDeps: Parameters<typeof createSandboxRouter>[0];

  beforeAll(async () => {
    database = await createTestDatabase(4);
    const config = { ...TEST_CONFIG, linkCodeTtlMs: 600_000 };
    const core = createCore({ db: database.db, config });
    store = createSandboxStore();
    routerDeps = {
      layer: createCommandLayer({ core, config }),
      log: silentLog,
      nodeEnv: 'test',
      defaultLocale: 'en',
      store,
    };
  });
  afterAll(async () => {
    await database.drop();
  });

  it('plays faucet, pay (confirmed on its card), request (Pay pressed on the notification) and balance through the real layer', async () => {
    base = await serve(routerDeps);
    const alice = await createUser(base, 'alice');
    const bob = await createUser(base, 'bob');
    const say = (user: SandboxUser, chatId: string, text: string) =>
      post(base, '/send', { userId: user.id, chatId, text });
    const lastBot = async (chatId: string) =>
      (await messagesOf(base, chatId)).filter((m) => m.from.type === 'bot').at(-1);

    await say(alice, GROUP_CHAT_ID, '/faucet 100');
    expect((await lastBot(alice.id))?.text).toContain('100.00 USD');
    // Above the threshold, a card says who holds @bob and where the bot has seen them: confirm it.
    await say(alice, GROUP_CHAT_ID, '/pay @bob 25 lunch');
    const card = await lastBot(GROUP_CHAT_ID);
    expect(card?.text).toContain('Send 25.00 USD to Bob (@bob, in this chat since ');
    expect(card?.text).not.toContain(bob.id);
    const confirm = card?.buttons?.flat()[0];
    await post(base, '/press', {
      userId: alice.id,
      chatId: GROUP_CHAT_ID,
      messageId: card?.id,
      actionId: confirm?.actionId,
    });
    expect(await lastBot(GROUP_CHAT_ID)).toMatchObject({ id: card?.id, edited: true });
    expect((await lastBot(GROUP_CHAT_ID))?.text).toContain('Sent 25.00 USD to Bob');

    await say(bob, GROUP_CHAT_ID, '/request @alice 5 coffee');
    expect((await lastBot(GROUP_CHAT_ID))?.text).toContain('5.00 USD');
    // What the notifications worker does for alice: render the stored template and send it on platform 'sandbox'.
    const person = (
      await createCore({ db: database.db, config: TEST_CONFIG }).people.findByUserId(database.db, 'sandbox', alice.id)
    )?.person;
    expect(person).toBeDefined();
    const incoming = (await notificationsOf(database.db, person!)).find((n) => n.template.key === 'request.incoming');
    expect(incoming).toBeDefined();
    await createSandboxSender(store).send(alice.id, renderNotification('en', incoming!.template, { timeZone: 'UTC' }));
    const ask = await lastBot(alice.id);
    const pay = ask?.buttons?.flat().find((b) => b.label === 'Pay');
    expect(pay).toBeDefined();
    const pressed = await post<{ toast: { text: string } | null }>(base, '/press', {
      userId: alice.id,
      chatId: alice.id,
      messageId: ask?.id,
      actionId: pay?.actionId,
    });
    expect(pressed.status).toBe(200);
    expect((await lastBot(alice.id))?.buttons).toBeUndefined();

    await say(alice, GROUP_CHAT_ID, '/balance');
    await say(bob, bob.id, '/balance');
    expect((await lastBot(alice.id))?.text).toContain('70.00 USD');
    expect((await lastBot(bob.id))?.text).toContain('30.00 USD');
    expect((await lastBot(GROUP_CHAT_ID))?.text).toBe(t('en', 'private.dm_sent', { name: '@alice' }));
  });

  it('runs a group fund: the vote shows as Yes / No buttons, members vote, and the vote decides the payout', async () => {
    base = await serve(routerDeps);
    const [ann, ben, cat] = [
      await createUser(base, 'ann'),
      await createUser(base, 'ben'),
      await createUser(base, 'cat'),
    ];
    const say = (user: SandboxUser, text: string) =>
      post(base, '/send', { userId: user.id, chatId: GROUP_CHAT_ID, text });
    const lastBot = async () => (await messagesOf(base, GROUP_CHAT_ID)).filter((m) => m.from.type === 'bot').at(-1);
    for (const who of [ann, ben]) await post(base, '/send', { userId: who.id, chatId: who.id, text: '/faucet 100' });
    await say(ann, '/fund new trip');
    expect((await lastBot())?.text).toContain('Fund “trip” started by Ann');
    for (const who of [ann, ben]) await say(who, '/fund add trip 50');
    await say(ann, '/fund spend trip 30 @cat snacks');
    const vote = await lastBot();
    expect(vote?.text).toBe('Pay 30.00 USD from “trip” to Cat?');
    const [yes] = vote?.buttons?.flat() ?? [];
    const press = (user: SandboxUser) =>
      post<{ toast: { text: string } | null }>(base, '/press', {
        userId: user.id,
        chatId: GROUP_CHAT_ID,
        messageId: vote?.id,
        actionId: yes?.actionId,
      });
    expect((await press(cat)).body.toast?.text).toBe(t('en', 'group.NotEligible'));
    expect((await press(ann)).body.toast?.text).toBe(t('en', 'group.voted'));
    expect((await press(ben)).body.toast?.text).toBe(t('en', 'group.voted'));
    // What the worker does next: decide on the final tally and pay.
    const core = createCore({ db: database.db, config: TEST_CONFIG });
    const spend = await database.db.query(`SELECT id FROM fund_spends ORDER BY id DESC LIMIT 1`);
    expect(await core.funds.decideSpend(database.db, BigInt(String(spend.rows[0]?.id)))).toMatchObject({
      type: 'paid',
    });
    await post(base, '/send', { userId: cat.id, chatId: cat.id, text: '/balance' });
    const dm = (await messagesOf(base, cat.id)).filter((m) => m.from.type === 'bot').at(-1);
    expect(dm?.text).toContain('30.00 USD');
  });
});
