/** Rows that release their partition early: the next row of the chat starts, the row stays claimed until it ends. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { silentLog } from '../log.js';
import { createInboxProcessor, receive } from './index.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase(6);
});
afterAll(async () => {
  await t.drop();
});

const stateOf = async (key: string) =>
  (await t.db.query<{ state: string }>('SELECT state FROM inbox WHERE key = $1', [key])).rows[0]?.state;

describe('releasing a partition', () => {
  it('lets the next row of the partition start while the first still delivers, and marks each done when it ends', async () => {
    const platform = `release-${process.pid}`;
    const keys = ['r1', 'r2', 'r3'].map((k) => `test:release:${process.pid}:${k}`);
    for (const key of keys) await receive(t.db, { key, platform, payload: {} });
    const log: string[] = [];
    let deliver: () => void = () => undefined;
    const delivered = new Promise<void>((resolve) => {
      deliver = resolve;
    });
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      graceMs: 60_000,
      concurrency: 1,
      process: async (r, control) => {
        const name = r.key.slice(-2);
        log.push(`start ${name}`);
        // The first row's "replies" wait (a group's budget); it lets the chat go on meanwhile.
        if (name === 'r1') {
          control.releasePartition();
          await delivered;
        }
        log.push(`end ${name}`);
      },
    });
    processor.start();
    for (const key of keys) processor.enqueue(key, 'chat');
    const deadline = Date.now() + 5_000;
    while (log.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // r2 and r3 ran in order while r1 was still delivering, even with a single processing slot.
    expect(log).toEqual(['start r1', 'start r2', 'end r2', 'start r3', 'end r3']);
    expect(await stateOf(keys[0]!)).toBe('received');
    deliver();
    await processor.idle();
    await processor.stop();
    expect(log.at(-1)).toBe('end r1');
    expect(await Promise.all(keys.map(stateOf))).toEqual(['done', 'done', 'done']);
  });
});

describe('a graceful stop', () => {
  it('gives back a row it interrupted without counting the attempt: it runs again at the next start', async () => {
    const platform = `stop-${process.pid}`;
    const key = `test:stop:${process.pid}`;
    await receive(t.db, { key, platform, payload: {} });
    let interrupt: (err: Error) => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const processor = createInboxProcessor({
      db: t.db,
      log: silentLog,
      platform,
      graceMs: 60_000,
      process: () => {
        started();
        // Its replies wait for the platform's pace until the stop closes the outbound.
        return new Promise((_, reject) => {
          interrupt = reject;
        });
      },
    });
    processor.start();
    processor.enqueue(key);
    await running;
    await processor.stop(100);
    interrupt(new Error('outbound sender closed'));
    const deadline = Date.now() + 5_000;
    let row: { state: string; attempts: number; locked_until: Date | null } | undefined;
    while (Date.now() < deadline) {
      row = (
        await t.db.query<{ state: string; attempts: number; locked_until: Date | null }>(
          'SELECT state, attempts, locked_until FROM inbox WHERE key = $1',
          [key],
        )
      ).rows[0];
      if (row?.locked_until !== null && row?.attempts === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(row).toMatchObject({ state: 'received', attempts: 0 });
  });
});
