/**
 * What the Discord end-to-end tests run against: a fresh database, the fake Bot API (the app always has a
 * Telegram bot too), the fake Discord REST API and a signing key pair; the environment that points the app at
 * them; and the teardown that ends with the audit (the ledger and the system invariants, test/support/audit.ts).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { expectSound } from './audit.js';
import {
  DiscordInteractions,
  FakeDiscordApi,
  postInteraction,
  type DiscordCall,
  type DiscordUser,
} from '../fakes/discord-api.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { settled, startApp, startFakeTelegram, type RunningApp } from './app.js';
import { cleanUp } from './chipin.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface DiscordWorld {
  database: TestDatabase;
  telegram: FakeTelegramApi;
  discord: FakeDiscordApi;
  interactions: DiscordInteractions;
  /** DISCORD_* for the app (plus the HTTP interactions key). */
  env: Record<string, string>;
}

export async function discordWorld(applicationId: string): Promise<DiscordWorld> {
  // Shaped like a bot token, built at run time so that no literal looks like a real one.
  const token = [Buffer.from(applicationId).toString('base64url'), 'Gx' + 'k'.repeat(4), 'm'.repeat(27)].join('.');
  const database = await createTestDatabase(2);
  const telegram = await startFakeTelegram(false);
  const discord = new FakeDiscordApi({ token, applicationId });
  await discord.listen();
  const interactions = new DiscordInteractions(applicationId);
  const env = {
    DISCORD_PUBLIC_KEY: interactions.publicKeyHex,
    DISCORD_BOT_TOKEN: token,
    DISCORD_APPLICATION_ID: applicationId,
    DISCORD_API_BASE: discord.apiBase,
  };
  return { database, telegram, discord, interactions, env };
}

/** Kills the apps, closes the fakes, checks the invariants (test/support/audit.ts) and drops the database. */
export async function closeWorld(world: DiscordWorld | undefined, apps: readonly RunningApp[]): Promise<void> {
  if (world && apps.length > 0) await settled(world.database.db); // the apps finish what the tests started
  for (const app of apps) await app.kill();
  await cleanUp();
  if (!world) return;
  await world.telegram.close();
  await world.discord.close();
  await expectSound(world.database.db);
  await world.database.drop();
}

/** The text of a message the app sent (its `content`; empty when it has none). */
export const contentOf = (call: DiscordCall): string =>
  typeof call.body?.content === 'string' ? call.body.content : '';

/** Waits for a DM to `user` containing `text`. */
export async function dmTo(discord: FakeDiscordApi, user: DiscordUser, text: string): Promise<DiscordCall> {
  const find = () => {
    const channel = discord.dmChannelOf(user.id);
    return channel === undefined
      ? undefined
      : discord.channelMessages(channel).find((c) => contentOf(c).includes(text));
  };
  await discord.waitFor(() => find() !== undefined, 20_000, `a DM to ${user.username}: ${text}`);
  return find()!;
}

/** One Discord e2e file's world with `chipin start` on it (DISCORD_* plus `env`), and its signed interactions. */
export interface DiscordApp {
  readonly world: DiscordWorld;
  readonly database: TestDatabase;
  readonly telegram: FakeTelegramApi;
  readonly discord: FakeDiscordApi;
  readonly interactions: DiscordInteractions;
  readonly app: RunningApp;
  /** POSTs a signed interaction, which must be accepted (200); resolves with the initial response. */
  readonly send: (raw: Record<string, unknown>) => Promise<unknown>;
}

/**
 * Registers the file's beforeAll / afterAll (call it inside `describe`): the world and the app are ready in the
 * tests and in later beforeAll hooks; at the end the app is killed and the world closed (the audit must be clean).
 */
export function discordApp(applicationId: string, env: Record<string, string> = {}): DiscordApp {
  let ready: { world: DiscordWorld; app: RunningApp } | undefined;
  let world: DiscordWorld | undefined;
  let app: RunningApp | undefined;
  const get = () => {
    if (!ready) throw new Error('the Discord e2e world is used before its beforeAll ran');
    return ready;
  };
  beforeAll(async () => {
    world = await discordWorld(applicationId);
    app = await startApp({ databaseUrl: world.database.url, fake: world.telegram, env: { ...world.env, ...env } });
    ready = { world, app };
  });
  afterAll(() => closeWorld(world, app ? [app] : []));
  return {
    get world() {
      return get().world;
    },
    get database() {
      return get().world.database;
    },
    get telegram() {
      return get().world.telegram;
    },
    get discord() {
      return get().world.discord;
    },
    get interactions() {
      return get().world.interactions;
    },
    get app() {
      return get().app;
    },
    send: async (raw) => {
      const res = await postInteraction(get().app.url, get().world.interactions, raw);
      expect(res.status).toBe(200);
      return res.json;
    },
  };
}
