import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordSender } from '../../app.js';
import { cli } from '../../main.js';
import { captureLogs } from '../../test/fakes/telegram-harness.js';
import { DiscordInteractions, FakeDiscordApi, snowflake } from '../../test/fakes/discord-api.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { Blocked, RateLimited } from '../../workers/index.js';
import { createDiscordTransport, type DiscordTransport } from './bot.js';
import { createInteractionEffects } from './effects.js';
import { createGatewayIntake } from './gateway.js';
import { createInteractionIntake } from './intake.js';

const APP_ID = '120000000000000001';
const TOKEN = ['MTIwMDAwMDAwMDAwMDAwMDAx', 'Gx' + 'q'.repeat(4), 'w'.repeat(27)].join('.');

let database: TestDatabase;
let fake: FakeDiscordApi;
let transport: DiscordTransport;
const interactions = new DiscordInteractions(APP_ID);

beforeAll(async () => {
  database = await createTestDatabase(3);
  fake = new FakeDiscordApi({ token: TOKEN, applicationId: APP_ID });
  await fake.listen();
  transport = createDiscordTransport({
    config: { discordBotToken: TOKEN, discordPublicKey: interactions.publicKeyHex, discordApiBase: fake.apiBase },
    db: database.db,
    log: captureLogs().log,
    layer: { handle: () => Promise.resolve({ effects: [] }) },
  });
});

afterAll(async () => {
  await transport?.stop();
  await fake?.close();
  await database?.drop();
});

describe('notifications as Discord DMs', () => {
  it('opens the DM channel once, then posts with the bot token and no mentions parsed', async () => {
    const userId = snowflake();
    await transport.send(userId, { text: 'You received 5.00 USD from @everyone' });
    await transport.send(userId, { text: 'Reminder' });
    const opened = fake.calls.filter((c) => c.path === '/users/@me/channels');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.body).toEqual({ recipient_id: userId });
    const sent = fake.channelMessages(fake.dmChannelOf(userId)!);
    expect(sent.map((c) => [c.body?.content, c.authorized, c.body?.allowed_mentions])).toEqual([
      ['You received 5.00 USD from @everyone', true, { parse: [] }],
      ['Reminder', true, { parse: [] }],
    ]);
  });

  it('a DM sent again under the same key (its answer was lost) is one message: Discord enforces its nonce', async () => {
    const userId = snowflake();
    const first = await transport.send(userId, { text: 'You received 1.00 USD' }, 'notify:1');
    const again = await transport.send(userId, { text: 'You received 1.00 USD' }, 'notify:1');
    const other = await transport.send(userId, { text: 'You received 1.00 USD' }, 'notify:2');
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    const sent = fake.channelMessages(fake.dmChannelOf(userId)!);
    expect(sent.map((c) => [typeof c.body?.nonce, c.body?.enforce_nonce])).toEqual([
      ['string', true],
      ['string', true],
      ['string', true],
    ]);
    expect(fake.messagesMadeIn(fake.dmChannelOf(userId)!)).toHaveLength(2);
  });

  it('a 429 becomes RateLimited with Discord’s retry_after; "cannot send messages to this user" becomes Blocked', async () => {
    const sender = discordSender(transport);
    const userId = snowflake();
    fake.rateLimitNextSends(1, 2.5);
    const limited = await sender.send(userId, { text: 'hi' }).catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(RateLimited);
    expect((limited as RateLimited).retryAfterMs).toBe(2_500);
    expect((await sender.send(userId, { text: 'hi again' })).messageId).toMatch(/^\d+$/);

    const blocked = snowflake();
    fake.block(blocked);
    await expect(sender.send(blocked, { text: 'hello' })).rejects.toBeInstanceOf(Blocked);
  });
});

describe('the gateway intake (the same interaction JSON as HTTP)', () => {
  it('stores, defers through the callback endpoint, and drops a replayed event', async () => {
    const rest = new REST({ api: fake.apiBase, version: '10' }).setToken(TOKEN);
    const stored: string[] = [];
    const log = captureLogs().log;
    const intake = createGatewayIntake({
      intake: createInteractionIntake({ db: database.db, log, onAdmitted: (k) => stored.push(k) }),
      rest,
      effects: createInteractionEffects({ rest, log }),
      log,
    });
    const user = interactions.user(snowflake(), 'gwuser');
    const raw = interactions.command(user, 'balance', {}, { guildId: snowflake(), channelId: snowflake() });
    await intake(raw);
    await intake(raw); // a resumed session replays it
    expect(stored).toEqual([`dc:${raw.id}`]);
    const callbacks = fake.calls.filter((c) => c.path === `/interactions/${raw.id}/${raw.token}/callback`);
    expect(callbacks.map((c) => c.body)).toEqual([{ type: 5, data: { flags: 64 } }]);
    const row = await database.db.query(`SELECT platform, state, locked_until FROM inbox WHERE key = $1`, [
      `dc:${raw.id}`,
    ]);
    // Admitted once deferred: free for the processor.
    expect(row.rows).toEqual([{ platform: 'discord', state: 'received', locked_until: null }]);
  });
});

describe('chipin discord register', () => {
  const io = (env: Record<string, string>) => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        stdout: { write: (s: string) => (out.stdout += s) },
        stderr: { write: (s: string) => (out.stderr += s) },
        env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      },
    };
  };

  it('registers the slash commands on a guild through DISCORD_API_BASE and prints them', async () => {
    const guild = snowflake();
    const run = io({
      DISCORD_BOT_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_BASE: fake.apiBase,
      DEMO_MONEY: '1',
    });
    expect(await cli(['discord', 'register', '--guild', guild], run.io)).toBe(0);
    const put = fake.calls.find(
      (c) => c.method === 'PUT' && c.path === `/applications/${APP_ID}/guilds/${guild}/commands`,
    );
    expect(put?.authorized).toBe(true);
    const names = (put?.body as unknown as Array<{ name: string }>).map((c) => c.name);
    expect(names).toContain('faucet');
    expect(run.out.stdout).toBe(
      `registered ${names.length} commands on guild ${guild}: ${names.map((n) => `/${n}`).join(' ')}\n`,
    );
  });

  it('says in one line what is missing', async () => {
    const run = io({ DISCORD_API_BASE: fake.apiBase });
    expect(await cli(['discord', 'register'], run.io)).toBe(1);
    expect(run.out.stderr).toBe('chipin: discord register needs DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID\n');
  });
});
