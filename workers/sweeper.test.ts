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
});
