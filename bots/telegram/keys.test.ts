/**
 * Update keys unique over time (RELIABILITY T-ids; issue: Telegram restarts update ids at random after a quiet week):
 * the same update id after a week without updates is a new key, redeliveries within a week keep theirs, and every
 * intake process agrees on the epoch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../core/log.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { QUIET_MS, createUpdateKeys } from './keys.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(4);
});
afterAll(async () => {
  await t.drop();
});

const keys = (botId: string, now?: () => number) =>
  createUpdateKeys({ db: t.db, botId, log: silentLog, ...(now ? { now } : {}) });
const quietWeek = (botId: string) =>
  t.db.query(`UPDATE telegram_epochs SET last_seen_at = now() - interval '8 days' WHERE bot_id = $1`, [botId]);
const epochOf = async (botId: string) =>
  Number((await t.db.query(`SELECT epoch FROM telegram_epochs WHERE bot_id = $1`, [botId])).rows[0]?.epoch);

describe('Telegram update keys', () => {
  it('are tg:<bot>:<update_id> until a quiet week, then the same id is a new key', async () => {
    const first = keys('101');
    expect(await first.keyOf(5)).toBe('tg:101:5');
    expect(await first.keyOf(5)).toBe('tg:101:5'); // a redelivery
    await quietWeek('101');
    const restarted = keys('101');
    expect(await restarted.keyOf(5)).toBe('tg:101:5~1');
    expect(await restarted.keyOf(6)).toBe('tg:101:6~1');
  });

  it('a process that ran through the quiet week moves on too, and two processes agree on one new epoch', async () => {
    let clock = Date.now();
    const a = keys('102', () => clock);
    const b = keys('102', () => clock);
    expect(await a.keyOf(1)).toBe('tg:102:1');
    expect(await b.keyOf(2)).toBe('tg:102:2');
    await quietWeek('102');
    clock += QUIET_MS + 60_000;
    const after = await Promise.all([a.keyOf(900), b.keyOf(901), a.keyOf(902)]);
    expect(after).toEqual(['tg:102:900~1', 'tg:102:901~1', 'tg:102:902~1']);
    expect(await epochOf('102')).toBe(1);
  });

  it('an active bot is never taken for a quiet one: the intake refreshes last_seen_at while updates come in', async () => {
    let clock = Date.now();
    const active = keys('103', () => clock);
    expect(await active.keyOf(1)).toBe('tg:103:1');
    await t.db.query(`UPDATE telegram_epochs SET last_seen_at = now() - interval '6 days' WHERE bot_id = '103'`);
    clock += 2 * 3_600_000; // two hours later, another update: the heartbeat is due
    expect(await active.keyOf(2)).toBe('tg:103:2');
    await expect
      .poll(async () => {
        const r = await t.db.query(
          `SELECT now() - last_seen_at < interval '1 minute' AS fresh FROM telegram_epochs WHERE bot_id = '103'`,
        );
        return r.rows[0]?.fresh;
      })
      .toBe(true);
    // Another process starting now sees an active bot: same epoch.
    expect(await keys('103').keyOf(3)).toBe('tg:103:3');
  });

  it('many updates arriving together after a quiet spell read the epoch once', async () => {
    const first = keys('104');
    await first.keyOf(1);
    await quietWeek('104');
    const fresh = keys('104');
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => fresh.keyOf(1000 + i)));
    expect(new Set(all.map((k) => k.split('~')[1]))).toEqual(new Set(['1']));
    expect(await epochOf('104')).toBe(1);
  });
});
