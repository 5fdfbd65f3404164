/** Finding Redis per SPEC §2 and refusing one that may evict queue keys. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import type { Log } from '../core/log.js';
import { cleanUp, freePort, nonEmptyLines, runChipin, tempDir } from '../test/support/chipin.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import {
  NO_REDIS_MESSAGE,
  RedisUnavailableError,
  resolveRedis,
  resolveRedisOrNone,
  type RedisHandle,
} from './redis.js';

interface Entry {
  level: keyof Log;
  obj: object;
  msg: string;
}

function recordingLog(): Log & { entries: Entry[] } {
  const entries: Entry[] = [];
  const at = (level: keyof Log) => (obj: object, msg: string) => void entries.push({ level, obj, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** A redis-server of this file's own on a free port (never reconfigure the shared one on 6379). */
async function startRedisServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    client.disconnect();
    if (up) return { url, child };
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

describe('resolveRedis', () => {
  const servers: ChildProcess[] = [];
  const handles: RedisHandle[] = [];
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(2);
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    for (const child of servers) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await cleanUp();
    await database.drop();
  });

  it('uses REDIS_URL, and warns without refusing when Redis runs with appendonly no', async () => {
    const server = await startRedisServer(['--appendonly', 'no']);
    servers.push(server.child);
    const log = recordingLog();
    const redis = await resolveRedis({ redisUrl: server.url, dataDir: tempDir('redis') }, log);
    handles.push(redis);
    expect(redis.source).toBe('REDIS_URL');
    expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual([
      expect.stringMatching(/appendonly no/),
    ]);
    await redis.close();
  });

  it('does not warn when Redis keeps an append-only file', async () => {
    const server = await startRedisServer(['--appendonly', 'yes', '--dir', tempDir('redis-aof')]);
    servers.push(server.child);
    const log = recordingLog();
    const redis = await resolveRedis({ redisUrl: server.url, dataDir: tempDir('redis') }, log);
    handles.push(redis);
    expect(log.entries.filter((e) => e.level === 'warn')).toEqual([]);
    await redis.close();
  });

  it('gives workers connections that wait out an outage, and producers ones that fail fast', async () => {
    const redis = await resolveRedis({ redisUrl: loadTestEnv().redisUrl, dataDir: tempDir('redis') }, recordingLog());
    handles.push(redis);
    const worker = redis.createConnection('worker');
    const producer = redis.createConnection('producer');
    expect(worker.options.maxRetriesPerRequest).toBeNull();
    expect(producer.options.maxRetriesPerRequest).toBe(1);
    expect(producer.options.enableOfflineQueue).toBe(false);
    expect(await worker.ping()).toBe('PONG');
    await redis.close();
    expect(worker.status).toBe('end');
    expect(producer.status).toBe('end');
  });

  it('refuses a Redis whose maxmemory-policy is allkeys-lru', async () => {
    const server = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    servers.push(server.child);
    const err = await rejection(resolveRedis({ redisUrl: server.url, dataDir: tempDir('redis') }, recordingLog()));
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err.message).toMatch(/maxmemory-policy allkeys-lru/);
    expect(err.message).toMatch(/noeviction/);
  });

  it('chipin start exits 1 with one line naming REDIS_URL when nothing answers there', async () => {
    const cwd = tempDir('redis-down');
    const port = await freePort();
    const env = { NODE_ENV: 'test', PORT: '0', DATA_DIR: cwd, DATABASE_URL: database.url };
    const run = await runChipin(['start'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` }, cwd);
    expect(run.code).toBe(1);
    const lines = nonEmptyLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^chipin: REDIS_URL \(redis:\/\/127\.0\.0\.1:\d+\) did not answer PING/);
  });

  it('chipin start exits 1 against a Redis with maxmemory-policy allkeys-lru', async () => {
    const server = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    servers.push(server.child);
    const cwd = tempDir('redis-lru');
    const env = { NODE_ENV: 'test', PORT: '0', DATA_DIR: cwd, DATABASE_URL: database.url, REDIS_URL: server.url };
    const run = await runChipin(['start'], env, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chipin: Redis at REDIS_URL .* has maxmemory-policy allkeys-lru/m);
  });

  it('without REDIS_URL and nothing on the local port, starts a private redis-server on a socket in DATA_DIR and stops it on close', async () => {
    const dataDir = tempDir('redis-private');
    const localUrl = `redis://127.0.0.1:${await freePort()}`;
    const log = recordingLog();
    const redis = await resolveRedis({ redisUrl: undefined, dataDir }, log, { localUrl });
    handles.push(redis);
    const socket = path.join(dataDir, 'redis.sock');
    expect(redis.source).toBe('private');
    expect(redis.address).toBe(socket);
    const client = redis.createConnection('producer');
    await once(client, 'ready');
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'port')).toEqual(['port', '0']);
    expect(log.entries.some((e) => e.level === 'warn')).toBe(false);

    await redis.close();
    expect(existsSync(socket)).toBe(false); // redis-server removes its socket when it stops
  });

  it('without REDIS_URL, local Redis or redis-server on PATH, fails with one line saying how to get Redis', async () => {
    const localUrl = `redis://127.0.0.1:${await freePort()}`;
    const settings = { redisUrl: undefined, dataDir: tempDir('redis-none') };
    const err = await rejection(
      resolveRedis(settings, recordingLog(), { localUrl, redisServer: 'chipin-test-no-such-redis-server' }),
    );
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err.message).toBe(NO_REDIS_MESSAGE);
    expect(err.message).not.toContain('\n');
  });

  it('without any Redis, embedded PGlite runs its timed work in-process (said once); a DATABASE_URL still needs Redis', async () => {
    const localUrl = `redis://127.0.0.1:${await freePort()}`;
    const none = { localUrl, redisServer: 'chipin-test-no-such-redis-server' };
    const dataDir = tempDir('redis-none');

    const log = recordingLog();
    expect(await resolveRedisOrNone({ redisUrl: undefined, dataDir, databaseUrl: undefined }, log, none)).toBeNull();
    const said = log.entries.filter((e) => e.msg.startsWith('no Redis found'));
    expect(said.map((e) => e.level)).toEqual(['warn']);
    expect(said[0]?.msg).toContain('timed work runs in this process over the Postgres outbox; one process only');

    const shared = { redisUrl: undefined, dataDir, databaseUrl: 'postgres://db.example/chipin' };
    const err = await rejection(resolveRedisOrNone(shared, recordingLog(), none));
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err.message).toBe(
      `${NO_REDIS_MESSAGE}, or leave DATABASE_URL unset to run on embedded Postgres without Redis (one process)`,
    );

    // REDIS_URL set and silent is never a reason to run without Redis.
    const silent = { redisUrl: localUrl, dataDir, databaseUrl: undefined };
    const named = await rejection(resolveRedisOrNone(silent, recordingLog(), { ...none, timeoutMs: 500 }));
    expect(named.message).toMatch(/^REDIS_URL \(redis:\/\/127\.0\.0\.1:\d+\) did not answer PING/);
  });
});
