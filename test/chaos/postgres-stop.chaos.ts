/**
 * RELIABILITY F5, Postgres hard restart mid-flight: `chipin start` on a Postgres cluster of the test's own, 200
 * `/pay` updates POSTed to the webhook while the server is stopped with `pg_ctl stop -m immediate`, restarted 10 s
 * later (and, in a second run, 2 min later: longer than any transaction waits, so the inbox and the queues must keep
 * the work). Telegram redelivers whatever was not acknowledged with a 2xx; the test does the same. Then: every update
 * is stored once and has exactly one outcome (one transfer, one recorded command), none was acknowledged without
 * being stored, none was dead-lettered, and the same app process (no restart) serves a new payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePrefix } from '../../app.js';
import { loadTestEnv } from '../../config/env.js';
import { migrate } from '../../core/db/migrate.js';
import { createPostgresDb } from '../../core/db/postgres.js';
import type { Db } from '../../core/db/executor.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  balanceOf,
  BOT_ID,
  inboxDrained,
  sleep,
  startApp,
  startFakeTelegram,
  transfersOfUpdate,
  waitForSent,
  withTextMention,
  type RunningApp,
  type TgUser,
} from '../support/app.js';
import { cleanUp, logLines } from '../support/chipin.js';
import { dropPrefix } from '../support/workers.js';
import { expectInvariants } from './invariants.js';
import { startOwnPostgres, type OwnPostgres } from './own-postgres.js';
import { scenarioLine } from './report.js';

const PAYMENTS = 200;

/** F5 as written (10 s), and an outage of a few minutes' kind: longer than a transaction waits (30 s) or a lease. */
const OUTAGES = [
  { name: 'postgres-stop', outageMs: 10_000 },
  { name: 'postgres-stop-2min', outageMs: 120_000 },
];

describe.each(OUTAGES)('a Postgres hard restart with 200 payments in flight (F5): $name', ({ name, outageMs }) => {
  let own: OwnPostgres;
  let db: Db;
  let fake: FakeTelegramApi;
  let app: RunningApp;

  beforeAll(async () => {
    own = await startOwnPostgres(`chipin_chaos_${process.pid}_${outageMs}`);
    // The test's own connection: it reconnects by itself after the restart, like the app's pool.
    db = createPostgresDb({ connectionString: own.url, max: 2, onError: () => undefined });
    await migrate(db);
    fake = await startFakeTelegram(false);
    app = await startApp({ databaseUrl: own.url, fake, env: { DATABASE_POOL_SIZE: '12' } });
  }, 120_000);

  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    await db?.close();
    if (own) await dropPrefix(loadTestEnv().redisUrl, queuePrefix({ databaseUrl: own.url, dataDir: '' }));
    await own?.destroy();
  });

  const keyOf = (update: { update_id: number }) => `tg:${BOT_ID}:${update.update_id}`;

  it('ends every payment once, acknowledges nothing it did not store, and recovers without a restart', async () => {
    const bob = fake.user(7_700_000, 'Bob', { username: 'bob_chaos', language_code: 'en' });
    expect(await app.post(fake.message(bob, fake.privateChat(bob), '/start'))).toBe(200);
    const payers: TgUser[] = Array.from({ length: PAYMENTS }, (_, i) =>
      fake.user(7_700_001 + i, `Payer${i}`, { username: `payer_chaos_${i}`, language_code: 'en' }),
    );
    const faucets = payers.map((p) => fake.message(p, fake.privateChat(p), '/faucet 10'));
    expect(new Set(await Promise.all(faucets.map((u) => app.post(u))))).toEqual(new Set([200]));
    await inboxDrained(db, 60_000);
    const pid = app.chipin.child.pid;

    // 200 payments, sent over about two seconds; the server stops hard one second in.
    const payments = payers.map((p) => withTextMention(fake, p, fake.privateChat(p), 'pay', bob, '1.00 chaos'));
    const statuses = new Map<number, number>();
    const sending = Promise.all(
      payments.map(async (update, i) => {
        await sleep(i * 10);
        const status = await app.post(update).catch(() => 0); // a refused connection: no answer at all
        statuses.set(update.update_id, status);
      }),
    );
    await sleep(1_000);
    const stoppedAt = Date.now();
    await own.stop('immediate');
    await sending;
    await sleep(Math.max(0, stoppedAt + outageMs - Date.now()));
    await own.start();

    const acked = payments.filter((u) => statuses.get(u.update_id) === 200);
    const refused = payments.filter((u) => statuses.get(u.update_id) !== 200);
    // Nothing acknowledged was lost: every update that got a 200 is stored.
    const stored = await db.query<{ key: string }>(`SELECT key FROM inbox WHERE key = ANY($1::text[])`, [
      acked.map(keyOf),
    ]);
    expect(stored.rowCount).toBe(acked.length);

    // Telegram delivers again what was not acknowledged, until it is.
    let redeliveries = 0;
    const redeliverUntil = Date.now() + 120_000;
    for (let pending = refused; pending.length > 0;) {
      if (Date.now() > redeliverUntil) {
        const errors = logLines(app.chipin.stderr).filter((line) => Number(line.level) >= 50);
        const raw = app.chipin.stderr
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith('{'))
          .slice(-12);
        throw new Error(
          `${pending.length} update(s) still refused 2 min after the restart; app exit code ` +
            `${String(app.chipin.child.exitCode)}; its last errors: ${JSON.stringify(errors.slice(-5))}; ` +
            `its stderr besides logs: ${raw.join('\n')}`,
        );
      }
      const answers = await Promise.all(pending.map((u) => app.post(u).catch(() => 0)));
      redeliveries += pending.length;
      pending = pending.filter((_, i) => answers[i] !== 200);
      if (pending.length > 0) await sleep(1_000);
    }

    await inboxDrained(db, 120_000);
    // Exactly one outcome each: one stored update, done (not dead-lettered), one recorded command, one transfer.
    const inbox = await db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM inbox WHERE key = ANY($1::text[]) GROUP BY state`,
      [payments.map(keyOf)],
    );
    expect(inbox.rows).toEqual([{ state: 'done', n: PAYMENTS }]);
    const outcomes = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM command_log WHERE key = ANY($1::text[]) AND outcome IS NOT NULL`,
      [payments.map(keyOf)],
    );
    expect(outcomes.rows[0]?.n).toBe(PAYMENTS);
    const perUpdate = await Promise.all(payments.map((u) => transfersOfUpdate(db, u)));
    expect(perUpdate.filter((n) => n !== 1)).toEqual([]);
    expect((await balanceOf(db, bob.id)).available).toBe(BigInt(PAYMENTS) * 100n);
    const dead = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'dead'`);
    expect(dead.rows[0]?.n).toBe(0);

    // The same process, its pool reconnected, serves a new payment.
    expect(app.chipin.child.exitCode).toBeNull();
    expect(app.chipin.child.pid).toBe(pid);
    const after = withTextMention(fake, bob, fake.privateChat(bob), 'pay', payers[0]!, '2.00 after');
    expect(await app.post(after)).toBe(200);
    await waitForSent(fake, bob.id, (m) => m.text.includes('2.00 USD'), { timeoutMs: 30_000 });
    expect(await transfersOfUpdate(db, after)).toBe(1);

    const logged = (msg: string) => logLines(app.chipin.stderr).filter((line) => line.msg === msg).length;
    const deadLettered = logLines(app.chipin.stderr).filter((line) => /dead.letter/.test(String(line.msg))).length;
    expect(deadLettered).toBe(0);
    const invariants = await expectInvariants(own.url);
    scenarioLine({
      name,
      load: `${PAYMENTS} concurrent /pay through the webhook (${acked.length} acknowledged, ${refused.length} refused with 5xx or no answer and redelivered ${redeliveries}×)`,
      faults:
        `pg_ctl stop -m immediate ~1 s in, restarted after ${outageMs / 1000} s ` +
        `(${logged('telegram webhook: could not store the update')} webhook 503s, ` +
        `${logged('inbox: database unreachable; will retry')} inbox runs waited for the database; ` +
        `0 dead letters, same app process)`,
      invariants,
    });
  }, 300_000);
});
