/**
 * Issue 16, prove (2): a fault proxy (test/chaos/fault-proxy.ts) in front of the fake Telegram Bot API and the fake
 * Discord REST API injects dropped responses, delays beyond the client's timeout, 5xx and 429 with retry_after into
 * the notifications (the payees' DMs) while people pay each other on both platforms through the real
 * `chipin start`. Checked: every payment committed once; every notification delivered exactly once (or dead-lettered
 * with its reason); no request to a rate-limited chat before its retry_after was over; `chipin check --deep`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordInteractions, FakeDiscordApi, postInteraction, type DiscordUser } from '../fakes/discord-api.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  BOT_TOKEN,
  inboxDrained,
  notificationsDrained,
  sentTo,
  startApp,
  startFakeTelegram,
  waitForSent,
  withTextMention,
  type RunningApp,
  type TgUser,
} from '../support/app.js';
import { cleanUp } from '../support/chipin.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { FaultProxy } from './fault-proxy.js';
import { expectInvariants } from './invariants.js';
import { scenarioLine } from './report.js';

const PAIRS = 24;
const RATE = 0.4;
const RETRY_AFTER_S = 2;
const APP_ID = '170000000000000001';
const DISCORD_TOKEN = [Buffer.from(APP_ID).toString('base64url'), 'Gx' + 'p'.repeat(4), 'r'.repeat(27)].join('.');
const GUILD = { guildId: '370000000000000001', channelId: '470000000000000001' };

/** The chat a Bot API call is for. */
const chatOf = (body: Record<string, unknown> | undefined): string => {
  const chat = body?.chat_id;
  return typeof chat === 'number' || typeof chat === 'string' ? String(chat) : '';
};

describe('platform faults', () => {
  let database: TestDatabase;
  let telegram: FakeTelegramApi;
  let discord: FakeDiscordApi;
  let tgProxy: FaultProxy;
  let dcProxy: FaultProxy;
  let app: RunningApp | undefined;
  const interactions = new DiscordInteractions(APP_ID);
  const tgPayees = new Set<string>();
  const dcPayees = new Set<string>();

  beforeAll(async () => {
    database = await createTestDatabase(2);
    telegram = await startFakeTelegram(false);
    discord = new FakeDiscordApi({ token: DISCORD_TOKEN, applicationId: APP_ID });
    await discord.listen();
    const common = { rate: RATE, retryAfterS: RETRY_AFTER_S, faults: ['drop', '429', 'delay', '5xx'] as const };
    tgProxy = new FaultProxy({
      ...common,
      target: telegram.apiRoot,
      platform: 'telegram',
      // The Bot API calls of chipin are aborted after 15 s.
      delayMs: 16_000,
      eligible: (r) => r.path.endsWith('/sendMessage') && tgPayees.has(chatOf(r.body)),
      keyOf: (r) => `chat ${chatOf(r.body)}`,
    });
    dcProxy = new FaultProxy({
      ...common,
      target: new URL(discord.apiBase).origin,
      platform: 'discord',
      delayMs: 3_000,
      eligible: (r) => r.method === 'POST' && /^\/api\/v10\/channels\/\d+\/messages$/.test(r.path),
      keyOf: (r) => `${r.method} ${r.path}`,
    });
    await tgProxy.listen();
    await dcProxy.listen();
    app = await startApp({
      databaseUrl: database.url,
      fake: telegram,
      env: {
        TELEGRAM_API_ROOT: tgProxy.url,
        DISCORD_PUBLIC_KEY: interactions.publicKeyHex,
        DISCORD_BOT_TOKEN: DISCORD_TOKEN,
        DISCORD_APPLICATION_ID: APP_ID,
        DISCORD_API_BASE: `${dcProxy.url}/api`,
        DISCORD_REST_TIMEOUT: '2s',
      },
    });
  });

  afterAll(async () => {
    await app?.kill();
    await cleanUp();
    await tgProxy?.close();
    await dcProxy?.close();
    await telegram?.close();
    await discord?.close();
    await database?.drop();
  });

  it('payments commit once and notifications arrive once while the platforms drop, stall, fail and rate-limit', async () => {
    const running = app!;
    const post = async (update: unknown) => expect(await running.post(update)).toBe(200);
    const send = async (raw: Record<string, unknown>) =>
      expect(await postInteraction(running.url, interactions, raw)).toMatchObject({ status: 200 });

    // Telegram: each payer and payee talks to the bot first (a payee the bot knows is paid, not held).
    const tgPairs: Array<[TgUser, TgUser]> = Array.from({ length: PAIRS }, (_, i) => [
      telegram.user(700_000 + i, `TgPayer${i}`, { language_code: 'en' }),
      telegram.user(800_000 + i, `TgPayee${i}`, { language_code: 'en' }),
    ]);
    await Promise.all(
      tgPairs.flatMap(([payer, payee]) => [
        post(telegram.message(payer, telegram.privateChat(payer), '/faucet 50')),
        post(telegram.message(payee, telegram.privateChat(payee), '/balance')),
      ]),
    );
    for (const [payer, payee] of tgPairs) {
      await waitForSent(telegram, payer.id, (m) => m.text.includes('50.00 USD'));
      await waitForSent(telegram, payee.id, () => true);
    }
    // Discord: the same, through signed interactions.
    const dcPairs: Array<[DiscordUser, DiscordUser]> = Array.from({ length: PAIRS }, (_, i) => [
      interactions.user(String(270_000_000_000_000_000n + BigInt(i)), `dcpayer${i}`),
      interactions.user(String(280_000_000_000_000_000n + BigInt(i)), `dcpayee${i}`),
    ]);
    const warmups = dcPairs.flatMap(([payer, payee]) => [
      interactions.command(payer, 'faucet', { amount: '50' }, GUILD),
      interactions.command(payee, 'balance', {}, GUILD),
    ]);
    await Promise.all(warmups.map(send));
    await discord.waitFor(() => warmups.every((raw) => discord.messagesOf(raw.token).length > 0), 30_000, 'warm-up');
    await inboxDrained(database.db, 30_000);
    for (const [, payee] of tgPairs) tgPayees.add(String(payee.id));
    for (const [, payee] of dcPairs) dcPayees.add(payee.id);

    // The payments: each payee gets one, of an amount of its own.
    const amount = (i: number) => `1.${String(i).padStart(2, '0')}`;
    const tgPays = tgPairs.map(([payer, payee], i) =>
      withTextMention(telegram, payer, telegram.privateChat(payer), 'pay', payee, amount(i)),
    );
    const dcPays = dcPairs.map(([payer, payee], i) =>
      interactions.command(payer, 'pay', { user: payee, amount: amount(i) }, GUILD),
    );
    await Promise.all([...tgPays.map(post), ...dcPays.map(send)]);
    await inboxDrained(database.db, 30_000);
    await notificationsDrained(database.db, 75_000);

    // Every payment committed once.
    const refs = [
      ...tgPays.map((u) => `tg:${BOT_TOKEN.split(':')[0]}:${u.update_id}`),
      ...dcPays.map((raw) => `dc:${raw.id}`),
    ];
    const committed = await database.db.query<{ ref: string; n: string }>(
      `SELECT ref, count(*)::text AS n FROM transfers WHERE ref = ANY($1::text[]) GROUP BY ref`,
      [refs],
    );
    expect(committed.rows.length).toBe(refs.length);
    expect(committed.rows.filter((r) => r.n !== '1')).toEqual([]);

    // Every notification exactly once, or dead-lettered with its reason.
    const dead = await database.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM outbox WHERE kind = 'notify' AND state = 'dead'`,
    );
    const deadWithoutReason = await database.db.query<{ key: string }>(
      `SELECT key FROM outbox WHERE kind = 'notify' AND state = 'dead' AND last_error IS NULL`,
    );
    expect(deadWithoutReason.rows).toEqual([]);
    const deliveries: string[] = [];
    // The Bot API has no idempotency key: a send whose answer was lost after Telegram acted is sent again, so on
    // Telegram a notification arrives once, plus once more for each of its answers the proxy dropped (and never
    // more); on Discord the enforced nonce makes it exactly once.
    let tgRepeats = 0;
    tgPairs.forEach(([, payee], i) => {
      const got = sentTo(telegram, payee.id).filter((m) => m.text.includes(`${amount(i)} USD`)).length;
      const lost = tgProxy.records.filter((r) => r.fault === 'drop' && r.key === `chat ${payee.id}`).length;
      tgRepeats += Math.max(0, got - 1);
      if (got < 1 || got > 1 + lost) deliveries.push(`telegram payee ${i}: ${got} with ${lost} answers lost`);
    });
    dcPairs.forEach(([, payee], i) => {
      const channel = discord.dmChannelOf(payee.id);
      const got =
        channel === undefined
          ? 0
          : discord.messagesMadeIn(channel).filter((m) => m.content.includes(`${amount(i)} USD`)).length;
      if (got !== 1) deliveries.push(`discord payee ${i}: ${got}`);
    });
    expect({ deliveries, dead: Number(dead.rows[0]?.n) }).toEqual({ deliveries: [], dead: 0 });

    // retry_after honoured.
    expect(tgProxy.retryAfterViolations()).toEqual([]);
    expect(dcProxy.retryAfterViolations()).toEqual([]);

    const invariants = await expectInvariants(database.url);
    const describe = (p: FaultProxy) =>
      Object.entries(p.counts())
        .map(([fault, n]) => `${n} ${fault}`)
        .join(', ');
    scenarioLine({
      name: 'platform-faults',
      load: `${PAIRS} Telegram and ${PAIRS} Discord payments at once (after ${4 * PAIRS} warm-up commands)`,
      faults: `${RATE * 100}% of notification sends — Telegram: ${describe(tgProxy)}; Discord: ${describe(dcProxy)}; retry_after ${RETRY_AFTER_S} s`,
      invariants: [
        'each payment once',
        `each notification once (Discord, nonce) / once plus one per lost answer (Telegram: ${tgRepeats} repeats)`,
        'retry_after honoured',
        ...invariants,
      ],
    });
  });
});
