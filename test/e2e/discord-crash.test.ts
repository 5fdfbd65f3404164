/**
 * F11(c): an interaction acknowledged by an http process that dies before the work is done is finished by a bots
 * process through the stored interaction token, exactly once; one whose token has run out is not run at all.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postInteraction, snowflake } from '../fakes/discord-api.js';
import { inboxDrained, startApp, type RunningApp } from '../support/app.js';
import { closeWorld, discordWorld, type DiscordWorld } from '../support/discord.js';

let world: DiscordWorld;
const apps: RunningApp[] = [];

beforeAll(async () => {
  world = await discordWorld('130000000000000001');
});

afterAll(() => closeWorld(world, apps));

const start = async (roles: Array<'http' | 'bots' | 'workers'>): Promise<RunningApp> => {
  const app = await startApp({ databaseUrl: world.database.url, fake: world.telegram, roles, env: world.env });
  apps.push(app);
  return app;
};

it('an acknowledged interaction survives the crash of the process that took it; a stale one is not run', async () => {
  const { database, discord, interactions } = world;
  const http = await start(['http']);
  const user = interactions.user(snowflake(), 'crashy');
  const faucet = interactions.command(user, 'faucet', { amount: '15' }, { channelId: snowflake() });
  expect(await postInteraction(http.url, interactions, faucet)).toMatchObject({
    status: 200,
    json: { type: 5, data: { flags: 64 } },
  });
  await http.kill();
  expect(discord.webhookCalls(faucet.token)).toEqual([]);

  // An interaction stored 20 minutes ago and never processed: its token is dead, its user saw it fail.
  const stale = interactions.command(user, 'faucet', { amount: '99' }, { channelId: snowflake() });
  await database.db.query(
    `INSERT INTO inbox (key, platform, payload, received_at) VALUES ($1, 'discord', $2::jsonb, now() - interval '20 minutes')`,
    [`dc:${stale.id}`, JSON.stringify(stale)],
  );

  await start(['bots']);
  await discord.waitFor(() => discord.messagesOf(faucet.token).length > 0, 30_000, 'the follow-up after restart');
  await inboxDrained(database.db, 30_000);
  const [reply] = discord.messagesOf(faucet.token);
  expect(reply?.method).toBe('PATCH');
  expect(String(reply?.body?.content)).toContain('15.00 USD');
  const transfers = await database.db.query<{ ref: string }>(`SELECT ref FROM transfers WHERE ref = ANY($1::text[])`, [
    [`dc:${faucet.id}`, `dc:${stale.id}`],
  ]);
  expect(transfers.rows.map((r) => r.ref)).toEqual([`dc:${faucet.id}`]);
  expect(discord.webhookCalls(stale.token)).toEqual([]);
  const staleRow = await database.db.query(`SELECT state, last_error FROM inbox WHERE key = $1`, [`dc:${stale.id}`]);
  expect(staleRow.rows[0]).toMatchObject({ state: 'done', last_error: expect.stringContaining('expired') as unknown });
});
