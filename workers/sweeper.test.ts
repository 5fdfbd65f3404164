/**
 * Redis total loss: a redis-server of this test's own, without persistence,
 * emptied with FLUSHALL while 1,000 notifications wait in it. Postgres has every row; the sweeper
 * rebuilds the jobs and each notification is sent exactly once.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import {
  dbNow,
  fixedDirectory,
  insertNotifications,
  outboxStates,
  plainRenderer,
  recordingLog,
  redisFactory,
  startOwnRedis,
  uniquePrefix,
  waitFor,
  type OwnRedis,
  type RedisFactory,
} from '../test/support/workers.js';
import { startWorkers, type RunningWorkers, type Sender } from './index.js';

describe('the outbox sweeper', () => {
  let database: TestDatabase;
  let server: OwnRedis;
  let redis: RedisFactory;
  let admin: Redis;
  let running: RunningWorkers | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(10);
    server = await startOwnRedis();
    redis = redisFactory(server.url);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await running?.stop();
    admin.disconnect();
    await redis.close();
    await server.stop();
    await database.drop();
  });

  it('rebuilds 1,000 notifications lost with Redis, and each is sent exactly once', async () => {
    const sends = new Map<string, number>();
    let total = 0;
    const sender: Sender = {
      send(chatId) {
        sends.set(chatId, (sends.get(chatId) ?? 0) + 1);
        return Promise.resolve({ messageId: String(++total) });
      },
    };
    const log = recordingLog();
    const metrics = new Registry();
    running = await startWorkers({
      db: database.db,
      redis,
      log,
      handlers: {},
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: { telegram: sender } },
      prefix: uniquePrefix('sweeper'),
      metrics,
      rates: { perChatMs: 1_000, globalPerSecond: 0 },
      relay: { everyMs: 100, sweepEveryMs: 300, graceMs: 500 },
    });

    // Phase 1: 1,000 notifications due in 3 s wait in Redis as one delayed tick (one per due second); Redis is emptied.
    const now = await dbNow(database.db);
    await insertNotifications(
      database.db,
      Array.from({ length: 1_000 }, (_, i) => ({
        personId: 1_000 + i,
        key: `notify:lost:${i}`,
        dueAt: new Date(now + 3_000),
      })),
    );
    await waitFor('every row relayed', async () => {
      const r = await database.db.query(
        `SELECT count(*)::int AS n FROM outbox WHERE key LIKE 'notify:lost:%' AND enqueued_at IS NOT NULL`,
      );
      return Number(r.rows[0]?.n) === 1_000;
    });
    expect(await running.queues.notifications.getJobCountByTypes('delayed')).toBe(1);
    await admin.flushall();
    expect(await running.queues.notifications.getJobCountByTypes('delayed', 'waiting')).toBe(0);

    // Phase 2: 1,000 more due now; Redis is emptied again in the middle of their delivery.
    await insertNotifications(
      database.db,
      Array.from({ length: 1_000 }, (_, i) => ({ personId: 5_000 + i, key: `notify:midway:${i}`, dueAt: new Date() })),
    );
    await waitFor('some delivered', () => total >= 100, 20_000, 5);
    await admin.flushall();
    expect(total).toBeLessThan(1_000); // phase 2 was mid-delivery (phase 1 not due yet)

    await waitFor(
      'every row done',
      async () => (await outboxStates(database.db, 'notify:'))['done'] === 2_000,
      45_000,
      200,
    );
    expect(await outboxStates(database.db, 'notify:')).toEqual({ done: 2_000 });
    // Exactly once: one message per person (each had one notification), one record per row, no extra send.
    expect(sends.size).toBe(2_000);
    expect([...sends.values()].every((n) => n === 1)).toBe(true);
    expect(total).toBe(2_000);
    const records = await database.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS m FROM sent_messages`,
    );
    expect(records.rows[0]).toEqual({ n: 2_000, m: 2_000 });
    // Not before their due time: phase 1 rows were sent after it.
    const early = await database.db.query(
      `SELECT count(*)::int AS n FROM sent_messages s JOIN outbox o ON o.key = s.outbox_key WHERE s.sent_at < o.due_at`,
    );
    expect(early.rows[0]).toEqual({ n: 0 });

    // The reset was noticed: a warning and a counter an alert can key on.
    expect(
      log.entries.some((e) => e.level === 'warn' && e.msg === 'queue state reset: jobs rebuilt from the outbox'),
    ).toBe(true);
    expect(await metrics.metrics()).toMatch(/chipin_outbox_rebuilt_total [1-9]\d*/);
  });

  it('rebuilds at once, not after the grace, when Redis comes back without its data (the marker key is gone)', async () => {
    await running?.stop();
    const log = recordingLog();
    const sent: string[] = [];
    const sender: Sender = {
      send(chatId) {
        sent.push(chatId);
        return Promise.resolve({ messageId: String(sent.length) });
      },
    };
    running = await startWorkers({
      db: database.db,
      redis,
      log,
      handlers: {},
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: { telegram: sender } },
      prefix: uniquePrefix('marker'),
      rates: { perChatMs: 0, globalPerSecond: 0 },
      // The grace alone would leave a lost job alone for a minute.
      relay: { everyMs: 100, sweepEveryMs: 300, graceMs: 60_000 },
    });
    const now = await dbNow(database.db);
    await insertNotifications(database.db, [{ personId: 9_001, key: 'notify:marker:1', dueAt: new Date(now + 4_000) }]);
    await waitFor('relayed', async () => (await running!.queues.notifications.getJobCountByTypes('delayed')) === 1);
    await admin.flushall();
    // waitFor gives up after 20 s, well inside the 60 s grace: only the marker's path can rebuild it in time.
    await waitFor('rebuilt', async () => (await running!.queues.notifications.getJobCountByTypes('delayed')) === 1);
    expect(
      log.entries.some((e) => e.msg === 'Redis lost its data: rebuilding every queued job from the outbox now'),
    ).toBe(true);
    await waitFor('sent once', async () => (await outboxStates(database.db, 'notify:marker:'))['done'] === 1, 15_000);
    expect(sent).toEqual(['chat-9001']);
  });

  it('stops when Redis comes back from a reconnect with a policy that may evict queued jobs', async () => {
    await running?.stop();
    const unsafe: string[] = [];
    const made: Redis[] = [];
    running = await startWorkers({
      db: database.db,
      redis: {
        createConnection: (role) => {
          const connection = redis.createConnection(role);
          made.push(connection);
          return connection;
        },
      },
      log: recordingLog(),
      handlers: {},
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
      prefix: uniquePrefix('policy'),
      onUnsafeRedis: (reason) => unsafe.push(reason),
    });
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      // The queues' connection drops and reconnects (a failover would land it on another server).
      made[0]?.disconnect(true);
      await waitFor('told', () => unsafe.length > 0);
      expect(unsafe[0]).toMatch(/maxmemory-policy allkeys-lru; chipin needs noeviction/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await running.stop();
      running = undefined;
    }
  });
});
