/**
 * IOUs on Discord through the real app: `/iou lend` as a signed interaction, the borrower's Confirm in a DM (a
 * button only they can press) moves the money, and `/settle` in the channel plans the one payment that clears both
 * friends' IOUs; the payer approves it with a tap and the card says it is settled.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { balancesOf } from '../../core/ledger/index.js';
import {
  DiscordInteractions,
  snowflake,
  type DiscordCall,
  type DiscordUser,
  type FakeDiscordApi,
} from '../fakes/discord-api.js';
import { inboxDrained } from '../support/app.js';
import { contentOf, dmTo, discordApp } from '../support/discord.js';

const GUILD = { guildId: '310000000000000091', channelId: '410000000000000091' };

describe('IOUs on Discord through the real app', () => {
  const world = discordApp('110000000000000091');
  const { send } = world;
  let discord: FakeDiscordApi;
  let interactions: DiscordInteractions;
  let nextUser = 210_000_000_000_009_001n;

  beforeAll(() => {
    ({ discord, interactions } = world);
  });

  const buttonsOf = (call: DiscordCall) =>
    (
      (call.body?.components as Array<{ components: Array<{ custom_id: string; label: string }> }> | undefined) ?? []
    ).flatMap((r) => r.components);

  async function reply(raw: { token: string }, what: string): Promise<DiscordCall> {
    await discord.waitFor(() => discord.messagesOf(raw.token).length > 0, 20_000, what);
    return discord.messagesOf(raw.token)[0]!;
  }

  async function available(user: DiscordUser): Promise<bigint> {
    const r = await world.database.db.query<{ p: string }>(
      `SELECT person_id::text AS p FROM identities WHERE platform = 'discord' AND user_id = $1`,
      [user.id],
    );
    const lines = await balancesOf(world.database.db, `person:${r.rows[0]!.p}`);
    return lines.find((l) => l.currency === 'USD')?.available ?? 0n;
  }

  async function funded(name: string): Promise<DiscordUser> {
    const user = interactions.user(String(nextUser++), name);
    const raw = interactions.command(user, 'faucet', { amount: '100' }, { channelId: snowflake() });
    await send(raw);
    await reply(raw, 'faucet');
    return user;
  }

  /** `lender` offers in the channel; `borrower` taps Confirm in the DM it gets. */
  async function lendAndConfirm(lender: DiscordUser, borrower: DiscordUser, amount: string, note: string) {
    const offer = interactions.command(
      lender,
      'iou',
      { user: borrower, amount, due: 'in 2 weeks', note },
      GUILD,
      'lend',
    );
    await send(offer);
    const card = await reply(offer, '/iou lend');
    expect(contentOf(card)).toContain(`lends ${borrower.username} ${amount}.00 USD, to repay by`);
    const dm = await dmTo(discord, borrower, `${lender.username} offers to lend you ${amount}.00 USD`);
    const confirm = buttonsOf(dm).find((b) => b.label === 'Confirm')!;
    const where = { channelId: discord.dmChannelOf(borrower.id)! };
    const dmId = (dm.response as { id: string }).id;
    // Only the borrower's tap counts: the lender pressing it is refused.
    const wrong = interactions.button(lender, confirm.custom_id, dmId, where);
    await send(wrong);
    await discord.waitFor(() => discord.messagesOf(wrong.token).length > 0, 20_000, 'the refusal');
    expect(contentOf(discord.messagesOf(wrong.token)[0]!)).toBe('This button is for someone else.');
    const tap = interactions.button(borrower, confirm.custom_id, dmId, where);
    await send(tap);
    await dmTo(discord, lender, `${borrower.username} confirmed the IOU: ${amount}.00 USD`);
    await inboxDrained(world.database.db);
  }

  it('/iou lend is confirmed in a DM, and /settle clears both IOUs with one approved payment', async () => {
    const ann = await funded('ann_dc');
    const ben = await funded('ben_dc');
    await lendAndConfirm(ann, ben, '30', 'concert');
    expect(await available(ann)).toBe(70_00n);
    expect(await available(ben)).toBe(130_00n);
    await lendAndConfirm(ben, ann, '10', 'lunch');
    expect(await available(ben)).toBe(120_00n);

    const settle = interactions.command(ann, 'settle', {}, GUILD);
    await send(settle);
    const card = await reply(settle, '/settle');
    expect(contentOf(card)).toContain('🤝 Settle up: 2 IOUs between people here are cleared by these payments:');
    expect(contentOf(card)).toContain('• ben_dc → ann_dc: 20.00 USD (concert)');
    const [approve] = buttonsOf(card);
    const cardId = (card.response as { id: string }).id;
    const tap = interactions.button(ben, approve!.custom_id, cardId, GUILD);
    await send(tap);
    await discord.waitFor(
      () => discord.messagesOf(tap.token).some((c) => contentOf(c).includes('✅ Settled up: 2 IOUs cleared')),
      20_000,
      'the card saying it is settled',
    );
    // Ann: 100 − 30 lent + 10 borrowed + 20 settled; Ben: 100 + 30 − 10 − 20.
    expect(await available(ann)).toBe(100_00n);
    expect(await available(ben)).toBe(100_00n);
    const open = await world.database.db.query(`SELECT count(*)::int AS n FROM ious WHERE state = 'open'`);
    expect(open.rows[0]?.n).toBe(0);
  });
});
