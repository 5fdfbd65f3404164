/**
 * A red packet on Discord through the real app: /redpacket as a signed slash command with options, the card posted
 * with its Claim button, presses by two people (one never used the bot) answered with their share (an ephemeral
 * note: Discord has no toast), the sender refused, and the card edited to "all claimed" by the workers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DiscordInteractions, snowflake, type DiscordUser, type FakeDiscordApi } from '../fakes/discord-api.js';

import { contentOf, discordApp } from '../support/discord.js';

const GUILD = { guildId: '310000000000000078', channelId: '410000000000000078' };

describe('a red packet on Discord through the real app', () => {
  const world = discordApp('110000000000000078');
  const { send } = world;
  let discord: FakeDiscordApi;
  let interactions: DiscordInteractions;

  beforeAll(() => {
    ({ discord, interactions } = world);
  });

  async function answered(raw: { token: string }, what: string): Promise<string> {
    await discord.waitFor(() => discord.messagesOf(raw.token).length > 0, 20_000, what);
    return contentOf(discord.messagesOf(raw.token)[0]!);
  }

  it('two people claim with the button; the sender cannot; the card ends all claimed', async () => {
    const ann: DiscordUser = interactions.user('210000000000008001', 'Ann');
    const faucet = interactions.command(ann, 'faucet', { amount: '100' }, { channelId: snowflake() });
    await send(faucet);
    await answered(faucet, 'faucet');

    const sent = interactions.command(ann, 'redpacket', { amount: '10', count: '2', note: 'happy new year' }, GUILD);
    await send(sent);
    await answered(sent, 'the card');
    const card = discord.messagesOf(sent.token)[0]!;
    expect(contentOf(card)).toContain('🧧 Red packet from Ann: 10.00 USD in 2 random shares.');
    const rows = card.body?.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
    const claim = rows.flatMap((r) => r.components)[0];
    expect(claim?.label).toBe('🧧 Claim');
    const cardId = (card.response as { id: string }).id;

    const [ben, chen] = [
      interactions.user('210000000000008002', 'Ben'),
      interactions.user('210000000000008003', 'Chen'),
    ];
    const benPress = interactions.button(ben, claim!.custom_id, cardId, GUILD);
    await send(benPress);
    expect(await answered(benPress, 'Ben’s share')).toMatch(/^🧧 You got \d+\.\d{2} USD from Ann’s red packet!$/);
    const annPress = interactions.button(ann, claim!.custom_id, cardId, GUILD);
    await send(annPress);
    expect(await answered(annPress, 'Ann refused')).toBe('This is your own red packet: it is for the others.');
    const chenPress = interactions.button(chen, claim!.custom_id, cardId, GUILD);
    await send(chenPress);
    expect(await answered(chenPress, 'Chen’s share')).toMatch(/^🧧 You got \d+\.\d{2} USD/);

    await discord.waitFor(
      () =>
        discord.calls.some(
          (c) => c.method === 'PATCH' && c.path.endsWith(`/messages/${cardId}`) && contentOf(c).includes('(2/2)'),
        ),
      20_000,
      'the card edited when all is claimed',
    );
    const claims = await world.database.db.query(
      `SELECT count(*)::int AS n, sum(amount)::bigint AS total FROM transfers WHERE kind = 'redpacket.claim'`,
    );
    expect(claims.rows[0]?.n).toBe(2);
    expect(String(claims.rows[0]?.total)).toBe('1000');
  });
});
