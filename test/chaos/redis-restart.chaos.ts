/**
 * Redis killed and restarted empty mid-load (RELIABILITY F-rows on Redis): `chipin start` (all roles, Telegram's
 * limits on, the fake Bot API enforcing them) on a redis-server of this scenario's own. While 300 `/pay`s arrive
 * through the webhook, Redis is killed with SIGKILL, stays down 5 s and comes back on the same port with nothing
 * in it. Every payment must be paid once, every recipient told once, the process must keep running (no restart), and
 * then stop cleanly on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi, type RecordedCall } from '../fakes/telegram-api.js';
import { cleanUp } from '../support/chipin.js';
import {
  replyingTo,
  inboxDrained,
  outboxDrained,
  sleep,
  startApp,
  startFakeTelegram,
  BOT_ID,
  type RunningApp,
  type TgUser,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startOwnRedis, waitFor, type OwnRedis } from '../support/workers.js';
import { expectInvariants } from './invariants.js';
import { scenarioLine } from './report.js';

const PAYMENTS = 300;
const USERS = 20;
const KILL_AT = 100;
const DOWN_MS = 5_000;

describe('Redis killed and restarted empty mid-load', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let redis: OwnRedis;
  let app: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram();
    redis = await startOwnRedis();
    app = await startApp({ databaseUrl: database.url, fake, env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await cleanUp();
    await redis?.stop();
    await fake?.close();
    await database?.drop();
  });

  const post = async (update: object) => expect(await app.post(update)).toBe(200);

  it('pays each /pay once and tells each recipient once; the process survives and stops cleanly', async () => {
    const users: TgUser[] = Array.from({ length: USERS }, (_, i) =>
      fake.user(8_100_000 + i, `Rider${i}`, { username: `rider_${i}` }),
    );
    for (const user of users) await post(fake.message(user, fake.privateChat(user), '/faucet 1000'));
    await inboxDrained(database.db, 60_000);

    const port = Number(new URL(redis.url).port);
    const payments: Array<{ key: string; to: TgUser; amount: string }> = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < PAYMENTS; i++) {
      if (i === KILL_AT) {
        await redis.stop();
        restarted = sleep(DOWN_MS).then(async () => {
          redis = await startOwnRedis(port);
        });
      }
      const from = users[i % USERS]!;
      const to = users[(i * 7 + 3) % USERS] === from ? users[(i + 1) % USERS]! : users[(i * 7 + 3) % USERS]!;
      const chat = fake.group(-1_004_000_000_000 - (i % 100), 'Redis run');
      const amount = `${(1 + i / 100).toFixed(2)} USD`; // unique per payment: its notice can be found
      const update = replyingTo(fake, from, chat, `/pay ${amount.split(' ')[0]} redis`, to);
      payments.push({ key: `tg:${BOT_ID}:${update.update_id}`, to, amount });
      await post(update);
      await sleep(40);
    }
    await restarted;
    await inboxDrained(database.db, 120_000);
    // Notices that failed while Redis was away wait for their retry: every one must end, not just the due ones.
    await waitFor(
      'every notice done',
      async () =>
        (await database.db.query(`SELECT 1 FROM outbox WHERE kind = 'notify' AND state = 'pending' LIMIT 1`))
          .rowCount === 0,
      180_000,
    );
    await outboxDrained(database.db, 60_000);

    // Every /pay has its one outcome and moved money once.
    const keys = payments.map((p) => p.key);
    const paid = await database.db.query<{ ref: string }>(`SELECT ref FROM transfers WHERE ref = ANY($1::text[])`, [
      keys,
    ]);
    const outcomes = await database.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM command_log WHERE key = ANY($1::text[]) AND outcome IS NOT NULL`,
      [keys],
    );
    expect(Number(outcomes.rows[0]?.n)).toBe(PAYMENTS);
    expect(paid.rows).toHaveLength(PAYMENTS);

    // Every recipient was told of each payment exactly once.
    const told = (call: RecordedCall, to: TgUser) => String(call.params.chat_id) === String(to.id);
    const mentions = (amount: string) => new RegExp(`(?<![0-9.])${amount.replace('.', '\\.')}`);
    const notices = fake.sent('sendMessage');
    const counts = payments.map(
      (p) => notices.filter((c) => told(c, p.to) && mentions(p.amount).test(String(c.params.text))).length,
    );
    expect(counts.filter((n) => n !== 1)).toEqual([]);

    // Same process all along: it still answers a payment, and then stops cleanly on SIGTERM.
    expect(app.chipin.child.exitCode).toBeNull();
    const last = replyingTo(fake, users[0]!, fake.group(-1_004_000_000_999), '/pay 0.01 after', users[1]!);
    await post(last);
    await inboxDrained(database.db, 30_000);
    const stopping = Date.now();
    expect(await app.stop()).toBe(0);
    const stopSeconds = (Date.now() - stopping) / 1000; // reported, not asserted: exit 0 says it stopped cleanly
    const rebuilt = app.chipin.stderr.includes('Redis lost its data');

    const invariants = await expectInvariants(database.url);
    scenarioLine({
      name: 'Redis killed and restarted empty',
      load: `${PAYMENTS} /pay through chipin start (Telegram limits on), ${notices.length} messages sent`,
      faults: `redis-server SIGKILL at payment ${KILL_AT}, down ${DOWN_MS / 1000} s, back empty${rebuilt ? ' (loss detected, jobs rebuilt)' : ''}; SIGTERM stop took ${stopSeconds.toFixed(1)} s`,
      invariants,
    });
  });
});
