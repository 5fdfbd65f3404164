/**
 * A group fund on Discord through the real app: /fund subcommands as signed interactions, the vote as Yes / No
 * buttons (Discord has no native poll for bots), members' presses counted, the workers pay what passed, the card
 * in the channel is edited with the result, and the payee hears it in a DM.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import { DiscordInteractions, snowflake, type DiscordUser, type FakeDiscordApi } from '../fakes/discord-api.js';
import { inboxDrained } from '../support/app.js';
import { contentOf, discordApp } from '../support/discord.js';

const GUILD = { guildId: '310000000000000077', channelId: '410000000000000077' };

describe('a group fund on Discord through the real app', () => {
  const world = discordApp('110000000000000077');
  const { send } = world;
  let discord: FakeDiscordApi;
  let interactions: DiscordInteractions;
  let nextUser = 210_000_000_000_007_001n;

  beforeAll(() => {
    ({ discord, interactions } = world);
  });

  async function fundCommand(user: DiscordUser, sub: string, options: Record<string, string | DiscordUser>) {
    const raw = interactions.command(user, 'fund', options, GUILD, sub);
    await send(raw);
    await discord.waitFor(() => discord.messagesOf(raw.token).length > 0, 20_000, `/fund ${sub}`);
    return raw;
  }

  async function funded(name: string): Promise<DiscordUser> {
    const user = interactions.user(String(nextUser++), name);
    const raw = interactions.command(user, 'faucet', { amount: '100' }, { channelId: snowflake() });
    await send(raw);
    await discord.waitFor(() => discord.messagesOf(raw.token).length > 0, 20_000, 'faucet');
    return user;
  }

  it('members vote with buttons; what passed is paid once and the card says so', async () => {
    const [ann, ben, chen] = [await funded('Ann'), await funded('Ben'), await funded('Chen')];
    const dan = interactions.user(String(nextUser++), 'Dan');
    const created = await fundCommand(ann, 'new', { fund: 'trip' });
    expect(contentOf(discord.messagesOf(created.token)[0]!)).toContain('Fund “trip” started by Ann');
    for (const who of [ann, ben, chen]) await fundCommand(who, 'add', { fund: 'trip', amount: '50' });

    const spend = await fundCommand(ann, 'spend', { fund: 'trip', amount: '80', user: dan, note: 'tickets' });
    await discord.waitFor(() => discord.messagesOf(spend.token).length >= 2, 20_000, 'the card and the vote');
    const [card, vote] = discord.messagesOf(spend.token);
    expect(contentOf(card!)).toContain('Pay 80.00 USD from “trip” to Dan?');
    const rows = vote!.body?.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
    const [yes, no] = rows.flatMap((r) => r.components);
    expect([yes?.label, no?.label]).toEqual([t('en', 'button.yes'), t('en', 'button.no')]);
    const voteMessage = (vote!.response as { id: string }).id;

    await send(interactions.button(dan, yes!.custom_id, voteMessage, GUILD)); // not a member: refused
    await send(interactions.button(ann, yes!.custom_id, voteMessage, GUILD));
    await send(interactions.button(ben, no!.custom_id, voteMessage, GUILD));
    // Presses are answered without waiting for each other: a change of mind a moment later is a new press.
    await inboxDrained(world.database.db);
    await send(interactions.button(ben, yes!.custom_id, voteMessage, GUILD)); // changed: now yes
    await inboxDrained(world.database.db);

    const cardId = (card!.response as { id: string }).id;
    await discord.waitFor(
      () =>
        discord.calls.some(
          (c) =>
            c.method === 'PATCH' &&
            c.path.endsWith(`/messages/${cardId}`) &&
            contentOf(c).startsWith('✅ Paid 80.00 USD'),
        ),
      20_000,
      'the card edited with the result',
    );
    const paid = await world.database.db.query(`SELECT count(*)::int AS n FROM transfers WHERE kind = 'fund.spend'`);
    expect(paid.rows[0]?.n).toBe(1);
    const channel = () => discord.dmChannelOf(dan.id);
    await discord.waitFor(
      () =>
        channel() !== undefined &&
        discord
          .channelMessages(channel()!)
          .some((c) => contentOf(c).includes('from the fund “trip” is in your wallet')),
      20_000,
      'a DM to Dan',
    );
  });
});
