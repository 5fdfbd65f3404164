/**
 * Discord's invalid-request limit, end to end below the app: the real Discord transport (@discordjs/rest) against
 * the fake Discord REST API, the notifications worker on real Postgres, and the breaker's count: in Redis with
 * BullMQ, in memory with the in-process queues (no Redis).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discordSender } from '../../app.js';
import { createDiscordTransport, type DiscordTransport } from '../../bots/discord/index.js';
import { loadTestEnv } from '../../config/env.js';
import { FakeDiscordApi, snowflake } from '../../test/fakes/discord-api.js';
import { captureLogs } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import {
  DRIVERS,
  dbNow,
  dropPrefix,
  fixedDirectory,
  insertNotifications,
  plainRenderer,
  recordingLog,
  redisFactory,
  redisFor,
  uniquePrefix,
  waitFor,
  type DriverName,
  type RedisFactory,
} from '../../test/support/workers.js';
import { MessageGone, startWorkers, type RunningWorkers } from '../index.js';
import { createDiscordGuard, type DiscordGuardOptions } from './discord.js';

const redisUrl = loadTestEnv().redisUrl;
const APP_ID = '120000000000000016';
const TOKEN = ['MTIwMDAwMDAwMDAwMDAwMDE2', 'Gx' + 'q'.repeat(4), 'w'.repeat(27)].join('.');

let database: TestDatabase;
let fake: FakeDiscordApi;
let redis: RedisFactory;
const prefixes: string[] = [];
let running: { workers: RunningWorkers; transport: DiscordTransport } | undefined;
/** The delivery of the describe block running (BullMQ on Redis, or in-process). */
let driver: DriverName = 'bullmq';

beforeAll(async () => {
  database = await createTestDatabase(6);
  fake = new FakeDiscordApi({ token: TOKEN, applicationId: APP_ID });
  await fake.listen();
  redis = redisFactory(redisUrl);
});

afterEach(async () => {
  await running?.workers.stop();
  await running?.transport.stop();
  running = undefined;
});

afterAll(async () => {
  await redis.close();
  for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
  await fake.close();
  await database.drop();
});

/** Discord user ids by person id: every notification of person N goes to `users.get(N)` as a DM. */
const users = new Map<bigint, string>();
const userOf = (personId: number): string => {
  const known = users.get(BigInt(personId));
  if (known) return known;
  const id = snowflake();
  users.set(BigInt(personId), id);
  return id;
};

async function start(guardOptions: DiscordGuardOptions) {
  const prefix = uniquePrefix('dguard');
  prefixes.push(prefix);
  const log = recordingLog();
  const store = redisFor(driver, redis)?.createConnection('producer') ?? null;
  const guard = createDiscordGuard(store, prefix, guardOptions, log);
  const transport = createDiscordTransport({
    config: { discordBotToken: TOKEN, discordPublicKey: undefined, discordApiBase: fake.apiBase },
    db: database.db,
    log: captureLogs().log,
    layer: { handle: () => Promise.resolve({ effects: [] }) },
    guard,
  });
  const workers = await startWorkers({
    db: database.db,
    redis: redisFor(driver, redis),
    log,
    handlers: {},
    notifier: {
      directory: fixedDirectory((id) => ({ platform: 'discord', chatId: userOf(Number(id)) })),
      renderer: plainRenderer,
      senders: { discord: discordSender(transport) },
    },
    prefix,
    relay: { everyMs: 100, sweepEveryMs: 60_000 },
    rates: { perChatMs: 0, globalPerSecond: 25 },
  });
  running = { workers, transport };
  return { log };
}

const rows = async (keyPrefix: string) =>
  (
    await database.db.query<{ key: string; state: string; last_error: string | null; done_at: Date | null }>(
      `SELECT key, state, last_error, done_at FROM outbox WHERE key LIKE $1 ORDER BY key`,
      [`${keyPrefix}%`],
    )
  ).rows;
const allDone = (keyPrefix: string) => async () => (await rows(keyPrefix)).every((r) => r.state !== 'pending');

/** Every call the fake got for a DM to `userId`: opening the channel and posting in it. */
const callsFor = (userId: string) => {
  const channel = fake.dmChannelOf(userId);
  return fake.calls.filter(
    (c) =>
      (c.path === '/users/@me/channels' && c.body?.recipient_id === userId) ||
      (channel !== undefined && c.path === `/channels/${channel}/messages`),
  );
};

describe.each(DRIVERS)('the Discord invalid-request guard (%s)', (name) => {
  beforeAll(() => {
    driver = name;
    users.clear(); // fresh Discord users: the fake keeps the calls of the block before
  });

  it('a user whose DM answered 403 is not called again: the notification is undeliverable, not retried', async () => {
    await start({ threshold: 0, windowMs: 600_000, forbiddenTtlMs: 60_000 });
    const blocked = userOf(1);
    fake.block(blocked);
    const now = await dbNow(database.db);
    const k = `notify:forbidden:${now}:`;
    await insertNotifications(database.db, [{ personId: 1, key: `${k}a`, dueAt: new Date(now) }]);
    await waitFor('the first notification', allDone(k));
    expect(callsFor(blocked).map((c) => c.status)).toEqual([200, 403]);

    await insertNotifications(database.db, [{ personId: 1, key: `${k}b`, dueAt: new Date(now) }]);
    await waitFor('the second notification', allDone(k));
    expect(await rows(k)).toMatchObject([
      { key: `${k}a`, state: 'done', last_error: 'undeliverable: the chat refuses messages' },
      { key: `${k}b`, state: 'done', last_error: 'undeliverable: the chat refuses messages' },
    ]);
    // Remembered: no second call at all, neither to open the DM nor to post in it.
    expect(callsFor(blocked)).toHaveLength(2);
  });

  it('a channel that answered 403 is not called again: its live message posts and edits end (MessageGone)', async () => {
    await start({ threshold: 0, windowMs: 600_000, forbiddenTtlMs: 60_000 });
    const transport = running!.transport;
    const channel = snowflake();
    fake.forbidChannel(channel);
    const inChannel = () => fake.calls.filter((c) => c.path.startsWith(`/channels/${channel}/`));
    await expect(transport.post(channel, { text: 'tally' })).rejects.toMatchObject({ status: 403 });
    await expect(transport.post(channel, { text: 'tally' })).rejects.toBeInstanceOf(MessageGone);
    await expect(transport.edit(channel, snowflake(), { text: 'tally' })).rejects.toBeInstanceOf(MessageGone);
    expect(inChannel()).toHaveLength(1);
  });

  it('when the invalid count crosses the threshold, notifications pause and resume once the window cools', async () => {
    const windowMs = 3_000;
    const { log } = await start({ threshold: 3, windowMs, forbiddenTtlMs: 60_000 });
    for (const personId of [11, 12, 13]) fake.block(userOf(personId));
    const now = await dbNow(database.db);
    const k = `notify:breaker:${now}:`;
    await insertNotifications(
      database.db,
      [11, 12, 13].map((personId) => ({ personId, key: `${k}bad${personId}`, dueAt: new Date(now) })),
    );
    await waitFor('the three 403s', allDone(k));
    const lastInvalid = Math.max(...fake.calls.filter((c) => c.status === 403).map((c) => c.at));

    const good = userOf(14);
    await insertNotifications(database.db, [{ personId: 14, key: `${k}good`, dueAt: new Date(now) }]);
    await waitFor('the breaker to open', () =>
      log.entries.some((e) => e.msg === 'discord invalid-request breaker open: notifications paused'),
    );
    expect(callsFor(good)).toEqual([]);
    await waitFor('the paused notification', allDone(k), 15_000);
    const sent = callsFor(good).find((c) => c.path.startsWith('/channels/'));
    expect(sent?.status).toBe(200);
    // Not before the three 403s left the window (counted in tenths of it).
    expect((sent?.at ?? 0) - lastInvalid).toBeGreaterThanOrEqual(windowMs * 0.9 - 50);
    const warnings = log.entries.filter((e) => e.level === 'warn' && e.msg.startsWith('discord invalid-request'));
    expect(warnings.map((e) => [e.msg, e.obj.threshold])).toEqual([
      ['discord invalid-request breaker open: notifications paused', 3],
      ['discord invalid-request breaker closed: sends resume', 3],
    ]);
  });
});
