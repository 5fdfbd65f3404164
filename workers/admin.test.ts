/** /admin/queues: Bull Board behind Basic auth with ADMIN_TOKEN, 404 without it (SPEC §4); dead letters as JSON. */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer, type RunningHttpServer } from '../bots/http.js';
import { loadTestEnv } from '../config/env.js';
import { silentLog } from '../core/log.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { dropPrefix, redisFactory, uniquePrefix, type RedisFactory } from '../test/support/workers.js';
import { adminQueuesRoute } from './admin.js';
import { closeQueues, createQueues, jobOptions, type BullQueues } from './queues.js';

const redisUrl = loadTestEnv().redisUrl;

describe('/admin/queues', () => {
  let database: TestDatabase;
  let redis: RedisFactory;
  let queues: BullQueues;
  const prefix = uniquePrefix('admin');
  const servers: RunningHttpServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(2);
    redis = redisFactory(redisUrl);
    queues = createQueues(redis.createConnection('producer'), prefix);
    await queues.expiry.add(
      'claim.expire',
      { outboxId: '1', key: 'claim.expire:1:1' },
      jobOptions('claim.expire:1:1', 60_000, { attempts: 1, backoffMs: 1 }),
    );
    await database.db.query(
      `INSERT INTO outbox (key, kind, due_at, state, attempts, last_error, done_at) VALUES ('request.expire:9:1', 'request.expire', now(), 'dead', 8, 'Error: boom', now())`,
    );
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await closeQueues(queues);
    await redis.close();
    await dropPrefix(redisUrl, prefix);
    await database.drop();
  });

  async function serve(adminToken: string | undefined): Promise<string> {
    const app = createHttpApp({
      log: silentLog,
      metrics: new Registry(),
      readiness: {},
      routes: [adminQueuesRoute({ adminToken, queues, board: queues, db: database.db })],
    });
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log: silentLog });
    servers.push(server);
    return `http://127.0.0.1:${server.port}/admin/queues`;
  }

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('is not there when ADMIN_TOKEN is unset', async () => {
    expect((await fetch(await serve(undefined))).status).toBe(404);
  });

  it('asks for the token, refuses a wrong one, and serves Bull Board with it', async () => {
    const url = await serve('s3cret-token');
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await fetch(url, { headers: { authorization: basic('admin', 's3cret-tokeN') } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(401);
    // Every route under it is guarded, Bull Board's own API included.
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    expect((await fetch(`${url}/api/dead-letters`)).status).toBe(401);

    const auth = { authorization: basic('anyone', 's3cret-token') };
    const page = await fetch(url, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);

    // Bull Board's API sees every queue, the delayed expiry job included.
    const api = await fetch(`${url}/api/queues`, { headers: auth });
    expect(api.status).toBe(200);
    const board = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(board.queues.map((q) => q.name).sort()).toEqual(
      ['notifications', 'expiry', 'reminders', 'recurring', 'settlement', 'live'].sort(),
    );
    expect(board.queues.find((q) => q.name === 'expiry')?.counts).toMatchObject({ delayed: 1 });
  });

  it('lists the dead letters (kept in Postgres) and the job counts as JSON', async () => {
    const url = await serve('s3cret-token');
    const ok = await fetch(`${url}/api/dead-letters`, { headers: { authorization: basic('anyone', 's3cret-token') } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as {
      queues: Record<string, Record<string, number>>;
      deadLetters: Array<Record<string, unknown>>;
    };
    expect(body.queues.expiry).toMatchObject({ delayed: 1, failed: 0 });
    expect(Object.keys(body.queues)).toEqual([
      'notifications',
      'expiry',
      'reminders',
      'recurring',
      'settlement',
      'live',
    ]);
    expect(body.deadLetters).toMatchObject([
      { key: 'request.expire:9:1', kind: 'request.expire', attempts: 8, lastError: 'Error: boom' },
    ]);
  });
});
