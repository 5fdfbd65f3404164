/**
 * Timed outbox jobs against real Postgres, delivered by BullMQ on real Redis and by the in-process queues (no
 * Redis): exactly once, never early, dead letters.
 */
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import type { Tx } from '../core/db/executor.js';
import { JobNotDue, createTimedHandlers } from '../core/jobs.js';
import { JobRejected, cancel, schedule } from '../core/outbox/index.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import {
  DRIVERS,
  dbNow,
  dropPrefix,
  fixedDirectory,
  plainRenderer,
  recordingLog,
  redisFactory,
  redisFor,
  uniquePrefix,
  waitFor,
  type RedisFactory,
} from '../test/support/workers.js';
import { startWorkers, type RunningWorkers, type TimedHandlers } from './index.js';
import { closeQueues, createQueues, jobIdFor, jobOptions } from './queues.js';

const redisUrl = loadTestEnv().redisUrl;
const NEVER = 3_600_000; // relay and sweeper only when the test says so

describe.each(DRIVERS)('timed outbox jobs (%s)', (driver) => {
  let database: TestDatabase;
  let redis: RedisFactory;
  let running: RunningWorkers | undefined;
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(6);
    await database.db.query(
      `CREATE TABLE effects (id BIGINT GENERATED ALWAYS AS IDENTITY, key TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
    );
    redis = redisFactory(redisUrl);
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  afterAll(async () => {
    await redis.close();
    for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
    await database.drop();
  });

  const effect = (tx: Tx, key: string) => tx.query(`INSERT INTO effects (key) VALUES ($1)`, [key]);
  const effectsOf = async (key: string) =>
    (await database.db.query<{ at: Date }>(`SELECT at FROM effects WHERE key = $1`, [key])).rows;
  const rowOf = async (key: string) =>
    (
      await database.db.query<{ state: string; attempts: number; last_error: string | null; due_at: Date }>(
        `SELECT state, attempts, last_error, due_at FROM outbox WHERE key = $1`,
        [key],
      )
    ).rows[0];

  async function start(
    handlers: TimedHandlers,
    extra: Partial<Parameters<typeof startWorkers>[0]> = {},
    prefix = uniquePrefix('timed'),
  ) {
    prefixes.push(prefix);
    const log = recordingLog();
    running = await startWorkers({
      db: database.db,
      redis: redisFor(driver, redis),
      log,
      handlers,
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
      prefix,
      relay: { everyMs: NEVER, sweepEveryMs: NEVER },
      ...extra,
    });
    return { log, workers: running };
  }

  it('a due row runs its handler exactly once, even when its job is added twice and first seen before it is due', async () => {
    const key = `test.effect:${Date.now()}:1`;
    const dueAt = new Date((await dbNow(database.db)) + 1_500);
    await schedule(database.db, { key, kind: 'test.effect', dueAt, payload: {} });
    const id = String((await database.db.query(`SELECT id FROM outbox WHERE key = $1`, [key])).rows[0]?.id);
    const data = { outboxId: id, key };
    const retry = { attempts: 3, backoffMs: 100 };

    // Early: a job with no delay at all (a producer with a fast clock); on Redis it waits before the worker starts.
    const prefix = uniquePrefix('timed');
    if (driver === 'bullmq') {
      const early = createQueues(redis.createConnection('producer'), prefix);
      await early.expiry.add('test.effect', data, jobOptions(key, 0, retry));
      await closeQueues(early);
    }

    let calls = 0;
    const { workers } = await start(
      {
        'test.effect': async (tx, _payload, job) => {
          calls++;
          await effect(tx, job.key);
        },
      },
      {},
      prefix,
    );
    if (driver === 'in-process') await workers.queues.expiry.add('test.effect', data, jobOptions(key, 0, retry));
    // The worker took the early job, found the row not due by the database clock and put the job back to sleep.
    await waitFor('the early job delayed', async () =>
      (await workers.queues.expiry.getJob(jobIdFor(key)))?.isDelayed(),
    );
    expect(Date.now()).toBeLessThan(dueAt.getTime());
    // Twice more while that job exists: the relay, then a duplicate add. Same job id: both are no-ops.
    await workers.relayNow();
    await workers.queues.expiry.add('test.effect', data, jobOptions(key, 0, retry));

    await waitFor('the effect', async () => (await effectsOf(key)).length > 0, 10_000);
    const [first] = await effectsOf(key);
    expect(first?.at.getTime()).toBeGreaterThanOrEqual(dueAt.getTime()); // never before due_at by the database clock
    expect((await rowOf(key))?.state).toBe('done');

    // Once the job completed (and was removed), the same job added again runs, finds the row done and does nothing.
    await workers.queues.expiry.add('test.effect', data, jobOptions(key, 0, retry));
    await waitFor('the duplicate to finish', async () => !(await workers.queues.expiry.getJob(jobIdFor(key))), 10_000);
    expect(await effectsOf(key)).toHaveLength(1);
    expect(calls).toBe(1);
  });

  it('a cancelled row: its job does nothing', async () => {
    let calls = 0;
    const { workers } = await start({
      'test.effect': () => {
        calls++;
        return Promise.resolve();
      },
    });
    const key = `test.effect:${Date.now()}:cancelled`;
    await schedule(database.db, { key, kind: 'test.effect', dueAt: new Date(Date.now() + 1_500), payload: {} });
    await workers.relayNow();
    await waitFor('the job', () => workers.queues.expiry.getJob(jobIdFor(key)));
    expect(await cancel(database.db, key)).toBe(true);
    await waitFor('the job to finish', async () => !(await workers.queues.expiry.getJob(jobIdFor(key))), 10_000);
    expect(calls).toBe(0);
    expect((await rowOf(key))?.state).toBe('cancelled');
  });

  it('exhausted retries leave a dead row with the last error, and log an error', async () => {
    const metrics = new Registry();
    const { workers, log } = await start(
      {
        'test.flaky': () => Promise.reject(new Error('downstream unavailable')),
        'test.rejected': () => Promise.reject(new JobRejected('the request no longer exists')),
      },
      { retry: { expiry: { attempts: 3, backoffMs: 50 } }, metrics },
    );
    const flaky = `test.flaky:${Date.now()}:1`;
    const rejected = `test.rejected:${Date.now()}:1`;
    await schedule(database.db, { key: flaky, kind: 'test.flaky', dueAt: new Date(), payload: {} });
    await schedule(database.db, { key: rejected, kind: 'test.rejected', dueAt: new Date(), payload: {} });
    await workers.relayNow();

    await waitFor(
      'both dead letters',
      async () => (await rowOf(flaky))?.state === 'dead' && (await rowOf(rejected))?.state === 'dead',
    );
    expect(await rowOf(flaky)).toMatchObject({ attempts: 3, last_error: 'Error: downstream unavailable' });
    // A rejection is not retried: dead at the first attempt.
    expect(await rowOf(rejected)).toMatchObject({
      attempts: 1,
      last_error: 'JobRejected: the request no longer exists',
    });

    const errors = log.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => [e.msg, e.obj.key])).toEqual(
      expect.arrayContaining([
        ['outbox job failed for good: dead letter', flaky],
        ['outbox job rejected: dead letter', rejected],
      ]),
    );
    // The failed jobs stay (in Redis for Bull Board); the sweeper leaves dead rows alone.
    await waitFor('the failed job', async () => (await workers.queues.expiry.getJob(jobIdFor(flaky)))?.finishedOn);
    const text = await metrics.metrics();
    expect(text).toMatch(/chipin_dead_letters_total\{queue="expiry",kind="test.flaky"\} 1/);
    expect(text).toMatch(/chipin_job_failures_total\{queue="expiry",kind="test.flaky"\} 3/);
    expect(text).toMatch(/chipin_outbox_rows\{state="dead"\} 2/);
    expect(text).toMatch(/chipin_queue_jobs\{queue="expiry",state="failed"\} 2/);
    expect(text).toMatch(/chipin_clock_skew_seconds -?0\.0\d*/); // the same host: well under 0.1 s
  });

  it('a job whose database went away waits for it without using an attempt: no dead letter from an outage', async () => {
    let calls = 0;
    const { workers, log } = await start(
      {
        'test.outage': async (tx, _payload, { key }) => {
          calls += 1;
          // The server ends the job's session mid-transaction (57P01), as a Postgres shutdown would.
          if (calls === 1) await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
          await effect(tx, key);
        },
      },
      // One attempt: a counted failure would be a dead letter at once.
      { retry: { expiry: { attempts: 1, backoffMs: 50 } } },
    );
    const key = `test.outage:${Date.now()}:1`;
    await schedule(database.db, { key, kind: 'test.outage', dueAt: new Date(), payload: {} });
    await workers.relayNow();

    await waitFor('the row done after the outage', async () => (await rowOf(key))?.state === 'done');
    expect(calls).toBe(2);
    // Its one counted attempt is the run that succeeded.
    expect(await rowOf(key)).toMatchObject({ attempts: 1, last_error: null });
    expect(await effectsOf(key)).toHaveLength(1);
    expect(log.entries.map((e) => e.msg)).toContain('outbox job: database unreachable; will run again');
  });

  it('a dead row revived by an operator runs again: the sweeper replaces its failed job', async () => {
    let fail = true;
    const { workers } = await start(
      {
        'test.revive': async (tx, _p, job) => {
          if (fail) throw new Error('not yet');
          await effect(tx, job.key);
        },
      },
      { retry: { expiry: { attempts: 1, backoffMs: 50 } }, relay: { everyMs: NEVER, sweepEveryMs: NEVER, graceMs: 0 } },
    );
    const key = `test.revive:${Date.now()}:1`;
    await schedule(database.db, { key, kind: 'test.revive', dueAt: new Date(), payload: {} });
    await workers.relayNow();
    await waitFor('the dead letter', async () => (await rowOf(key))?.state === 'dead');
    await waitFor('the failed job', async () => (await workers.queues.expiry.getJob(jobIdFor(key)))?.finishedOn);

    fail = false;
    await database.db.query(`UPDATE outbox SET state = 'pending', done_at = NULL WHERE key = $1`, [key]);
    expect(await workers.sweepNow()).toMatchObject({ rebuilt: 1 });
    await waitFor('the row done', async () => (await rowOf(key))?.state === 'done');
    expect(await effectsOf(key)).toHaveLength(1);
  });

  it('a handler that says "not due yet" moves the row and its job to the new due time', async () => {
    let calls = 0;
    const later = new Date(Date.now() + 1_200);
    const { workers } = await start({
      'test.moved': async (tx, _payload, job) => {
        if (++calls === 1) throw new JobNotDue(job.key, later);
        await effect(tx, job.key);
      },
    });
    const key = `test.moved:${Date.now()}:1`;
    await schedule(database.db, { key, kind: 'test.moved', dueAt: new Date(), payload: {} });
    await workers.relayNow();
    await waitFor('the row moved', async () => (await rowOf(key))?.due_at.getTime() === later.getTime());
    expect((await rowOf(key))?.state).toBe('pending');
    await waitFor('the effect', async () => (await effectsOf(key)).length === 1);
    expect((await effectsOf(key))[0]?.at.getTime()).toBeGreaterThanOrEqual(later.getTime());
    expect(await rowOf(key)).toMatchObject({ state: 'done', attempts: 1, last_error: null });
  });

  it('housekeeping forgets command outcomes and spent buttons after 7 days, and nothing newer', async () => {
    await database.db.query(
      `INSERT INTO command_log (key, command, outcome, created_at)
       VALUES ('hk:old', 'pay', '{}', now() - interval '8 days'), ('hk:new', 'pay', '{}', now() - interval '1 day')`,
    );
    const person = await database.db.query<{ id: string }>(
      `INSERT INTO people (display_name, last_platform) VALUES ('Keeper', 'telegram') RETURNING id::text`,
    );
    const personId = person.rows[0]?.id;
    await database.db.query(
      `INSERT INTO actions (id, person_id, kind, state, expires_at, consumed_at) VALUES
         ($1, $4, 'pay.undo', 'consumed', now() - interval '8 days', now() - interval '8 days'),
         ($2, $4, 'pay.undo', 'pending', now() - interval '1 hour', NULL),
         ($3, $4, 'pay.undo', 'pending', now() + interval '1 hour', NULL)`,
      ['H'.repeat(22), 'I'.repeat(22), 'J'.repeat(22), personId],
    );
    // The loop runs once at start, then every hour.
    await start({});
    const actions = async () =>
      (
        await database.db.query<{ id: string; state: string }>(
          `SELECT id, state FROM actions WHERE person_id = $1 ORDER BY id`,
          [personId],
        )
      ).rows;
    // Actions are swept after the outcomes are pruned: once the spent one is gone, both have run.
    await waitFor('the spent button to go', async () => (await actions()).length === 2);
    expect(await actions()).toEqual([
      { id: 'I'.repeat(22), state: 'expired' },
      { id: 'J'.repeat(22), state: 'pending' },
    ]);
    const keys = await database.db.query<{ key: string }>(`SELECT key FROM command_log WHERE key LIKE 'hk:%'`);
    expect(keys.rows).toEqual([{ key: 'hk:new' }]);
  });

  it('core/jobs handlers fit the registry', () => {
    // A compile-time check: createTimedHandlers(deps) is what main.ts passes as `handlers`.
    const fits = (handlers: ReturnType<typeof createTimedHandlers>): TimedHandlers => handlers;
    expect(typeof fits).toBe('function');
  });

  it('stop() is idempotent and leaves nothing running', async () => {
    const { workers } = await start({});
    const first = workers.stop();
    const second = workers.stop();
    expect(second).toBe(first);
    await first;
    running = undefined;
  });
});
