/**
 * kill -9 of a worker mid-job: the job's lock expires, another worker re-runs it,
 * and the outbox row keeps the effect to exactly one (the handler's write commits with the row's `done`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import { schedule } from '../core/outbox/index.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
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
import { startWorkers, type RunningWorkers } from './index.js';

const redisUrl = loadTestEnv().redisUrl;
const CHILD = fileURLToPath(new URL('../test/support/outbox-worker-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Child {
  process: ChildProcess;
  lines: string[];
  waitForLine(prefix: string, timeoutMs?: number): Promise<string>;
  kill9(): Promise<void>;
}

function spawnWorker(databaseUrl: string, prefix: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  return {
    process: child,
    lines,
    waitForLine: (prefix, timeoutMs = 20_000) =>
      waitFor(`a "${prefix}" line from the worker`, () => lines.find((l) => l.startsWith(prefix)), timeoutMs, 20),
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('a worker killed mid-job', () => {
  let database: TestDatabase;
  let redis: RedisFactory;
  let running: RunningWorkers | undefined;
  const children: Child[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(8);
    await database.db.query(
      `CREATE TABLE effects (key TEXT NOT NULL, pid INT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
    );
    redis = redisFactory(redisUrl);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill9();
    await running?.stop();
    running = undefined;
  });
  afterAll(async () => {
    await redis.close();
    for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
    await database.drop();
  });

  /** The surviving worker: this process, with the same kind and a handler that never hangs. */
  async function survivor(prefix: string): Promise<RunningWorkers> {
    running = await startWorkers({
      db: database.db,
      redis,
      log: recordingLog(),
      handlers: {
        'test.crash': async (tx, _payload, job) => {
          await tx.query(`INSERT INTO effects (key, pid) VALUES ($1, $2)`, [job.key, process.pid]);
        },
      },
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
      prefix,
      // A kill between the relay marking rows and adding their jobs leaves rows without jobs: the sweeper is
      // what re-adds them (after its grace), so the survivor sweeps often with a short grace.
      relay: { everyMs: 100, sweepEveryMs: 500, graceMs: 1_000 },
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
    });
    return running;
  }

  const effectsByKey = async (like: string) =>
    (
      await database.db.query<{ key: string; n: number; pids: number[] }>(
        `SELECT key, count(*)::int AS n, array_agg(pid) AS pids FROM effects WHERE key LIKE $1 GROUP BY key ORDER BY key`,
        [like],
      )
    ).rows;

  it('is re-run elsewhere and has exactly one effect', async () => {
    const prefix = uniquePrefix('crash');
    prefixes.push(prefix);
    const child = spawnWorker(database.url, prefix);
    children.push(child);
    await child.waitForLine('ready');
    const key = `test.crash:${Date.now()}:hang`;
    await schedule(database.db, { key, kind: 'test.crash', dueAt: new Date(), payload: { hang: true } });

    // The child wrote its effect inside the job's transaction and hangs there: kill it.
    await child.waitForLine(`in-handler ${key}`);
    await child.kill9();

    await survivor(prefix);
    await waitFor('the row done', async () => (await outboxStates(database.db, key))['done'] === 1, 20_000);
    // The dead worker's transaction rolled back with its connection; the re-run's effect is the only one.
    expect(await effectsByKey(key)).toEqual([{ key, n: 1, pids: [process.pid] }]);
  });

  it('killed at a random point of a stream of jobs: every job has exactly one effect', async () => {
    const prefix = uniquePrefix('crash');
    prefixes.push(prefix);
    const child = spawnWorker(database.url, prefix);
    children.push(child);
    await child.waitForLine('ready');
    const stamp = Date.now();
    for (let i = 0; i < 300; i++) {
      await schedule(database.db, {
        key: `test.crash:${stamp}:${String(i).padStart(3, '0')}`,
        kind: 'test.crash',
        dueAt: new Date(),
        payload: { sleepMs: 5 + (i % 11) },
      });
    }
    // Some jobs committed (and maybe not yet acknowledged to Redis), some mid-transaction, some not started.
    await waitFor('some effects', async () => (await effectsByKey(`test.crash:${stamp}:%`)).length >= 60, 20_000, 5);
    await child.kill9();
    const byChild = (await effectsByKey(`test.crash:${stamp}:%`)).length;
    expect(byChild).toBeLessThan(300);

    await survivor(prefix);
    await waitFor(
      'every row done',
      async () => (await outboxStates(database.db, `test.crash:${stamp}:`))['done'] === 300,
      30_000,
    );
    const effects = await effectsByKey(`test.crash:${stamp}:%`);
    expect(effects).toHaveLength(300);
    expect(effects.filter((e) => e.n !== 1)).toEqual([]);
  });
});
