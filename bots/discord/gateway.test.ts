import { afterAll, beforeAll, expect, it } from 'vitest';
import { DiscordInteractions, FakeDiscordApi, snowflake } from '../../test/fakes/discord-api.js';
import { FakeDiscordGateway } from '../../test/fakes/discord-gateway.js';
import { captureLogs, EchoLayer } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createDiscordTransport, type DiscordTransport } from './bot.js';

const APP_ID = '140000000000000001';
const TOKEN = [Buffer.from(APP_ID).toString('base64url'), 'Gx' + 'g'.repeat(4), 'w'.repeat(27)].join('.');

let database: TestDatabase;
let api: FakeDiscordApi;
let gateway: FakeDiscordGateway;
let transport: DiscordTransport | undefined;
const layer = new EchoLayer();
const fatal: string[] = [];
const interactions = new DiscordInteractions(APP_ID);

beforeAll(async () => {
  database = await createTestDatabase(3);
  api = new FakeDiscordApi({ token: TOKEN, applicationId: APP_ID });
  await api.listen();
  gateway = new FakeDiscordGateway(APP_ID);
  api.gatewayUrl = await gateway.listen();
});

afterAll(async () => {
  await transport?.stop();
  await gateway?.close();
  await api?.close();
  await database?.drop();
});

it('the gateway transport (discord.js Client) stores, defers, answers, and drops an event replayed after a resume', async () => {
  transport = createDiscordTransport({
    config: { discordBotToken: TOKEN, discordPublicKey: undefined, discordApiBase: api.apiBase },
    db: database.db,
    log: captureLogs().log,
    layer,
    options: { inbox: { graceMs: 200, sweepEveryMs: 100 }, onFatal: (reason) => fatal.push(reason) },
  });
  expect(transport.mode).toBe('gateway');
  expect(transport.router).toBeUndefined();
  await transport.start();
  expect(gateway.received).toContain(2); // IDENTIFY

  const user = interactions.user(snowflake(), 'gateway_user');
  const raw = interactions.command(user, 'balance', {}, { guildId: snowflake(), channelId: snowflake() });
  gateway.dispatch('INTERACTION_CREATE', raw);
  await api.waitFor(() => api.messagesOf(raw.token).length > 0, 15_000, 'the reply through the webhook');
  const callbacks = () => api.calls.filter((c) => c.path === `/interactions/${raw.id}/${raw.token}/callback`);
  expect(callbacks().map((c) => c.body)).toEqual([{ type: 5, data: { flags: 64 } }]);
  expect(api.messagesOf(raw.token).map((c) => [c.method, c.body?.content])).toEqual([['PATCH', 'balance: 0.00 USD']]);
  // Deferred before the reply.
  expect(callbacks()[0]!.at).toBeLessThanOrEqual(api.messagesOf(raw.token)[0]!.at);

  // A resumed session replays the event: stored once, so nothing happens again.
  gateway.dispatch('INTERACTION_CREATE', raw);
  await transport.idle();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await transport.idle();
  expect(callbacks()).toHaveLength(1);
  expect(api.messagesOf(raw.token)).toHaveLength(1);
  expect(layer.executions).toBe(1);
  const row = await database.db.query(`SELECT state FROM inbox WHERE key = $1`, [`dc:${raw.id}`]);
  expect(row.rows).toEqual([{ state: 'done' }]);
});

it('a connection Discord will not resume (4004 bad token) is fatal: the process is told to stop, not to re-identify', async () => {
  const identifies = gateway.received.filter((op) => op === 2).length;
  gateway.closeAll(4004);
  await api.waitFor(() => fatal.length > 0, 10_000, 'the fatal callback');
  expect(fatal[0]).toContain('4004');
  expect(gateway.received.filter((op) => op === 2)).toHaveLength(identifies);
});
