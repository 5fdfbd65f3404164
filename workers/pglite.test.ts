/** `npm start` without DATABASE_URL runs on embedded PGlite (one connection): the workers must run there too. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import type { Db } from '../core/db/executor.js';
import { migrate } from '../core/db/migrate.js';
import { createPgliteDb } from '../core/db/pglite.js';
import { notify, schedule } from '../core/outbox/index.js';
import {
  dropPrefix,
  fixedDirectory,
  outboxStates,
  plainRenderer,
  recordingLog,
  redisFactory,
  uniquePrefix,
  waitFor,
  type RedisFactory,
} from '../test/support/workers.js';
import { startWorkers, type RunningWorkers, type Sender } from './index.js';

const redisUrl = loadTestEnv().redisUrl;

describe('workers on embedded PGlite', () => {
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
      redis,
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
});
