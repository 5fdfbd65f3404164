/**
 * Discord through the real app (`chipin start` as a child process): signed HTTP interactions POSTed to
 * /discord/interactions, replies through the fake Discord REST API's interaction webhook, DMs for notifications,
 * and a Telegram account (fake Bot API) joined to a Discord one with /link.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import { balancesOf } from '../../core/ledger/index.js';
import {
  DiscordInteractions,
  postInteraction,
  snowflake,
  type DiscordCall,
  type FakeDiscordApi,
  type DiscordUser,
} from '../fakes/discord-api.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { inboxDrained, transferCount, waitForSent, type RunningApp } from '../support/app.js';
import { REFUSED_AMOUNTS } from '../support/amounts.js';
import { contentOf, dmTo, discordApp } from '../support/discord.js';
import { lockWallets, type TestDatabase } from '../support/postgres.js';

const GUILD = { guildId: '310000000000000001', channelId: '410000000000000001' };
const EPHEMERAL = 64;

describe('Discord through the real app', () => {
  const world = discordApp('110000000000000001', { CONFIRM_THRESHOLD: '20' });
  const { send } = world;
  let database: TestDatabase;
  let telegram: FakeTelegramApi;
  let discord: FakeDiscordApi;
  let interactions: DiscordInteractions;
  let app: RunningApp;
  let nextUser = 210_000_000_000_000_001n;

  beforeAll(() => {
    ({ database, telegram, discord, interactions, app } = world);
  });

  const newUser = (name: string): DiscordUser => interactions.user(String(nextUser++), name);

  /** Posts a signed interaction; it must be accepted and deferred. */

  /** The first message (edit of @original or follow-up) the app sent for an interaction. */
  async function replyTo(raw: { token: string }): Promise<DiscordCall> {
    await discord.waitFor(() => discord.messagesOf(raw.token).length > 0, 20_000, 'a reply to the interaction');
    return discord.messagesOf(raw.token)[0]!;
  }

  async function funded(name: string, amount: string): Promise<DiscordUser> {
    const user = newUser(name);
    const raw = interactions.command(user, 'faucet', { amount }, { channelId: snowflake() });
    await send(raw);
    expect(contentOf(await replyTo(raw))).toContain(`${amount} USD`);
    return user;
  }

  async function personOf(platform: string, userId: string): Promise<string> {
    const r = await database.db.query<{ p: string }>(
      `SELECT person_id::text AS p FROM identities WHERE platform = $1 AND user_id = $2`,
      [platform, userId],
    );
    return r.rows[0]!.p;
  }

  async function availableOf(platform: string, userId: string): Promise<bigint> {
    const lines = await balancesOf(database.db, `person:${await personOf(platform, userId)}`);
    return lines.find((l) => l.currency === 'USD')?.available ?? 0n;
  }

  describe('the interactions endpoint', () => {
    it('answers a signed PING with PONG and nothing else', async () => {
      const ping = interactions.ping();
      expect(await postInteraction(app.url, interactions, ping)).toMatchObject({ status: 200, json: { type: 1 } });
      const text = JSON.stringify(ping);
      const forged = new DiscordInteractions(interactions.applicationId).sign(text);
      expect((await postInteraction(app.url, interactions, text, forged)).status).toBe(401);
    });

    it('forged signatures, mutated bodies, stale timestamps and missing or malformed headers: 401, no effect', async () => {
      const payer = await funded('Forger', '50.00');
      const victim = newUser('Victim');
      const before = await transferCount(database.db);
      const attempts: Array<[string, Record<string, string>]> = [];
      const raw = () => JSON.stringify(interactions.command(payer, 'pay', { user: victim, amount: '5' }, GUILD));
      const a = raw();
      attempts.push([a, new DiscordInteractions(interactions.applicationId).sign(a)]);
      const b = raw();
      attempts.push([b.replace('"5"', '"9"'), interactions.sign(b)]);
      const c = raw();
      attempts.push([c, interactions.sign(c, String(Math.floor(Date.now() / 1000) - 10 * 60))]);
      const d = raw();
      attempts.push([d, {}]);
      const e = raw();
      attempts.push([e, { ...interactions.sign(e), 'x-signature-ed25519': 'not-hex' }]);
      for (const [body, headers] of attempts) {
        expect((await postInteraction(app.url, interactions, body, headers)).status).toBe(401);
      }
      const ids = attempts.map(([body]) => `dc:${(JSON.parse(body) as { id: string }).id}`);
      const stored = await database.db.query(`SELECT key FROM inbox WHERE key = ANY($1::text[])`, [ids]);
      expect(stored.rowCount).toBe(0);
      expect(await transferCount(database.db)).toBe(before);
      expect(attempts.flatMap(([body]) => discord.webhookCalls((JSON.parse(body) as { token: string }).token))).toEqual(
        [],
      );
    });

    it('a signed body that is not JSON gets 400; an oversized one 413; neither is stored', async () => {
      const before = await database.db.query(`SELECT count(*)::int AS n FROM inbox WHERE platform = 'discord'`);
      expect((await postInteraction(app.url, interactions, '{"type": 2,')).status).toBe(400);
      const huge = JSON.stringify({ type: 2, padding: 'x'.repeat(1_000_000) });
      expect((await postInteraction(app.url, interactions, huge)).status).toBe(413);
      const after = await database.db.query(`SELECT count(*)::int AS n FROM inbox WHERE platform = 'discord'`);
      expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    });

    it('a replayed interaction is acknowledged again and has no second effect', async () => {
      const payer = await funded('Replayer', '50.00');
      const payee = newUser('Payee');
      const raw = interactions.command(payer, 'pay', { user: payee, amount: '5' }, GUILD);
      expect(await send(raw)).toEqual({ type: 5 });
      expect(contentOf(await replyTo(raw))).toContain('5.00 USD');
      await inboxDrained(database.db);
      expect(await send(raw)).toEqual({ type: 5 });
      await inboxDrained(database.db);
      const transfers = await database.db.query(`SELECT count(*)::int AS n FROM transfers WHERE ref = $1`, [
        `dc:${raw.id}`,
      ]);
      expect(transfers.rows[0]?.n).toBe(1);
      expect(discord.messagesOf(raw.token)).toHaveLength(1);
      expect(await availableOf('discord', payer.id)).toBe(45_00n);
    });
  });

  it('/pay from Discord to a Telegram-linked user: one wallet, correct balances on both sides', async () => {
    // Carol has a Telegram wallet with money, and a Discord account with a little of its own.
    const carolTg = telegram.user(5_500_001, 'Carol', { username: 'carol_tg', language_code: 'en' });
    expect(await app.post(telegram.message(carolTg, telegram.privateChat(carolTg), '/faucet 30'))).toBe(200);
    await waitForSent(telegram, carolTg.id, (m) => m.text.includes('30.00 USD'));
    const carolDc = await funded('carol', '2.50');
    expect(await app.post(telegram.message(carolTg, telegram.privateChat(carolTg), '/link'))).toBe(200);
    const [codeMessage] = await waitForSent(telegram, carolTg.id, (m) => /\b[A-HJ-NP-Z2-9]{8}\b/.test(m.text));
    const code = /\b([A-HJ-NP-Z2-9]{8})\b/.exec(codeMessage!.text)![1]!;

    // Redeemed on Discord: the reply is ephemeral, the two wallets become one.
    const link = interactions.command(carolDc, 'link', { code }, GUILD);
    expect(await send(link)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    const linked = await replyTo(link);
    expect(contentOf(linked)).toContain(t('en', 'link.done'));
    expect(linked.method).toBe('PATCH');
    expect(await personOf('discord', carolDc.id)).toBe(await personOf('telegram', String(carolTg.id)));
    expect(await availableOf('telegram', String(carolTg.id))).toBe(32_50n);

    // Dave pays Carol's Discord account; the money lands in the one wallet Telegram shows too.
    const dave = await funded('Dave', '40.00');
    const pay = interactions.command(dave, 'pay', { user: carolDc, amount: '10', note: 'tickets' }, GUILD);
    expect(await send(pay)).toEqual({ type: 5 });
    const paid = await replyTo(pay);
    expect(contentOf(paid)).toContain('10.00 USD');
    expect(paid.body?.allowed_mentions).toEqual({ parse: [] });
    expect(await availableOf('discord', dave.id)).toBe(30_00n);
    expect(await availableOf('discord', carolDc.id)).toBe(42_50n);
    const wallets = await database.db.query(`SELECT count(*)::int AS n FROM accounts WHERE owner = $1`, [
      `person:${await personOf('telegram', String(carolTg.id))}`,
    ]);
    expect(wallets.rows[0]?.n).toBe(1);

    // Carol used Discord last: the "you received money" notice is a Discord DM.
    const dm = await dmTo(discord, carolDc, '10.00 USD');
    expect(dm.authorized).toBe(true);
    expect(dm.body?.allowed_mentions).toEqual({ parse: [] });

    // And Telegram shows the same balance.
    expect(await app.post(telegram.message(carolTg, telegram.privateChat(carolTg), '/balance'))).toBe(200);
    await waitForSent(telegram, carolTg.id, (m) => m.text.includes('42.50 USD'));
  });

  it('a button pressed on another message or by another member is refused privately; a double press pays once', async () => {
    const alice = await funded('Alice', '100.00');
    const bob = newUser('Bob');
    const eve = newUser('Eve');
    const pay = interactions.command(alice, 'pay', { user: bob, amount: '25' }, GUILD);
    await send(pay);
    const card = await replyTo(pay);
    const rows = card.body?.components as Array<{ components: Array<{ custom_id: string }> }>;
    const confirm = rows[0]!.components[0]!.custom_id;
    // The card as Discord stored it: its buttons are bound to it.
    const cardId = (card.response as { id: string }).id;
    const transfersBefore = await transferCount(database.db);

    const elsewhere = interactions.button(alice, confirm, snowflake(), GUILD);
    expect(await send(elsewhere)).toEqual({ type: 6 });
    expect(contentOf(await replyTo(elsewhere))).toBe(t('en', 'action.WrongChat'));

    const hijack = interactions.button(eve, confirm, cardId, GUILD);
    expect(await send(hijack)).toEqual({ type: 6 });
    const refused = await replyTo(hijack);
    expect(refused).toMatchObject({ method: 'POST', body: { flags: EPHEMERAL } });
    expect(contentOf(refused)).toBe(t('en', 'action.NotYours'));
    await inboxDrained(database.db);
    expect(await transferCount(database.db)).toBe(transfersBefore);

    const presses = [1, 2].map(() => interactions.button(alice, confirm, cardId, GUILD));
    await Promise.all(presses.map(send));
    await inboxDrained(database.db);
    expect(await transferCount(database.db)).toBe(transfersBefore + 1);
    expect(await availableOf('discord', alice.id)).toBe(75_00n);
    expect(await availableOf('discord', bob.id)).toBe(25_00n);
    // One press rewrote the card; the other was told it is done already, privately.
    const edits = presses.flatMap((p) => discord.messagesOf(p.token).filter((c) => c.method === 'PATCH'));
    expect(edits).toHaveLength(1);
    const notes = presses.flatMap((p) => discord.messagesOf(p.token).filter((c) => c.method === 'POST'));
    expect(notes.map((c) => [contentOf(c), c.body?.flags])).toEqual([[t('en', 'action.AlreadyUsed'), EPHEMERAL]]);
  });

  it('/request: the payer taps Pay in the channel, the requester hears about it in a DM, and the payer’s DM card loses Pay / Decline', async () => {
    const payer = await funded('Payer', '30.00');
    const requester = await funded('Requester', '1.00');
    const ask = interactions.command(
      requester,
      'request',
      { user: payer, amount: '7.50', note: 'pizza', by: 'in 2h' },
      GUILD,
    );
    expect(await send(ask)).toEqual({ type: 5 });
    const card = await replyTo(ask);
    expect(card.body?.flags).toBeUndefined();
    const [payButton] = (card.body?.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!.components;
    const incoming = await dmTo(discord, payer, 'asks you for 7.50 USD');
    const tap = interactions.button(payer, payButton!.custom_id, (card.response as { id: string }).id, GUILD);
    expect(await send(tap)).toEqual({ type: 6 });
    await discord.waitFor(() => discord.messagesOf(tap.token).some((c) => c.method === 'PATCH'), 20_000, 'the edit');
    expect(await availableOf('discord', payer.id)).toBe(22_50n);
    expect(await availableOf('discord', requester.id)).toBe(8_50n);
    await dmTo(discord, requester, '7.50 USD');
    // The payer's private copy of the card is edited (with the bot's token) to how the request ended, no buttons.
    const channel = discord.dmChannelOf(payer.id)!;
    const edited = `/channels/${channel}/messages/${(incoming.response as { id: string }).id}`;
    const final = t('en', 'request.card.paid', { payer: 'Payer', requester: 'Requester', amount: '7.50 USD' });
    await discord.waitFor(
      () => discord.calls.some((c) => c.method === 'PATCH' && c.path === edited && c.authorized),
      20_000,
      'the payer’s DM card to be edited',
    );
    const edit = discord.calls.find((c) => c.method === 'PATCH' && c.path === edited)!;
    expect(contentOf(edit)).toContain(final);
    expect(edit.body?.components).toEqual([]);
  });

  it('a slow ledger still gets the deferral first; the reply follows when the work is done', async () => {
    const payer = await funded('Slow', '20.00');
    const payee = newUser('Patient');
    const owner = `person:${await personOf('discord', payer.id)}`;
    // Holds the payer's wallet row: the payment waits on it inside the ledger.
    const lock = await lockWallets(database, [owner]);
    try {
      const pay = interactions.command(payer, 'pay', { user: payee, amount: '3' }, GUILD);
      const res = await postInteraction(app.url, interactions, pay);
      expect(res).toMatchObject({ status: 200, json: { type: 5 } });
      // The command is stored and running, its reply not sent: the deferral came before the slow work finished.
      const row = await database.db.query(`SELECT state FROM inbox WHERE key = $1`, [`dc:${pay.id}`]);
      expect(row.rows[0]?.state).toBe('received');
      expect(discord.webhookCalls(pay.token)).toEqual([]);
      await lock.release();
      const reply = await replyTo(pay);
      expect(reply.at).toBeGreaterThanOrEqual(res.receivedAt);
      expect(contentOf(reply)).toContain('3.00 USD');
    } finally {
      await lock.release();
    }
  });

  it('many payments stuck behind a slow ledger at once still leave every acknowledgement on time (A4)', async () => {
    // More stuck payments than the app has database connections: their acknowledgements must not wait for them.
    const payers = await Promise.all(Array.from({ length: 12 }, (_, i) => funded(`Stuck${i}`, '10.00')));
    const payee = newUser('Waiting');
    const owners = await Promise.all(payers.map(async (p) => `person:${await personOf('discord', p.id)}`));
    const before = await transferCount(database.db);
    const lock = await lockWallets(database, owners);
    try {
      // Each in a channel of its own: a channel's commands run one at a time, different channels alongside.
      const pays = payers.map((payer, i) =>
        interactions.command(
          payer,
          'pay',
          { user: payee, amount: '1' },
          { ...GUILD, channelId: `4200000000000000${10 + i}` },
        ),
      );
      const acks = await Promise.all(pays.map((pay) => postInteraction(app.url, interactions, pay)));
      expect(acks.map((res) => res.json)).toEqual(pays.map(() => ({ type: 5 })));
      // Once the payments hold the app's connections, waiting on the locked wallets, someone else's command must
      // still be acknowledged (a starved intake would answer 503 once its connection wait ran out).
      expect(await lock.waiters(6)).toBeGreaterThanOrEqual(6);
      const other = interactions.command(newUser('Bystander'), 'balance', {}, GUILD);
      expect(await postInteraction(app.url, interactions, other)).toMatchObject({ status: 200, json: { type: 5 } });
      expect(await transferCount(database.db)).toBe(before);
      await lock.release();
      for (const pay of pays) expect(contentOf(await replyTo(pay))).toContain('1.00 USD');
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(before + 12);
    } finally {
      await lock.release();
    }
  });

  it('every SPEC §5 bad amount gets its reason, privately, and changes nothing', async () => {
    const refused = REFUSED_AMOUNTS;
    const payer = await funded('Careful', '50.00');
    const payee = newUser('Nobody');
    const before = await transferCount(database.db);
    const commands = refused.map(([amount]) => interactions.command(payer, 'pay', { user: payee, amount }, GUILD));
    await Promise.all(commands.map(send));
    for (const [i, [amount, key]] of refused.entries()) {
      const reply = await replyTo(commands[i]!);
      expect({ amount, text: contentOf(reply), flags: reply.body?.flags }).toEqual({
        amount,
        text: t('en', key),
        flags: EPHEMERAL,
      });
      // The public "thinking…" message went away before the private answer.
      const calls = discord.webhookCalls(commands[i]!.token).map((c) => c.method);
      expect(calls).toEqual(['DELETE', 'POST']);
    }
    await inboxDrained(database.db);
    expect(await transferCount(database.db)).toBe(before);
    expect(await availableOf('discord', payer.id)).toBe(50_00n);
  });

  it('/export answers privately with the history attached as a CSV file', async () => {
    const user = await funded('Exporter', '12.00');
    const raw = interactions.command(user, 'export', {}, GUILD);
    expect(await send(raw)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    const reply = await replyTo(raw);
    expect(reply.method).toBe('PATCH');
    expect(reply.body?.attachments).toEqual([{ id: 0, filename: expect.stringMatching(/\.csv$/) as unknown }]);
    expect(reply.files[0]?.content).toContain('12.00');
  });
});
