/**
 * A worker process for the crash tests (workers/crash.test.ts), killed with SIGKILL mid-job. Runs the
 * real startWorkers with one timed kind, `test.crash`, whose handler writes an effect row in the job's
 * transaction, then either hangs (payload `hang`) or sleeps a little. Prints `ready` and
 * `in-handler <key>` lines on stdout. Env: DATABASE_URL, REDIS_URL, PREFIX.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDb } from '../../core/db/postgres.js';
import { silentLog } from '../../core/log.js';
import { startWorkers } from '../../workers/index.js';
import { fixedDirectory, plainRenderer, redisFactory } from './workers.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const db = createPostgresDb({ connectionString: env('DATABASE_URL'), max: 4, applicationName: 'chipin-crash-child' });
await startWorkers({
  db,
  redis: redisFactory(env('REDIS_URL')),
  log: silentLog,
  handlers: {
    'test.crash': async (tx, json, job) => {
      const payload = (json ?? {}) as { hang?: unknown; sleepMs?: unknown };
      await tx.query(`INSERT INTO effects (key, pid) VALUES ($1, $2)`, [job.key, process.pid]);
      if (payload.hang === true) {
        process.stdout.write(`in-handler ${job.key}\n`);
        await new Promise(() => undefined);
      }
      await sleep(typeof payload.sleepMs === 'number' ? payload.sleepMs : 0);
    },
  },
  notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
  prefix: env('PREFIX'),
  relay: { everyMs: 100, sweepEveryMs: 60_000 },
  concurrency: { expiry: 8 },
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
});
process.stdout.write('ready\n');
