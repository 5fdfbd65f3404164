/**
 * `npm start` without DATABASE_URL runs on embedded PGlite (one connection): the workers must run there too, with
 * Redis (BullMQ) and without it (the in-process queues, the first run on a laptop with nothing else installed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import type { Db, Tx } from '../core/db/executor.js';
import { migrate } from '../core/db/migrate.js';
import { createPgliteDb } from '../core/db/pglite.js';
import { notify, schedule } from '../core/outbox/index.js';
import {
  DRIVERS,
  dbNow,
  dropPrefix,
  fixedDirectory,
  outboxStates,
  plainRenderer,
  recordingLog,
  redisFactory,
  redisFor,
  uniquePrefix,
  waitFor,
  type RedisFactory,
} from '../test/support/workers.js';
import { startWorkers, type RunningWorkers, type Sender } from './index.js';

const redisUrl = loadTestEnv().redisUrl;

describe.each(DRIVERS)('workers on embedded PGlite (%s)', (driver) => {
  let dir: string;
  let db: Db;
  let redis: RedisFactory;
  let running: RunningWorkers | undefined;
  const prefix = uniquePrefix('pglite');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chipin-pglite-workers-'));
    db = await createPgliteDb(dir);
    await migrate(db);
    await db.query(`CREATE TABLE effects (key TEXT NOT NULL)`);
    redis = redisFactory(redisUrl);
  });
  afterAll(async () => {
    await running?.stop();
    await redis.close();
    await dropPrefix(redisUrl, prefix);
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a timed job and a digest of notifications run end to end, exactly once', async () => {
    const sent: string[] = [];
    const sender: Sender = {
      send(chatId, message) {
        sent.push(`${chatId}: ${message.text}`);
        return Promise.resolve({ messageId: String(sent.length) });
      },
    };
    running = await startWorkers({
      db,
      redis: redisFor(driver, redis),
      log: recordingLog(),
      handlers: {
        'test.effect': async (tx, _payload, job) => {
          await tx.query(`INSERT INTO effects (key) VALUES ($1)`, [job.key]);
        },
      },
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: { telegram: sender } },
      prefix,
      relay: { everyMs: 100, sweepEveryMs: 60_000 },
    });
    await db.transaction(async (tx) => {
      await schedule(tx, { key: 'test.effect:1:1', kind: 'test.effect', dueAt: new Date(), payload: {} });
      await notify(tx, { key: 'notify:pg:1', personId: 5n, template: { key: 'a' } });
      await notify(tx, { key: 'notify:pg:2', personId: 5n, template: { key: 'b' } });
    });
    await waitFor('every row done', async () => (await outboxStates(db))['done'] === 3);
    expect((await db.query(`SELECT key FROM effects`)).rows).toEqual([{ key: 'test.effect:1:1' }]);
    expect(sent).toEqual(['chat-5: [en] a {}\n\n[en] b {}']);
    expect((await db.query(`SELECT count(*)::int AS n FROM sent_messages`)).rows).toEqual([{ n: 2 }]);
  });

  it('a job relayed before a stop is delivered after the next start, once', async () => {
    await running?.stop();
    const handlers = {
      'test.effect': async (tx: Tx, _payload: unknown, job: { key: string }) => {
        await tx.query(`INSERT INTO effects (key) VALUES ($1)`, [job.key]);
      },
    };
    const options = {
      db,
      redis: redisFor(driver, redis),
      log: recordingLog(),
      handlers,
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
      prefix,
      relay: { everyMs: 100, sweepEveryMs: 60_000 },
    };
    running = await startWorkers(options);
    const key = 'test.effect:2:1';
    await schedule(db, { key, kind: 'test.effect', dueAt: new Date((await dbNow(db)) + 1_500), payload: {} });
    await waitFor(
      'the row relayed',
      async () =>
        (await db.query(`SELECT 1 FROM outbox WHERE key = $1 AND enqueued_at IS NOT NULL`, [key])).rows.length > 0,
    );
    // Stopped before it is due: on Redis its job waits there; in-process it is gone with the process.
    await running.stop();
    expect((await db.query(`SELECT key FROM effects WHERE key = $1`, [key])).rows).toEqual([]);

    running = await startWorkers(options);
    await waitFor('the row done', async () => (await outboxStates(db, 'test.effect:2:'))['done'] === 1);
    expect((await db.query(`SELECT key FROM effects WHERE key = $1`, [key])).rows).toEqual([{ key }]);
  });
});
