/** Live messages on Discord, against the fake Discord REST API: posted once and bound, then edited with the bot token. */
import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordEditor } from '../../app.js';
import { bindLive, readLive, touchLive } from '../../core/live/index.js';
import { DiscordInteractions, FakeDiscordApi, snowflake } from '../../test/fakes/discord-api.js';
import { captureLogs } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { MessageGone } from '../../workers/index.js';
import { createDiscordTransport, type DiscordTransport } from './bot.js';
import { createInteractionEffects } from './effects.js';

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

const view = { template: { key: 'roster' }, locale: 'en' as const, timeZone: 'UTC' };

describe('live messages on Discord', () => {
  it('are posted as one public message (cut to 2000 characters), bound to their row, then edited with the bot token', async () => {
    const ref = `collection:dc:${Date.now()}`;
    const { version } = await touchLive(database.db, ref, view);
    const channelId = snowflake();
    const raw = interactions.command(
      interactions.user(snowflake(), 'ann'),
      'collect',
      {},
      { guildId: snowflake(), channelId },
    );
    const effects = createInteractionEffects({
      rest: new REST({ api: fake.apiBase, version: '10' }),
      log: captureLogs().log,
      bindLive: async (liveRef, shown, chatId, messageId) => {
        await bindLive(database.db, { ref: liveRef, platform: 'discord', chatId, messageId, version: BigInt(shown) });
      },
    });
    const problems = await effects.perform(
      { ref: { id: raw.id, applicationId: APP_ID, token: raw.token }, kind: 'command', ephemeral: false },
      [{ type: 'live', ref, version: String(version), message: { text: 'y'.repeat(2_500) } }],
    );
    expect(problems).toEqual([]);
    const posted = fake.messagesOf(raw.token);
    expect(posted).toHaveLength(1); // one message, never split: its id is the one edits address
    expect(String(posted[0]?.body?.content)).toHaveLength(2_000);
    const live = await readLive(database.db, ref);
    expect(live?.place).toEqual({
      platform: 'discord',
      chatId: channelId,
      messageId: (posted[0]?.response as { id: string }).id,
    });

    const editor = discordEditor(transport);
    await editor.edit(channelId, live!.place!.messageId, {
      text: 'Roster: 3 paid',
      buttons: [[{ label: 'Pay', actionId: 'act:1' }]],
    });
    const patch = fake.calls.filter((c) => c.method === 'PATCH' && c.path.startsWith('/channels/'));
    expect(patch.map((c) => [c.path, c.authorized, c.body?.content])).toEqual([
      [`/channels/${channelId}/messages/${live!.place!.messageId}`, true, 'Roster: 3 paid'],
    ]);
    expect(patch[0]?.body?.components).toHaveLength(1);
  });

  it('an edit of a message that is gone ends with MessageGone (not retried)', async () => {
    await expect(discordEditor(transport).edit(snowflake(), snowflake(), { text: 'x' })).rejects.toBeInstanceOf(
      MessageGone,
    );
  });
});
