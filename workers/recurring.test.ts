/**
 * Recurring transfers through the real workers (relay → `recurring` queue → core handler) against real Postgres, on
 * both drivers (BullMQ on real Redis, and the in-process queues without Redis), with a short internal rule (`FREQ=SECONDLY`) and a short retry delay: each occurrence pays
 * once, a run short of money is retried and then succeeds or is skipped, duplicates and cancelled schedules do
 * nothing. Ends with a ledger audit.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import { once, toWire } from '../core/index.js';
import type { Core, Person, ScheduleSpec } from '../core/index.js';
import { audit } from '../core/ledger/index.js';
import { CHAT, available, coreWith, fund, person, press } from '../test/support/core.js';
import { ref } from '../test/support/ledger.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import {
  DRIVERS,
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
import { startWorkers, type RunningWorkers } from './index.js';
import { jobIdFor } from './queues.js';

const redisUrl = loadTestEnv().redisUrl;
const RETRY_MS = 1_500;

describe.each(DRIVERS)('recurring transfers through the workers (%s)', (driver) => {
  let database: TestDatabase;
  let redis: RedisFactory;
  let core: Core;
  let workers: RunningWorkers;
  const metrics = new Registry();
  const prefix = uniquePrefix('recurring');

  beforeAll(async () => {
    database = await createTestDatabase(8);
    redis = redisFactory(redisUrl);
    core = coreWith(database.db, { scheduleRetryMs: RETRY_MS });
    workers = await startWorkers({
      db: database.db,
      redis: redisFor(driver, redis),
      log: recordingLog(),
      handlers: core.timed,
      notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
      prefix,
      metrics,
      relay: { everyMs: 100, sweepEveryMs: 60_000 },
    });
  });
  afterAll(async () => {
    await workers?.stop();
    await redis.close();
    await dropPrefix(redisUrl, prefix);
    if (database) {
      expect((await audit(database.db)).violations).toEqual([]);
      await database.drop();
    }
  });

  async function activated(payer: Person, payee: Person, spec: ScheduleSpec, minor = 3_00n): Promise<bigint> {
    const key = ref('tg:every');
    const { outcome } = await once(database.db, { key, personId: payer.id, command: 'every' }, async (tx) =>
      toWire(
        await core.schedules.create(tx, {
          key,
          payer,
          payee: { personId: payee.id },
          amount: { minor, currency: 'USD' },
          note: 'allowance',
          spec,
          chat: CHAT,
        }),
      ),
    );
    if (outcome.type !== 'confirm') throw new Error(`no confirm card: ${JSON.stringify(outcome)}`);
    const done = await press(core, payer, outcome.actionId);
    if (done.type !== 'done' || done.kind !== 'schedule.activate' || done.outcome.type !== 'activated')
      throw new Error(`not activated: ${JSON.stringify(done)}`);
    return BigInt(outcome.scheduleId);
  }

  const rule = (r: string, count?: number): ScheduleSpec => ({
    cadence: { unit: 'rule', rule: r },
    ...(count ? { end: { count } } : {}),
  });
  const runs = async (id: bigint) =>
    (
      await database.db.query<{ n: number; state: string; tries: number; transfer_id: string | null }>(
        `SELECT n, state, tries, transfer_id FROM schedule_runs WHERE schedule_id = $1 ORDER BY n`,
        [id],
      )
    ).rows.map((r) => ({ n: Number(r.n), state: r.state, tries: Number(r.tries), paid: r.transfer_id !== null }));
  const transfersOf = async (id: bigint) =>
    (
      await database.db.query<{ ref: string }>(`SELECT ref FROM transfers WHERE ref LIKE $1 ORDER BY id`, [
        `schedule:${id}:%`,
      ])
    ).rows.map((r) => r.ref);
  const scheduleState = async (id: bigint) =>
    String((await database.db.query(`SELECT state FROM schedules WHERE id = $1`, [id])).rows[0]?.state);
  const notes = async (id: bigint) =>
    (
      await database.db.query<{ key: string }>(`SELECT key FROM outbox WHERE key LIKE $1 ORDER BY id`, [
        `notify:schedule:${id}:%`,
      ])
    ).rows.map((r) => r.key.slice(`notify:schedule:${id}:`.length));

  it('three runs at a short interval make exactly three transfers, each told to both sides', async () => {
    const mum = await person(core, 'mum_rec1', 20_00n);
    const kid = await person(core, 'kid_rec1');
    const id = await activated(mum, kid, rule('FREQ=SECONDLY;INTERVAL=2', 3));
    await waitFor('the schedule to finish', async () => (await scheduleState(id)) === 'finished', 30_000);
    expect(await runs(id)).toEqual([
      { n: 1, state: 'paid', tries: 1, paid: true },
      { n: 2, state: 'paid', tries: 1, paid: true },
      { n: 3, state: 'paid', tries: 1, paid: true },
    ]);
    expect(await transferCount(id)).toBe(3);
    expect(await transfersOf(id)).toEqual([`schedule:${id}:1`, `schedule:${id}:2`, `schedule:${id}:3`]);
    expect(await available(core, kid)).toBe(9_00n);
    expect(await available(core, mum)).toBe(11_00n);
    expect(await notes(id)).toEqual(['1:paid', '1:received', '2:paid', '2:received', '3:paid', '3:received']);
    // Queue metrics cover the recurring queue: lateness (due → done) observed per run.
    const text = await metrics.metrics();
    expect(text).toMatch(/chipin_job_lateness_seconds_count\{queue="recurring"\} [3-9]/);
    expect(text).toMatch(/chipin_queue_jobs\{queue="recurring",state="waiting"\} \d+/);
    expect(text).toMatch(/chipin_job_failures_total\{queue="recurring",kind="schedule.run"\} 0/);
    expect(text).toMatch(/chipin_dead_letters_total\{queue="reminders",kind="schedule.notice"\} 0/);
  });

  async function transferCount(id: bigint): Promise<number> {
    return (await transfersOf(id)).length;
  }

  it('a run short of money tells the payer, is retried after the retry delay, and pays after a top-up', async () => {
    const dad = await person(core, 'dad_rec2', 1_00n);
    const kid = await person(core, 'kid_rec2');
    const id = await activated(dad, kid, rule('FREQ=MINUTELY;INTERVAL=10', 2));
    await waitFor('the shortfall notice', async () => (await notes(id)).includes('1:short:1'));
    expect(await transferCount(id)).toBe(0);
    const retry = (
      await database.db.query<{ due_at: Date; state: string }>(`SELECT due_at, state FROM outbox WHERE key = $1`, [
        `schedule.run:${id}:1.2`,
      ])
    ).rows[0];
    expect(retry?.state).toBe('pending');
    await fund(core, dad, 10_00n);
    await waitFor('the retried run', async () => (await runs(id)).length === 1, 20_000);
    const [run] = await runs(id);
    expect(run).toMatchObject({ n: 1, state: 'paid', paid: true });
    expect(run?.tries).toBeGreaterThanOrEqual(2); // paid on a retry, not on the first try
    expect(await transfersOf(id)).toEqual([`schedule:${id}:1`]);
    expect(await available(core, kid)).toBe(3_00n);
    const told = await notes(id);
    expect(told[0]).toBe('1:short:1');
    expect(told.slice(-2)).toEqual(['1:paid', '1:received']);
    // The next occurrence is waiting in the outbox; cancel so it does not run in later tests.
    const cancelled = await database.db.transaction((tx) =>
      core.schedules.cancel(tx, { personId: dad.id, scheduleId: id }),
    );
    expect(cancelled).toMatchObject({ type: 'cancelled' });
  });

  it('still short after its tries: the run is skipped with a notice and the schedule moves on', async () => {
    const gran = await person(core, 'gran_rec3');
    const kid = await person(core, 'kid_rec3');
    const id = await activated(gran, kid, rule('FREQ=MINUTELY;INTERVAL=10', 2));
    await waitFor('the skip', async () => (await runs(id)).length === 1, 30_000);
    expect(await runs(id)).toEqual([{ n: 1, state: 'skipped', tries: 3, paid: false }]);
    expect(await notes(id)).toEqual(['1:short:1', '1:short:2', '1:skipped']);
    expect(await transferCount(id)).toBe(0);
    const next = await database.db.query(`SELECT next_n, state FROM schedules WHERE id = $1`, [id]);
    expect(next.rows[0]).toMatchObject({ next_n: 2, state: 'active' });
    await database.db.transaction((tx) => core.schedules.cancel(tx, { personId: gran.id, scheduleId: id }));
  });

  it('a duplicate job or a replayed run never pays an occurrence twice', async () => {
    const aunt = await person(core, 'aunt_rec4', 20_00n);
    const kid = await person(core, 'kid_rec4');
    const id = await activated(aunt, kid, rule('FREQ=MINUTELY;INTERVAL=10', 2));
    await waitFor('the first run', async () => (await runs(id)).length === 1);
    const key = `schedule.run:${id}:1`;
    const row = (await database.db.query(`SELECT id FROM outbox WHERE key = $1`, [key])).rows[0];
    // The same job again (a redelivery after a crash, or the sweeper re-adding it): the row is done.
    await workers.queues.recurring.add(
      'schedule.run',
      { outboxId: String(row?.id), key },
      { jobId: jobIdFor(key), removeOnComplete: true },
    );
    await waitFor('the duplicate job to finish', async () => !(await workers.queues.recurring.getJob(jobIdFor(key))));
    // The handler itself, replayed for the same occurrence and try: it finds the occurrence moved on.
    expect(await core.schedules.run(database.db, id, 1, 1)).toMatchObject({ type: 'noop', reason: 'Resolved' });
    expect(await transfersOf(id)).toEqual([`schedule:${id}:1`]);
    expect(await available(core, kid)).toBe(3_00n);
    await database.db.transaction((tx) => core.schedules.cancel(tx, { personId: aunt.id, scheduleId: id }));
  });

  it('shared: one sibling short moves nothing and all are told who; after a top-up the retry pays every share once, a duplicate job included', async () => {
    const group = { ...CHAT, kind: 'group' as const };
    const ann = await person(core, 'ann_rec6', 10_00n);
    const ben = await person(core, 'ben_rec6', 1_00n);
    const chen = await person(core, 'chen_rec6', 10_00n);
    const mum = await person(core, 'mum_rec6');
    const created = await database.db.transaction((tx) =>
      core.funds.create(tx, { key: ref('fund'), creator: ann, chat: group, name: 'parents_rec6', currency: 'USD' }),
    );
    expect(created).toMatchObject({ type: 'created' });
    for (const member of [ben, chen])
      await database.db.transaction((tx) =>
        core.funds.members(tx, { person: ann, chat: group, name: 'parents_rec6', change: { op: 'add', member } }),
      );
    const key = ref('tg:every');
    const { outcome } = await once(database.db, { key, personId: ann.id, command: 'every' }, async (tx) =>
      toWire(
        await core.schedules.create(tx, {
          key,
          payer: ann,
          payee: { personId: mum.id },
          amount: { minor: 6_00n, currency: 'USD' },
          spec: rule('FREQ=MINUTELY;INTERVAL=10', 2),
          chat: CHAT,
          shares: {
            fund: 'parents_rec6',
            payers: [
              { payer: { personId: ann.id }, weight: 1 },
              { payer: { personId: ben.id }, weight: 1 },
              { payer: { personId: chen.id }, weight: 2 },
            ],
          },
        }),
      ),
    );
    if (outcome.type !== 'shared') throw new Error(`no shared card: ${JSON.stringify(outcome)}`);
    const id = BigInt(outcome.scheduleId);
    for (const share of outcome.shares) {
      const who = [ann, ben, chen].find((p) => p.id.toString() === share.personId);
      if (!who || share.actionId === null) throw new Error('a sibling without a button');
      await press(core, who, share.actionId);
    }
    await waitFor('the shortfall notices', async () => (await notes(id)).length >= 3);
    expect((await notes(id)).slice(0, 3)).toEqual([
      `1:short:1:${ann.id}`,
      `1:short:1:${ben.id}`,
      `1:short:1:${chen.id}`,
    ]);
    const told = await database.db.query<{ short: string }>(
      `SELECT payload -> 'template' -> 'params' ->> 'short' AS short FROM outbox WHERE key LIKE $1`,
      [`notify:schedule:${id}:1:short:1:%`],
    );
    expect(told.rows.map((r) => r.short)).toEqual(['Ben_rec6', 'Ben_rec6', 'Ben_rec6']);
    expect(await transferCount(id)).toBe(0);
    expect([await available(core, ann), await available(core, ben), await available(core, chen)]).toEqual([
      10_00n,
      1_00n,
      10_00n,
    ]);

    await fund(core, ben, 5_00n);
    await waitFor('the retried run', async () => (await runs(id)).length === 1, 20_000);
    const [run] = await runs(id);
    expect(run).toMatchObject({ n: 1, state: 'paid', paid: true });
    const tries = run?.tries ?? 0;
    expect(tries).toBeGreaterThanOrEqual(2); // paid on a retry, not on the first try
    // The paying try's job again (a redelivery): the occurrence has moved on, nothing more is paid.
    const retryKey = `schedule.run:${id}:1.${tries}`;
    const row = (await database.db.query(`SELECT id FROM outbox WHERE key = $1`, [retryKey])).rows[0];
    await workers.queues.recurring.add(
      'schedule.run',
      { outboxId: String(row?.id), key: retryKey },
      { jobId: jobIdFor(retryKey), removeOnComplete: true },
    );
    await waitFor(
      'the duplicate job to finish',
      async () => !(await workers.queues.recurring.getJob(jobIdFor(retryKey))),
    );
    expect(await core.schedules.run(database.db, id, 1, tries)).toMatchObject({ type: 'noop', reason: 'Resolved' });
    expect(await transfersOf(id)).toEqual([`schedule:${id}:1#0`, `schedule:${id}:1#1`, `schedule:${id}:1#2`]);
    expect(await available(core, mum)).toBe(6_00n);
    expect([await available(core, ann), await available(core, ben), await available(core, chen)]).toEqual([
      8_50n,
      4_50n,
      7_00n,
    ]);
    await database.db.transaction((tx) => core.schedules.cancel(tx, { personId: chen.id, scheduleId: id }));
  });

  it('/cancel stops the runs; someone else cannot cancel', async () => {
    const uncle = await person(core, 'uncle_rec5', 20_00n);
    const kid = await person(core, 'kid_rec5');
    const id = await activated(uncle, kid, rule('FREQ=SECONDLY;INTERVAL=3', 10));
    await waitFor('the first run', async () => (await runs(id)).length >= 1);
    expect(
      await database.db.transaction((tx) => core.schedules.cancel(tx, { personId: kid.id, scheduleId: id })),
    ).toEqual({ type: 'rejected', error: 'NotYourSchedule' });
    const cancelled = await database.db.transaction((tx) =>
      core.schedules.cancel(tx, { personId: uncle.id, scheduleId: id }),
    );
    expect(cancelled).toMatchObject({ type: 'cancelled' });
    const paid = (await runs(id)).length;
    const pending = await database.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE state = 'pending' AND kind LIKE 'schedule.%' AND payload ->> 'scheduleId' = $1`,
      [id.toString()],
    );
    expect(pending.rows[0]?.n).toBe(0);
    // Past the next due time: nothing more ran.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await runs(id)).toHaveLength(paid);
    expect(await transferCount(id)).toBe(paid);
    expect(await scheduleState(id)).toBe('cancelled');
  });
});
