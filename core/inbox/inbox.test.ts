import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { migrate } from '../db/migrate.js';
import { createPgliteDb } from '../db/pglite.js';
import { silentLog } from '../log.js';
import {
  admitAll,
  claim,
  claimAll,
  counts,
  createInboxProcessor,
  createReceiver,
  markDone,
  markDoneAll,
  markFailed,
  pending,
  prune,
  receive,
  receiveAll,
  release,
  type InboxRow,
} from './index.js';

let t: TestDatabase;
let n = 0;
/** A key and platform of this test's own, so tests do not see each other's rows. */
const fresh = (label: string) => ({ key: `test:${label}:${++n}`, platform: `p${n}` });

beforeAll(async () => {
  t = await createTestDatabase(8);
});
afterAll(async () => {
  await t.drop();
});

const backdate = (key: string, ms: number) =>
  t.db.query(`UPDATE inbox SET received_at = received_at - $2::bigint * interval '1 millisecond' WHERE key = $1`, [
    key,
    ms,
  ]);

const row = async (key: string) =>
  (
    await t.db.query<{ state: string; attempts: number; last_error: string | null }>(
      'SELECT state, attempts, last_error FROM inbox WHERE key = $1',
      [key],
    )
  ).rows[0];

describe('the inbox store', () => {
  it('stores a delivery once: the same key again is a duplicate, even five at a time', async () => {
    const { key, platform } = fresh('dup');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => receive(t.db, { key, platform, payload: { update_id: 1 } })),
    );
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    expect(await counts(t.db, platform)).toEqual({ received: 1, done: 0, failed: 0 });
  });

  it('stores inside the caller transaction, so a rollback stores nothing', async () => {
    const { key, platform } = fresh('tx');
    await expect(
      t.db.transaction(async (tx) => {
        await receive(tx, { key, platform, payload: {} });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await row(key)).toBeUndefined();
  });

  it('stores, claims and marks many deliveries in one statement each, a key given twice counting once', async () => {
    const a = fresh('batch');
    const b = fresh('batch');
    const stored = await receiveAll(t.db, [
      { ...a, payload: { n: 1 } },
      { ...a, payload: { n: 2 } },
      { ...b, payload: { n: 3 } },
    ]);
    expect(stored).toEqual([{ stored: true }, { stored: false }, { stored: true }]);
    const claimed = await claimAll(t.db, [a.key, b.key, a.key, 'test:batch:unknown'], 60_000);
    expect(claimed.map((row) => row?.key)).toEqual([a.key, b.key, undefined, undefined]);
    expect(claimed[0]?.payload).toEqual({ n: 1 });
    expect(await markDoneAll(t.db, [{ key: a.key, note: 'sent' }, { key: b.key }, { key: a.key }])).toEqual([
      true,
      true,
      false,
    ]);
    const rows = await t.db.query<{ key: string; state: string; last_error: string | null }>(
      `SELECT key, state, last_error FROM inbox WHERE key = ANY($1) ORDER BY key`,
      [[a.key, b.key]],
    );
    expect(rows.rows).toEqual([
      { key: a.key, state: 'done', last_error: 'sent' },
      { key: b.key, state: 'done', last_error: null },
    ]);
  });

  it('lets exactly one of several racing processors claim a row', async () => {
    const { key, platform } = fresh('race');
    await receive(t.db, { key, platform, payload: { a: 1 } });
    const claims = await Promise.all(Array.from({ length: 6 }, () => claim(t.db, key, 60_000)));
    const won = claims.filter((c): c is InboxRow => c !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ key, platform, payload: { a: 1 }, state: 'received', attempts: 1 });
  });

  it('does not claim a done or failed row, and claims again once a lease runs out', async () => {
    const { key, platform } = fresh('lease');
    await receive(t.db, { key, platform, payload: {} });
    expect(await claim(t.db, key, 1)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await claim(t.db, key, 60_000))?.attempts).toBe(2);
    expect(await markDone(t.db, key)).toBe(true);
    expect(await claim(t.db, key, 1)).toBeUndefined();
    expect(await markDone(t.db, key)).toBe(false);
    expect(await row(key)).toMatchObject({ state: 'done' });

    const other = fresh('failed');
    await receive(t.db, { ...other, payload: {} });
    expect(await markFailed(t.db, other.key, 'boom')).toBe(true);
    expect(await claim(t.db, other.key, 1)).toBeUndefined();
    expect(await row(other.key)).toMatchObject({ state: 'failed', last_error: 'boom' });
  });

  it('a row stored held is neither claimed nor listed until admitted; admitting it again does nothing', async () => {
    const { key, platform } = fresh('held');
    const receiveHeld = createReceiver(t.db, { holdMs: 60_000 });
    expect(await receiveHeld({ key, platform, payload: {} })).toEqual({ stored: true });
    expect(await claim(t.db, key, 60_000)).toBeUndefined();
    expect(await pending(t.db, { olderThanMs: 0, platform })).toEqual([]);
    expect(await admitAll(t.db, [key, 'test:held:unknown'])).toEqual([true, false]);
    expect(await pending(t.db, { olderThanMs: 0, platform })).toHaveLength(1);
    expect(await claim(t.db, key, 60_000)).toMatchObject({ key, attempts: 1 });
    // Claimed (a lease, not a hold): admitting cannot free it for a second processor.
    expect(await admitAll(t.db, [key])).toEqual([false]);
    expect(await claim(t.db, key, 60_000)).toBeUndefined();
  });

  it('holds a released row back for its retry delay', async () => {
    const { key, platform } = fresh('release');
    await receive(t.db, { key, platform, payload: {} });
    await claim(t.db, key, 60_000);
    await release(t.db, key, 'db hiccup', 60_000);
    expect(await claim(t.db, key, 1)).toBeUndefined();
    expect(await pending(t.db, { olderThanMs: 0, platform })).toEqual([]);
    await release(t.db, key, 'db hiccup', 0);
    expect(await pending(t.db, { olderThanMs: 0, platform })).toHaveLength(1);
    expect(await row(key)).toMatchObject({ last_error: 'db hiccup', attempts: 1 });
  });

  it('lists the rows a restart must finish: received, older than the grace, not held', async () => {
    const platform = fresh('pending').platform;
    const keys = ['a', 'b', 'c', 'd'].map((k) => `test:pending:${k}`);
    for (const key of keys) await receive(t.db, { key, platform, payload: {} });
    await backdate(keys[0]!, 10_000);
    await backdate(keys[1]!, 10_000);
    await backdate(keys[2]!, 10_000);
    await claim(t.db, keys[1]!, 60_000); // held by a live processor
    await markDone(t.db, keys[2]!);
    expect((await pending(t.db, { olderThanMs: 5_000, platform })).map((r) => r.key)).toEqual([keys[0]]);
    expect((await pending(t.db, { olderThanMs: 0, platform })).map((r) => r.key)).toEqual([keys[0], keys[3]]);
  });

  it('prunes processed rows after the retention, never unprocessed ones', async () => {
    const { key: oldDone, platform } = fresh('prune-done');
    const oldReceived = `${oldDone}:received`;
    const recentDone = `${oldDone}:recent`;
    for (const key of [oldDone, oldReceived, recentDone]) await receive(t.db, { key, platform, payload: {} });
    await markDone(t.db, oldDone);
    await markDone(t.db, recentDone);
    const week = 7 * 86_400_000;
    await backdate(oldDone, week + 1_000);
    await backdate(oldReceived, week + 1_000);
    expect(await prune(t.db, week)).toBeGreaterThanOrEqual(1);
    expect(await row(oldDone)).toBeUndefined();
    expect(await row(oldReceived)).toMatchObject({ state: 'received' });
    expect(await row(recentDone)).toMatchObject({ state: 'done' });
  });
});

describe('the inbox processor', () => {
  it('processes an enqueued row once and marks it done with its note', async () => {
    const { key, platform } = fresh('proc');
    const seen: string[] = [];
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      process: (r) => {
        seen.push(r.key);
        return Promise.resolve({ note: 'delivery: 403' });
      },
    });
    processor.enqueue(key); // before start: ignored, the row is not even stored yet
    processor.start();
    await receive(t.db, { key, platform, payload: {} });
    processor.enqueue(key);
    processor.enqueue(key);
    await processor.idle();
    processor.enqueue(key);
    await processor.idle();
    await processor.stop();
    expect(seen).toEqual([key]);
    expect(await row(key)).toMatchObject({ state: 'done', last_error: 'delivery: 403', attempts: 1 });
  });

  it('picks up at start what an earlier process stored but never processed, exactly once', async () => {
    const { platform } = fresh('recover');
    const keys = [1, 2, 3].map((i) => `test:recover:${i}`);
    for (const key of keys) await receive(t.db, { key, platform, payload: {} });
    for (const key of keys) await backdate(key, 60_000);
    const seen: string[] = [];
    const processors = [1, 2].map(() =>
      createInboxProcessor({
        db: t.db,
        log: silentLog,
        platform,
        graceMs: 1_000,
        process: async (r) => {
          seen.push(r.key);
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
      }),
    );
    // Two processes restarting at once: each row still runs once.
    for (const p of processors) p.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(processors.map((p) => p.idle()));
    await Promise.all(processors.map((p) => p.stop()));
    expect(seen.sort()).toEqual(keys);
    expect(await counts(t.db, platform)).toEqual({ received: 0, done: 3, failed: 0 });
  });

  it('retries a failing row after a delay, then dead-letters it when attempts run out', async () => {
    const { key, platform } = fresh('retry');
    await receive(t.db, { key, platform, payload: {} });
    let calls = 0;
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      graceMs: 0,
      sweepEveryMs: 20,
      maxAttempts: 3,
      retryDelayMs: () => 30,
      process: () => {
        calls++;
        return Promise.reject(new Error(`layer down ${calls}`));
      },
    });
    processor.start();
    const deadline = Date.now() + 5_000;
    while ((await row(key))?.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await processor.stop();
    expect(calls).toBe(3);
    expect(await row(key)).toMatchObject({ state: 'failed', attempts: 3, last_error: 'Error: layer down 3' });
  });

  it('keeps a row whose runs failed because the database was unreachable: those runs do not count', async () => {
    const { key, platform } = fresh('outage');
    await receive(t.db, { key, platform, payload: {} });
    let calls = 0;
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      graceMs: 0,
      sweepEveryMs: 20,
      maxAttempts: 2,
      outageRetryMs: 30,
      process: async () => {
        calls++;
        if (calls > 4) return { note: 'after the outage' };
        // The server ends this session mid-transaction (57P01), as a Postgres shutdown would.
        await t.db.transaction(async (tx) => {
          await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
        });
        return undefined;
      },
    });
    processor.start();
    const deadline = Date.now() + 10_000;
    while ((await row(key))?.state === 'received' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await processor.stop();
    expect(calls).toBe(5);
    expect(await row(key)).toMatchObject({ state: 'done', attempts: 1, last_error: 'after the outage' });
  });

  it('a slow run keeps its claim by renewing it; once its process is gone another picks the row up', async () => {
    const { key, platform } = fresh('lease');
    await receive(t.db, { key, platform, payload: {} });
    let finishSlow: () => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      leaseMs: 600,
      process: () => {
        started();
        return new Promise<void>((done) => (finishSlow = done));
      },
    });
    slow.start();
    slow.enqueue(key);
    await running;
    // Three leases later the row is still held: its lease was renewed while it ran.
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    expect(await claim(t.db, key, 600)).toBeUndefined();
    finishSlow();
    const deadline = Date.now() + 5_000;
    while ((await row(key))?.state !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await row(key)).toMatchObject({ state: 'done', attempts: 1 });
    await slow.stop();

    // A claim nobody renews (its process died) runs out, and the row is claimed again.
    const { key: orphan } = fresh('lease');
    await receive(t.db, { key: orphan, platform, payload: {} });
    expect(await claim(t.db, orphan, 200)).toBeDefined();
    expect(await claim(t.db, orphan, 200)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await claim(t.db, orphan, 200)).toMatchObject({ attempts: 2 });
  });

  it('dead-letters a row whose process kept dying on it, without running it again', async () => {
    const { key, platform } = fresh('poison');
    await receive(t.db, { key, platform, payload: {} });
    for (let i = 0; i < 3; i++) {
      await claim(t.db, key, 1); // claimed, then the process "died"
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    let calls = 0;
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      maxAttempts: 3,
      process: () => {
        calls++;
        return Promise.resolve();
      },
    });
    processor.start();
    processor.enqueue(key);
    await processor.idle();
    await processor.stop();
    expect(calls).toBe(0);
    expect(await row(key)).toMatchObject({ state: 'failed', attempts: 4 });
  });

  it('stops after the running row finishes; rows still queued stay received for the next start', async () => {
    const { key: running, platform } = fresh('stop');
    const queued = `${running}:queued`;
    for (const key of [running, queued]) await receive(t.db, { key, platform, payload: {} });
    let started!: () => void;
    const isRunning = new Promise<void>((resolve) => (started = resolve));
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      concurrency: 1,
      graceMs: 60_000,
      process: async () => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
    });
    processor.start();
    processor.enqueue(running);
    processor.enqueue(queued);
    await isRunning;
    await processor.stop();
    expect(await row(running)).toMatchObject({ state: 'done' });
    expect(await row(queued)).toMatchObject({ state: 'received', attempts: 0 });
  });

  it('runs the rows of one partition one at a time, in order, and other partitions alongside', async () => {
    const { platform } = fresh('partition');
    const keys = ['a1', 'a2', 'a3', 'b1'].map((k) => `test:partition:${k}`);
    for (const key of keys) await receive(t.db, { key, platform, payload: {} });
    const log: string[] = [];
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      graceMs: 60_000,
      process: async (r) => {
        log.push(`start ${r.key.slice(-2)}`);
        // The first row of partition a is the slowest: the others of a must still wait for it.
        await new Promise((resolve) => setTimeout(resolve, r.key.endsWith('a1') ? 150 : 10));
        log.push(`end ${r.key.slice(-2)}`);
      },
    });
    processor.start();
    for (const key of keys) processor.enqueue(key, key.slice(-2, -1));
    await processor.idle();
    await processor.stop();
    const a = log.filter((entry) => entry.endsWith('a1') || entry.endsWith('a2') || entry.endsWith('a3'));
    expect(a).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
  });
});

describe('the inbox on the embedded database (PGlite)', () => {
  it('stores, claims, lists, marks and prunes with the same SQL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chipin-inbox-'));
    const db = await createPgliteDb(dir);
    try {
      await migrate(db);
      expect(await receive(db, { key: 'tg:1:1', platform: 'telegram', payload: { update_id: 1 } })).toEqual({
        stored: true,
      });
      expect(await receive(db, { key: 'tg:1:1', platform: 'telegram', payload: { update_id: 1 } })).toEqual({
        stored: false,
      });
      expect(await pending(db, { olderThanMs: 0, platform: 'telegram' })).toHaveLength(1);
      expect(await claim(db, 'tg:1:1', 60_000)).toMatchObject({ attempts: 1, payload: { update_id: 1 } });
      expect(await claim(db, 'tg:1:1', 60_000)).toBeUndefined();
      expect(await release(db, 'tg:1:1', 'x', 0)).toBe(true);
      expect(await claim(db, 'tg:1:1', 1_000)).toMatchObject({ attempts: 2 });
      expect(await markDone(db, 'tg:1:1')).toBe(true);
      expect(await prune(db, 0)).toBe(1);
      expect(await counts(db)).toEqual({ received: 0, done: 0, failed: 0 });
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
