/**
 * Crash recovery through the real processes: an http-only `chipin start --http` stores a webhook update and
 * acknowledges it but does not process it; it is killed with SIGKILL; a full `chipin start` on the same database
 * then processes the stored update exactly once (one reply, one transfer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../core/ledger/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  balanceOf,
  BOT_ID,
  inboxDrained,
  replyingTo,
  sentTo,
  settled,
  sleep,
  startApp,
  startFakeTelegram,
  transfersOfUpdate,
  waitForSent,
  writes,
  type RunningApp,
} from '../support/app.js';
import { cleanUp } from '../support/chipin.js';
import { createTestDatabase, lockWallets, type TestDatabase } from '../support/postgres.js';

describe('a crash between storing an update and processing it', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const started: RunningApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram();
  });

  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    if (database) {
      expect((await audit(database.db)).violations).toEqual([]);
      await database.drop();
    }
  });

  const inboxState = async (updateId: number): Promise<string | undefined> => {
    const r = await database.db.query<{ state: string }>(`SELECT state FROM inbox WHERE key = $1`, [
      `tg:${BOT_ID}:${updateId}`,
    ]);
    return r.rows[0]?.state;
  };

  it('an update acknowledged by a killed http-only process is processed exactly once after a restart', async () => {
    const alice = fake.user(5_100_001, 'Alice', { username: 'alice_crash' });
    const update = fake.message(alice, fake.privateChat(alice), '/faucet 25');

    const http = await startApp({ databaseUrl: database.url, fake, roles: ['http'] });
    started.push(http);
    expect(await http.post(update)).toBe(200);
    expect(await inboxState(update.update_id)).toBe('received');
    // The http role only stores: nothing is processed or sent while it runs alone.
    await sleep(1_500);
    expect(await inboxState(update.update_id)).toBe('received');
    expect(writes(fake)).toEqual([]);
    await http.kill();
    expect(http.chipin.child.signalCode).toBe('SIGKILL');

    const full = await startApp({ databaseUrl: database.url, fake });
    started.push(full);
    const [reply] = await waitForSent(fake, alice.id);
    expect(reply?.text).toContain('25.00 USD');
    await inboxDrained(database.db);
    expect(await inboxState(update.update_id)).toBe('done');
    expect(await transfersOfUpdate(database.db, update)).toBe(1);
    expect((await balanceOf(database.db, alice.id)).available).toBe(2_500n);

    // Telegram delivers it again (it never saw an answer from the first process): acknowledged, not repeated.
    expect(await full.post(update)).toBe(200);
    await settled(database.db);
    await sleep(500);
    expect(sentTo(fake, alice.id)).toHaveLength(1);
    expect(await transfersOfUpdate(database.db, update)).toBe(1);
    expect((await balanceOf(database.db, alice.id)).available).toBe(2_500n);
  });

  it('a second SIGTERM while shutdown waits for a stuck payment exits at once with 1, leaving the payment undone', async () => {
    const carol = fake.user(5_100_003, 'Carol', { username: 'carol_crash' });
    const dave = fake.user(5_100_004, 'Dave', { username: 'dave_crash' });
    const app = await startApp({ databaseUrl: database.url, fake });
    started.push(app);
    expect(await app.post(fake.message(dave, fake.privateChat(dave), '/start'))).toBe(200);
    expect(await app.post(fake.message(carol, fake.privateChat(carol), '/faucet 10'))).toBe(200);
    await waitForSent(fake, carol.id, (m) => m.text.includes('10.00 USD'));
    const person = await database.db.query<{ person_id: string }>(
      `SELECT person_id::text FROM identities WHERE platform = 'telegram' AND user_id = $1`,
      [String(carol.id)],
    );
    const lock = await lockWallets(database, [`person:${person.rows[0]?.person_id}`]);
    try {
      const group = { id: -1_001_700_000_001, type: 'supergroup', title: 'Shutdown' };
      const pay = replyingTo(fake, carol, group, '/pay 2', dave);
      expect(await app.post(pay)).toBe(200);
      expect(await lock.waiters(1)).toBe(1);

      // The first signal starts a clean stop, which waits for the running payment…
      app.chipin.child.kill('SIGTERM');
      await app.chipin.logLine('shutting down');
      // …the second does not wait.
      app.chipin.child.kill('SIGTERM');
      expect(await app.chipin.exited).toBe(1);
      expect(await app.chipin.logLine('second signal: exiting without a clean stop')).toMatchObject({
        signal: 'SIGTERM',
      });
      // Nothing half-done: the update waits, unprocessed, for the next start (after its lease runs out).
      expect(await inboxState(pay.update_id)).toBe('received');
      expect(await transfersOfUpdate(database.db, pay)).toBe(0);
    } finally {
      await lock.release();
    }
  });
});
