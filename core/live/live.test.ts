import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import {
  bindLive,
  LIVE_EDIT_KIND,
  liveEditKey,
  readLive,
  recordShown,
  takeLiveEdit,
  touchLive,
  type LiveView,
} from './index.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase(12);
});
afterAll(async () => {
  await t.drop();
});

let n = 0;
const newRef = () => `test:${process.pid}:${++n}`;
const view = (count: number): LiveView => ({
  template: { key: 'test.roster', params: { count: String(count) } },
  locale: 'en',
  timeZone: 'UTC',
});

async function editsOf(ref: string): Promise<Array<{ key: string; state: string }>> {
  const r = await t.db.query<{ key: string; state: string }>(
    `SELECT key, state FROM outbox WHERE kind = $1 AND payload ->> 'ref' = $2 ORDER BY id`,
    [LIVE_EDIT_KIND, ref],
  );
  return r.rows;
}

async function posted(ref: string, version = 1n): Promise<void> {
  await bindLive(t.db, { ref, platform: 'telegram', chatId: '-100', messageId: '7', version });
}

describe('live messages', () => {
  it('a change before the message is posted schedules no edit; posting it catches up on what changed since', async () => {
    const ref = newRef();
    expect(await touchLive(t.db, ref, view(1))).toEqual({ version: 1n, scheduled: false });
    expect(await touchLive(t.db, ref, view(2))).toEqual({ version: 2n, scheduled: false });
    expect(await editsOf(ref)).toEqual([]);
    // The message was rendered at version 1: version 2 must follow.
    expect(await bindLive(t.db, { ref, platform: 'telegram', chatId: '-100', messageId: '7', version: 1n })).toEqual({
      type: 'bound',
      scheduled: true,
    });
    expect(await editsOf(ref)).toEqual([{ key: liveEditKey(ref, 2n), state: 'pending' }]);
    expect(await readLive(t.db, ref)).toMatchObject({
      version: 2n,
      shownVersion: 1n,
      place: { platform: 'telegram', chatId: '-100', messageId: '7' },
    });
  });

  it('binding an unknown ref is refused', async () => {
    expect(
      await bindLive(t.db, { ref: newRef(), platform: 'telegram', chatId: '1', messageId: '1', version: 1n }),
    ).toEqual({ type: 'refused', error: 'UnknownLive' });
  });

  it('a burst of 50 changes schedules one edit, and the row keeps the last view', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    for (let i = 1; i <= 50; i++) await touchLive(t.db, ref, view(i));
    expect(await editsOf(ref)).toHaveLength(1);
    expect(await readLive(t.db, ref)).toMatchObject({ version: 51n, view: view(50) });
  });

  it('concurrent changes in separate transactions still schedule one edit', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.db.transaction((tx) => touchLive(tx, ref, view(i + 1)))));
    expect(await editsOf(ref)).toHaveLength(1);
    expect((await readLive(t.db, ref))?.version).toBe(11n);
  });

  it('a change rolled back with its feature transaction leaves neither the view nor an edit', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await t.db
      .transaction(async (tx) => {
        await touchLive(tx, ref, view(99));
        throw new Error('the feature failed');
      })
      .catch(() => undefined);
    expect(await editsOf(ref)).toEqual([]);
    expect(await readLive(t.db, ref)).toMatchObject({ version: 1n, view: view(0) });
  });

  it('once an edit has started, the next change schedules another one', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await touchLive(t.db, ref, view(1));
    const [first] = await editsOf(ref);
    const edit = await t.db.transaction((tx) => takeLiveEdit(tx, ref, first!.key));
    expect(edit).toMatchObject({ version: 2n, view: view(1), place: { messageId: '7' } });
    // In flight: a change now must not be lost.
    expect((await touchLive(t.db, ref, view(2))).scheduled).toBe(true);
    expect(await recordShown(t.db, edit!)).toEqual({ scheduled: false }); // the new edit is already waiting
    expect(await readLive(t.db, ref)).toMatchObject({ version: 3n, shownVersion: 2n });
    expect((await editsOf(ref)).map((e) => e.key)).toEqual([liveEditKey(ref, 2n), liveEditKey(ref, 3n)]);
  });

  it('an edit of what is already shown has nothing to do', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await touchLive(t.db, ref, view(1));
    const [job] = await editsOf(ref);
    const edit = await t.db.transaction((tx) => takeLiveEdit(tx, ref, job!.key));
    await recordShown(t.db, edit!);
    expect(await t.db.transaction((tx) => takeLiveEdit(tx, ref, job!.key))).toBeUndefined();
  });

  it('an older edit finishing last is followed by another edit showing the latest view', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await touchLive(t.db, ref, view(1));
    const [job] = await editsOf(ref);
    const older = await t.db.transaction((tx) => takeLiveEdit(tx, ref, job!.key));
    await touchLive(t.db, ref, view(2));
    const newer = await t.db.transaction((tx) => takeLiveEdit(tx, ref, liveEditKey(ref, 3n)));
    await recordShown(t.db, newer!);
    expect(await recordShown(t.db, older!)).toEqual({ scheduled: true });
    expect(await readLive(t.db, ref)).toMatchObject({ shownVersion: 2n, version: 3n });
  });

  it('a waiting edit whose job ended without running does not block later edits', async () => {
    const ref = newRef();
    await touchLive(t.db, ref, view(0));
    await posted(ref);
    await touchLive(t.db, ref, view(1));
    await t.db.query(`UPDATE outbox SET state = 'cancelled' WHERE key = $1`, [liveEditKey(ref, 2n)]);
    expect((await touchLive(t.db, ref, view(2))).scheduled).toBe(true);
  });
});
