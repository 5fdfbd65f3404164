/**
 * Issue 16 items 2 and 3 on Discord: a hung REST call is aborted; an intake whose database cannot take the
 * interaction within its budget refuses it (and never runs it); and a deferral that failed moves no money, so the
 * user's retry is the one payment. The real command layer and ledger, the real discord.js gateway client, the fake
 * Discord REST server failing or hanging.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createPostgresDb } from '../../core/db/postgres.js';
import {
  DiscordInteractions,
  FakeDiscordApi,
  SERVER_ERROR,
  UNKNOWN_INTERACTION,
  postInteraction,
  snowflake,
  type DiscordCall,
  type DiscordUser,
} from '../../test/fakes/discord-api.js';
import { FakeDiscordGateway } from '../../test/fakes/discord-gateway.js';
import { captureLogs } from '../../test/fakes/telegram-harness.js';
import { layerFixture } from '../../test/support/layer.js';
import { t } from '../i18n/index.js';
import { createDiscordTransport, type DiscordTransport } from './bot.js';
import { createInteractionIntake } from './intake.js';
import { createInteractionsRoute } from './webhook.js';

const APP_ID = '150000000000000001';
const TOKEN = [Buffer.from(APP_ID).toString('base64url'), 'Gx' + 'f'.repeat(4), 'z'.repeat(27)].join('.');
const GUILD = { guildId: '350000000000000001', channelId: '450000000000000001' };
const interactions = new DiscordInteractions(APP_ID);

const f = layerFixture();

async function withApi<T>(run: (api: FakeDiscordApi) => Promise<T>): Promise<T> {
  const api = new FakeDiscordApi({ token: TOKEN, applicationId: APP_ID });
  await api.listen();
  try {
    return await run(api);
  } finally {
    await api.close();
  }
}

const contentOf = (call: DiscordCall | undefined): string =>
  typeof call?.body?.content === 'string' ? call.body.content : '';

describe('Discord REST calls have a timeout that really aborts them', () => {
  it('a hung DM send is cancelled after DISCORD_REST_TIMEOUT (its connection closed), each retry too', async () => {
    await withApi(async (api) => {
      const transport = createDiscordTransport({
        config: {
          discordBotToken: TOKEN,
          discordPublicKey: interactions.publicKeyHex,
          discordApiBase: api.apiBase,
          discordRestTimeoutMs: 200,
        },
        db: f.database.db,
        log: captureLogs().log,
        layer: f.layer,
      });
      try {
        const release = api.hold('message');
        const failure = await transport.send(snowflake(), { text: 'hello' }).catch((err: unknown) => err);
        expect(failure).toMatchObject({ name: 'AbortError' });
        const sends = api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'));
        // The first try and @discordjs/rest's 3 retries, each given up by the client (its socket closed).
        expect(sends).toHaveLength(4);
        await api.waitFor(() => sends.every((c) => c.abandoned === true), 2_000, 'the held sends abandoned');
        release();
      } finally {
        await transport.stop();
      }
    });
  });
});

describe('the HTTP intake answers within Discord’s 3 s or refuses', () => {
  it('an intake database with no free connection gets a 503 within the budget; the interaction never runs', async () => {
    // One intake connection, held by someone else for 4 s: longer than the store budget (2 s).
    const intakeDb = createPostgresDb({ connectionString: f.database.url, max: 1 });
    const { log } = captureLogs();
    const admitted: string[] = [];
    const intake = createInteractionIntake({ db: intakeDb, log, onAdmitted: (key) => admitted.push(key) });
    const app = express().use(createInteractionsRoute({ publicKey: interactions.publicKeyHex, intake, log }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      let freed = false;
      const busy = intakeDb.transaction((tx) => tx.query('SELECT pg_sleep(4)')).then(() => (freed = true));
      const raw = interactions.command(interactions.user(snowflake(), 'slowdb'), 'faucet', { amount: '5' }, GUILD);
      const res = await postInteraction(url, interactions, raw);
      // Answered while the only connection was still held: the budget refused, it did not wait for the database.
      expect(res.status).toBe(503);
      expect(freed).toBe(false);
      await busy;
      // The store landed after the answer: held, then marked done unrun.
      const row = async () =>
        (
          await f.database.db.query<{ state: string; last_error: string | null }>(
            `SELECT state, last_error FROM inbox WHERE key = $1`,
            [`dc:${raw.id}`],
          )
        ).rows[0];
      const deadline = Date.now() + 5_000;
      while ((await row())?.state !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await row()).toMatchObject({
        state: 'done',
        last_error: expect.stringContaining('not acknowledged') as unknown,
      });
      expect(admitted).toEqual([]);
      // And with the connection free again, the next interaction is stored, answered and admitted.
      const next = interactions.command(interactions.user(snowflake(), 'fastdb'), 'balance', {}, GUILD);
      expect(await postInteraction(url, interactions, next)).toMatchObject({ status: 200, json: { type: 5 } });
      await waitUntil(() => admitted.includes(`dc:${next.id}`));
    } finally {
      server.close();
      await intakeDb.close();
    }
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the interaction to be admitted');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a Discord acknowledgement that failed moves no money (gateway)', () => {
  it('a deferral refused (10062), failing (500s) or hanging runs nothing; the retry pays exactly once', async () => {
    await withApi(async (api) => {
      const gateway = new FakeDiscordGateway(APP_ID);
      api.gatewayUrl = await gateway.listen();
      const transport: DiscordTransport = createDiscordTransport({
        config: { discordBotToken: TOKEN, discordPublicKey: undefined, discordApiBase: api.apiBase },
        db: f.database.db,
        log: captureLogs().log,
        layer: f.layer,
        options: { inbox: { graceMs: 200, sweepEveryMs: 100 } },
      });
      try {
        await transport.start();
        const payer: DiscordUser = interactions.user(snowflake(), 'payer');
        const payee: DiscordUser = interactions.user(snowflake(), 'payee');
        const run = async (raw: { id: string; token: string }) => {
          gateway.dispatch('INTERACTION_CREATE', raw);
          await api.waitFor(() => api.callbacksOf(raw).length > 0, 10_000, 'a deferral');
        };
        const faucet = interactions.command(payer, 'faucet', { amount: '50' }, GUILD);
        await run(faucet);
        await api.waitFor(() => api.messagesOf(faucet.token).length > 0, 10_000, 'the faucet reply');

        const pay = () => interactions.command(payer, 'pay', { user: payee, amount: '5' }, GUILD);
        const refused = pay();
        api.failNext('callback', 1, UNKNOWN_INTERACTION);
        await run(refused);

        const failing = pay();
        api.failNext('callback', 4, SERVER_ERROR); // the first try and @discordjs/rest's 3 retries
        await run(failing);

        const hanging = pay();
        const release = api.hold('callback');
        gateway.dispatch('INTERACTION_CREATE', hanging);
        await api.waitFor(
          () => api.callbacksOf(hanging).some((c) => c.abandoned === true),
          10_000,
          'a deferral given up',
        );
        release();

        // Told it did not go through, where the deferral may have landed; nothing where Discord refused it.
        const notice = t('en', 'discord.notAcknowledged');
        for (const raw of [failing, hanging])
          await api.waitFor(() => contentOf(api.messagesOf(raw.token)[0]) === notice, 10_000, 'the notice');
        expect(api.messagesOf(refused.token)).toEqual([]);

        const retry = pay();
        await run(retry);
        await api.waitFor(() => api.messagesOf(retry.token).length > 0, 10_000, 'the payment reply');
        await new Promise((resolve) => setTimeout(resolve, 500)); // sweeps that would find a held row
        await transport.idle();

        const refs = await f.database.db.query<{ ref: string }>(
          `SELECT ref FROM transfers WHERE ref = ANY($1::text[]) ORDER BY ref`,
          [[refused, failing, hanging, retry].map((raw) => `dc:${raw.id}`)],
        );
        expect(refs.rows.map((r) => r.ref)).toEqual([`dc:${retry.id}`]);
        const rows = await f.database.db.query<{ key: string; state: string; last_error: string | null }>(
          `SELECT key, state, last_error FROM inbox WHERE key = ANY($1::text[])`,
          [[refused, failing, hanging].map((raw) => `dc:${raw.id}`)],
        );
        expect(rows.rows).toHaveLength(3);
        for (const row of rows.rows)
          expect(row).toMatchObject({
            state: 'done',
            last_error: expect.stringContaining('not acknowledged') as unknown,
          });
      } finally {
        await transport.stop();
        await gateway.close();
      }
    });
  });
});
