/**
 * The notifications worker against real Postgres, on both drivers (BullMQ on real Redis, where the limits and the
 * reminder cap are counted too, and the in-process queues without Redis, where they are counted in memory), with a
 * recording Sender standing in for the platform (it enforces the platform's limits and answers 429 when they are
 * exceeded).
 */
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutMessage } from '../../bots/commands/types.js';
import { loadTestEnv } from '../../config/env.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import {
  DRIVERS,
  dbNow,
  dropPrefix,
  fixedDirectory,
  insertNotifications,
  plainRenderer,
  recordingLog,
  redisFactory,
  redisFor,
  uniquePrefix,
  waitFor,
  type RedisFactory,
} from '../../test/support/workers.js';
import { startWorkers, type RunningWorkers, type StartWorkersOptions } from '../index.js';
import { Blocked, RateLimited, type Directory, type Sender } from './ports.js';
import { localSecondOfDay } from '../../core/people/index.js';

const redisUrl = loadTestEnv().redisUrl;

interface Sent {
  chatId: string;
  text: string;
  buttons: OutMessage['buttons'];
  at: number;
  messageId: string;
}

/** A platform that records what it accepts and refuses (429) what exceeds its limits. */
function fakePlatform(limits: { perChatMs: number; perSecond: number }) {
  const sent: Sent[] = [];
  const attempts: Array<{ chatId: string; at: number; outcome: 'sent' | 'refused' | 'scripted' }> = [];
  const violations: string[] = [];
  const scripted = new Map<string, Error[]>();
  const sender: Sender = {
    send(chatId, message) {
      const at = Date.now();
      const failure = scripted.get(chatId)?.shift();
      if (failure) {
        attempts.push({ chatId, at, outcome: 'scripted' });
        return Promise.reject(failure);
      }
      const last = sent.filter((s) => s.chatId === chatId).at(-1);
      if (last && at - last.at < limits.perChatMs) {
        violations.push(`chat ${chatId}: ${at - last.at} ms after the previous message`);
        attempts.push({ chatId, at, outcome: 'refused' });
        return Promise.reject(new RateLimited(limits.perChatMs - (at - last.at)));
      }
      const inWindow = sent.filter((s) => s.at > at - 1_000).length;
      if (inWindow >= limits.perSecond) {
        violations.push(`${inWindow + 1} messages within one second`);
        attempts.push({ chatId, at, outcome: 'refused' });
        return Promise.reject(new RateLimited(1_000, 'global'));
      }
      const messageId = String(sent.length + 1);
      sent.push({ chatId, text: message.text, buttons: message.buttons, at, messageId });
      attempts.push({ chatId, at, outcome: 'sent' });
      return Promise.resolve({ messageId });
    },
  };
  /** The next sends to `chatId` fail with these errors, in order. */
  const failNext = (chatId: string, ...errors: Error[]) => scripted.set(chatId, errors);
  return { sender, sent, attempts, violations, failNext };
}

/** Minutes after local midnight in `timezone` at `ms`, shifted by `offsetSeconds` (fractions: seconds). */
function localMinute(ms: number, timezone: string, offsetSeconds: number): number {
  return ((((localSecondOfDay(ms, timezone) + offsetSeconds) % 86_400) + 86_400) % 86_400) / 60;
}

describe.each(DRIVERS)('notifications (%s)', (driver) => {
  let database: TestDatabase;
  let redis: RedisFactory;
  let running: RunningWorkers | undefined;
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(8);
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

  async function start(sender: Sender, directory: Directory, extra: Partial<StartWorkersOptions> = {}) {
    const prefix = uniquePrefix('notify');
    prefixes.push(prefix);
    const log = recordingLog();
    running = await startWorkers({
      db: database.db,
      redis: redisFor(driver, redis),
      log,
      handlers: {},
      notifier: { directory, renderer: plainRenderer, senders: { telegram: sender } },
      prefix,
      relay: { everyMs: 100, sweepEveryMs: 60_000 },
      rates: { perChatMs: 1_000, globalPerSecond: 0 },
      ...extra,
    });
    return { log, workers: running };
  }

  const rows = async (keyPrefix: string) =>
    (
      await database.db.query<{
        key: string;
        state: string;
        due_at: Date;
        last_error: string | null;
        attempts: number;
      }>(`SELECT key, state, due_at, last_error, attempts FROM outbox WHERE key LIKE $1 ORDER BY key`, [
        `${keyPrefix}%`,
      ])
    ).rows;
  const sentRecords = async (keyPrefix: string) =>
    (
      await database.db.query<{ outbox_key: string; chat_id: string; message_id: string }>(
        `SELECT outbox_key, chat_id, message_id FROM sent_messages WHERE outbox_key LIKE $1 ORDER BY outbox_key`,
        [`${keyPrefix}%`],
      )
    ).rows;
  const allDone = (keyPrefix: string) => async () => (await rows(keyPrefix)).every((r) => r.state !== 'pending');

  it('a notification due in quiet hours waits for their end, and the ones held there go out as one digest', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    const now = await dbNow(database.db);
    const timezone = 'Asia/Shanghai';
    // Quiet since a minute ago, until 3 s from now, in the person's own time zone.
    const quietHours = { start: localMinute(now, timezone, -60), end: localMinute(now, timezone, 3) };
    const quietEnds = now + 3_000;
    await start(
      platform.sender,
      fixedDirectory((id) => (id === 7n ? { timezone, quietHours } : {})),
    );
    const k = `notify:quiet:${now}:`;
    await insertNotifications(database.db, [
      { personId: 7, key: `${k}a`, dueAt: new Date(now - 2_000), n: 1 },
      { personId: 7, key: `${k}b`, dueAt: new Date(now - 1_000), n: 2 },
      { personId: 7, key: `${k}c`, dueAt: new Date(now), n: 3 },
      { personId: 8, key: `${k}other`, dueAt: new Date(now), n: 4 },
    ]);

    // Someone without quiet hours hears at once; the quiet person's rows moved to the end of their quiet hours.
    await waitFor('the message to person 8', () => platform.sent.some((s) => s.chatId === 'chat-8'));
    await waitFor('the rows moved', async () =>
      (await rows(`${k}`))
        .filter((r) => r.key !== `${k}other`)
        .every((r) => Math.abs(r.due_at.getTime() - quietEnds) < 1_000),
    );
    expect(platform.sent.filter((s) => s.chatId === 'chat-7')).toEqual([]);
    expect((await rows(k)).filter((r) => r.state === 'pending')).toHaveLength(3);

    await waitFor('the digest', allDone(k), 15_000);
    const toQuiet = platform.sent.filter((s) => s.chatId === 'chat-7');
    expect(toQuiet).toHaveLength(1);
    expect(toQuiet[0]?.at).toBeGreaterThanOrEqual(quietEnds - 5);
    expect(toQuiet[0]?.text).toBe(
      ['[en] test.note {"n":"1"}', '[en] test.note {"n":"2"}', '[en] test.note {"n":"3"}'].join('\n\n'),
    );
    const records = await sentRecords(k);
    expect(records.map((r) => [r.outbox_key, r.chat_id])).toEqual([
      [`${k}a`, 'chat-7'],
      [`${k}b`, 'chat-7'],
      [`${k}c`, 'chat-7'],
      [`${k}other`, 'chat-8'],
    ]);
    expect(new Set(records.slice(0, 3).map((r) => r.message_id)).size).toBe(1);
  });
  it('quiet hours hold a reminder but not a "you received money" notice (template flag deferrable)', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    const now = await dbNow(database.db);
    const timezone = 'Europe/Berlin';
    const quietHours = { start: localMinute(now, timezone, -60), end: localMinute(now, timezone, 4) };
    const quietEnds = now + 4_000;
    await start(
      platform.sender,
      fixedDirectory((id) => (id === 17n ? { timezone, quietHours } : {})),
    );
    const k = `notify:deferrable:${now}:`;
    // As core/commands notifyPerson writes them: a reminder (no flag: deferrable) and money received (deferrable: false).
    const row = (key: string, template: object) =>
      database.db.query(`INSERT INTO outbox (key, kind, payload, due_at) VALUES ($1, 'notify', $2::jsonb, now())`, [
        key,
        JSON.stringify({ personId: '17', template }),
      ]);
    await row(`${k}reminder`, { key: 'schedule.notice', params: { n: 'reminder' }, thread: 'schedule:1' });
    await row(`${k}received`, { key: 'schedule.received', params: { n: 'received' }, deferrable: false });

    await waitFor('the received notice', () => platform.sent.some((s) => s.chatId === 'chat-17'));
    const [first] = platform.sent.filter((s) => s.chatId === 'chat-17');
    expect(first?.text).toBe('[en] schedule.received {"n":"received"}');
    expect(first?.at).toBeLessThan(quietEnds); // sent inside the quiet hours
    // The reminder is moved in the batch that sent the notice, which commits just after the send.
    const moved = async () => {
      const reminder = (await rows(`${k}reminder`))[0];
      return reminder?.state === 'pending' && Math.abs(reminder.due_at.getTime() - quietEnds) < 1_000;
    };
    await waitFor('the reminder moved to the end of the quiet hours', moved, 2_000);

    await waitFor('the reminder after the quiet hours', allDone(k), 15_000);
    const toQuiet = platform.sent.filter((s) => s.chatId === 'chat-17');
    expect(toQuiet.map((s) => s.text)).toEqual([
      '[en] schedule.received {"n":"received"}',
      '[en] schedule.notice {"n":"reminder"}',
    ]);
    expect(toQuiet[1]?.at).toBeGreaterThanOrEqual(quietEnds - 5);
  });

  it('several notifications due together for one person are one digest message, with the first one’s buttons', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    const now = await dbNow(database.db);
    const k = `notify:digest:${now}:`;
    await database.db.query(
      `INSERT INTO outbox (key, kind, payload, due_at) VALUES
        ($1, 'notify', '{"personId":"9","template":{"key":"request.nudge","buttons":[[{"labelKey":"pay","actionId":"act1"}]]}}', now() - interval '2 s'),
        ($2, 'notify', '{"personId":"9","template":{"key":"request.expired","buttons":[[{"labelKey":"ask","actionId":"act2"}]]}}', now() - interval '1 s'),
        ($3, 'notify', '{"personId":"9","template":{"key":"money.received","params":{"amount":"5.00 USD"}}}', now())`,
      [`${k}1`, `${k}2`, `${k}3`],
    );
    await start(platform.sender, fixedDirectory());
    await waitFor('the digest', allDone(k));
    expect(platform.sent).toHaveLength(1);
    expect(platform.sent[0]).toMatchObject({
      chatId: 'chat-9',
      text: '[en] request.nudge {}\n\n[en] request.expired {}\n\n[en] money.received {"amount":"5.00 USD"}',
      buttons: [[{ label: 'pay', actionId: 'act1' }]],
    });
    expect(await sentRecords(k)).toHaveLength(3);
  });

  it('never exceeds the per-chat and global rates, and honours retry_after', async () => {
    // The platform allows 1 message per second per chat and 10 per second in all; we pace at 1/s and 8/s.
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 10 });
    platform.failNext('chat-130', new RateLimited(1_500));
    await start(platform.sender, fixedDirectory(), { rates: { perChatMs: 1_000, globalPerSecond: 8 } });
    const now = await dbNow(database.db);
    const k = `notify:rates:${now}:`;
    await insertNotifications(database.db, [
      // A chatty thread: six notifications 300 ms apart to one chat.
      ...Array.from({ length: 6 }, (_, i) => ({ personId: 100, key: `${k}a${i}`, dueAt: new Date(now + i * 300) })),
      // A fan-out: twenty chats at once.
      ...Array.from({ length: 20 }, (_, i) => ({ personId: 101 + i, key: `${k}b${i}`, dueAt: new Date(now) })),
      // A chat the platform answers 429 with retry_after 1.5 s.
      { personId: 130, key: `${k}c`, dueAt: new Date(now) },
    ]);

    await waitFor('every row done', allDone(k), 30_000);
    expect(platform.violations).toEqual([]);
    expect((await rows(k)).map((r) => r.state)).toEqual(Array(27).fill('done'));

    // Each notification went out exactly once: one record each, and no message the records do not account for.
    const records = await sentRecords(k);
    expect(records).toHaveLength(27);
    expect(new Set(records.map((r) => r.message_id)).size).toBe(platform.sent.length);

    // The fan-out waited for the bot's rate without its rows being rewritten: each kept its due time.
    expect((await rows(`${k}b`)).map((r) => r.due_at.getTime())).toEqual(Array(20).fill(new Date(now).getTime()));
    // Per chat: at least 1 s apart (the chatty thread became a few digests).
    const chatty = platform.sent.filter((s) => s.chatId === 'chat-100');
    expect(chatty.length).toBeLessThan(6);
    for (let i = 1; i < chatty.length; i++)
      expect((chatty[i]?.at ?? 0) - (chatty[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    // Global: never more than our 8/s (+1 for a send that lands a few ms after its start) in any second.
    for (const s of platform.sent)
      expect(platform.sent.filter((o) => o.at > s.at - 1_000 && o.at <= s.at).length).toBeLessThanOrEqual(9);
    // retry_after: the next attempt to that chat came at least 1.5 s after the 429.
    const toC = platform.attempts.filter((a) => a.chatId === 'chat-130');
    expect(toC.map((a) => a.outcome)).toEqual(['scripted', 'sent']);
    expect((toC[1]?.at ?? 0) - (toC[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_500);
  });

  it('unreachable (no private chat, a platform not run here, blocked): done without a message, the reason kept', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    platform.failNext('chat-21', new Blocked('Forbidden: bot was blocked by the user'));
    await start(
      platform.sender,
      fixedDirectory((id) => (id === 20n ? null : id === 22n ? { platform: 'discord' } : {})),
    );
    const now = await dbNow(database.db);
    const k = `notify:unreachable:${now}:`;
    await insertNotifications(database.db, [
      { personId: 20, key: `${k}nochat`, dueAt: new Date(now) },
      { personId: 21, key: `${k}blocked`, dueAt: new Date(now) },
      { personId: 22, key: `${k}discord`, dueAt: new Date(now) },
    ]);
    await waitFor('all done', allDone(k));
    expect(await rows(k)).toMatchObject([
      { key: `${k}blocked`, state: 'done', last_error: 'undeliverable: the chat refuses messages' },
      { key: `${k}discord`, state: 'done', last_error: 'undeliverable: no discord sender' },
      { key: `${k}nochat`, state: 'done', last_error: 'undeliverable: no private chat' },
    ]);
    expect(platform.sent).toEqual([]);
    expect(await sentRecords(k)).toEqual([]);
  });

  it('a notice that waits too long behind other sends is withdrawn unsent, due again, and goes out once', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    let queued = 0;
    // A paced sender (Telegram's outbound behind a burst of replies): the first message waits for a turn that comes
    // too late, and is withdrawn when the notifier gives up; later ones go at once.
    const busy: Sender = {
      send(chatId, message, key, signal) {
        if (queued++ > 0) return platform.sender.send(chatId, message, key, signal);
        return new Promise((_, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      },
    };
    const { log } = await start(busy, fixedDirectory(), { notifierOptions: { sendTimeoutMs: 300 } });
    const now = await dbNow(database.db);
    const k = `notify:withdrawn:${now}:`;
    await insertNotifications(database.db, [{ personId: 41, key: `${k}a`, dueAt: new Date(now) }]);
    await waitFor('done', allDone(k), 20_000);
    expect(platform.sent.map((m) => m.chatId)).toEqual(['chat-41']);
    expect(await rows(k)).toMatchObject([{ key: `${k}a`, state: 'done', last_error: null }]);
    expect(log.entries.filter((e) => e.level === 'warn' || e.level === 'error').map((e) => e.msg)).toEqual([]);
    expect(log.entries.map((e) => e.msg)).toContain('notification waited too long for its turn');
  });

  it('stopping withdraws the notices still waiting for their turn: the workers stop at once, the rows stay due', async () => {
    let waiting = 0;
    const withdrawn: string[] = [];
    // A paced sender whose queue never moves (a burst of replies ahead): a message goes only when withdrawn.
    const stuck: Sender = {
      send(_chatId, _message, _key, signal) {
        waiting += 1;
        return new Promise((_, reject) => {
          signal?.addEventListener(
            'abort',
            () => {
              withdrawn.push((signal.reason as Error).message);
              reject(signal.reason as Error);
            },
            { once: true },
          );
        });
      },
    };
    const { workers } = await start(stuck, fixedDirectory());
    const now = await dbNow(database.db);
    const k = `notify:stopping:${now}:`;
    await insertNotifications(database.db, [{ personId: 42, key: `${k}a`, dueAt: new Date(now) }]);
    await waitFor('the notice waiting for its turn', () => waiting > 0);
    await workers.stop();
    running = undefined;
    // Withdrawn by the stop itself, not after the 15 s send timeout.
    expect(withdrawn).toEqual(['the process is stopping']);
    expect(await rows(k)).toMatchObject([{ key: `${k}a`, state: 'pending', attempts: 0 }]);
    // The row would wait for the next process; this file's later workers share the database.
    await database.db.query(`UPDATE outbox SET state = 'cancelled', done_at = now() WHERE key LIKE $1`, [`${k}%`]);
  });

  it('a message handed over by a batch that then failed is not sent again when its rows are retried', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    const directory = fixedDirectory();
    let failures = 1;
    // The second person's lookup fails once, after the first person's message was handed to the platform: the
    // batch rolls back, as it would if the process were killed before its commit.
    await start(platform.sender, {
      async resolve(exec, personId) {
        if (personId === 32n) {
          while (!platform.sent.some((m) => m.chatId === 'chat-31')) await new Promise((r) => setTimeout(r, 5));
          if (failures-- > 0) throw new Error('lookup failed');
        }
        return directory.resolve(exec, personId);
      },
    });
    const now = await dbNow(database.db);
    const k = `notify:interrupted:${now}:`;
    await insertNotifications(database.db, [
      { personId: 31, key: `${k}a`, dueAt: new Date(now - 1) },
      { personId: 32, key: `${k}b`, dueAt: new Date(now) },
    ]);
    await waitFor('all done', allDone(k));
    expect(platform.sent.map((m) => m.chatId).sort()).toEqual(['chat-31', 'chat-32']);
    expect(await rows(k)).toMatchObject([
      { key: `${k}a`, state: 'done', last_error: 'sent before its batch was interrupted' },
      { key: `${k}b`, state: 'done' },
    ]);
    expect((await sentRecords(k)).map((r) => r.chat_id)).toEqual(['chat-31', 'chat-32']);
  });

  it('reminders past the daily cap are skipped and counted, never sent later; urgent notices still go', async () => {
    const platform = fakePlatform({ perChatMs: 0, perSecond: 30 });
    const metrics = new Registry();
    await start(platform.sender, fixedDirectory(), {
      rates: { perChatMs: 0, globalPerSecond: 0 },
      remindersPerDay: 3,
      metrics,
    });
    const now = await dbNow(database.db);
    const k = `notify:cap:${now}:`;
    const urgent = async (key: string) =>
      database.db.query(
        `INSERT INTO outbox (key, kind, payload, due_at)
         VALUES ($1, 'notify', jsonb_build_object('personId', '40', 'template',
           jsonb_build_object('key', 'test.urgent', 'deferrable', false)), now())`,
        [key],
      );
    await insertNotifications(
      database.db,
      [1, 2, 3, 4, 5].map((n) => ({ personId: 40, key: `${k}r${n}`, dueAt: new Date(now + n), n })),
    );
    await urgent(`${k}u1`);
    await waitFor('the first round', allDone(k));
    // One digest: the three oldest reminders and the urgent notice; the two newest reminders are skipped.
    expect(platform.sent).toHaveLength(1);
    expect(platform.sent[0]?.text).toContain('test.urgent');
    expect(platform.sent[0]?.text.match(/test\.note/g)).toHaveLength(3);
    expect(await rows(k)).toMatchObject([
      { key: `${k}r1`, state: 'done', last_error: null },
      { key: `${k}r2`, state: 'done', last_error: null },
      { key: `${k}r3`, state: 'done', last_error: null },
      { key: `${k}r4`, state: 'done', last_error: 'skipped: daily reminder cap reached' },
      { key: `${k}r5`, state: 'done', last_error: 'skipped: daily reminder cap reached' },
      { key: `${k}u1`, state: 'done', last_error: null },
    ]);

    // Later the same day: the count is kept (across ticks; on Redis across processes too).
    await insertNotifications(database.db, [{ personId: 40, key: `${k}r6`, dueAt: new Date(now) }]);
    await urgent(`${k}u2`);
    await waitFor('the second round', allDone(k));
    expect(platform.sent).toHaveLength(2);
    expect(platform.sent[1]?.text).not.toContain('test.note');
    expect((await rows(k)).find((r) => r.key === `${k}r6`)).toMatchObject({
      state: 'done',
      attempts: 1,
      last_error: 'skipped: daily reminder cap reached',
    });
    expect(await sentRecords(k)).toHaveLength(5);
    expect(await metrics.getSingleMetricAsString('chipin_notifications_skipped_total')).toContain(
      'chipin_notifications_skipped_total{reason="reminder_cap"} 3',
    );
  });

  it('a message the platform keeps failing becomes a dead letter, with an error log', async () => {
    const platform = fakePlatform({ perChatMs: 1_000, perSecond: 30 });
    const boom = () => new Error('502 Bad Gateway');
    platform.failNext('chat-30', boom(), boom(), boom(), boom());
    const { log } = await start(platform.sender, fixedDirectory(), {
      retry: { notifications: { attempts: 3, backoffMs: 50 } },
      rates: { perChatMs: 0, globalPerSecond: 0 },
    });
    const now = await dbNow(database.db);
    const k = `notify:dead:${now}:`;
    await insertNotifications(database.db, [{ personId: 30, key: `${k}x`, dueAt: new Date(now) }]);
    await waitFor('the dead letter', allDone(k));
    expect(await rows(k)).toMatchObject([{ state: 'dead', attempts: 3, last_error: 'Error: 502 Bad Gateway' }]);
    expect(platform.attempts.filter((a) => a.chatId === 'chat-30')).toHaveLength(3);
    expect(log.entries.filter((e) => e.level === 'error').map((e) => [e.msg, e.obj.key])).toContainEqual([
      'outbox job failed for good: dead letter',
      `${k}x`,
    ]);
  });
  it('however many ticks drain at once, the notifications hold at most `inFlight` pooled connections', async () => {
    // Sends hang until released, so every batch that starts stays open, holding its connection.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    const sender: Sender = {
      async send() {
        sends += 1;
        await gate;
        return { messageId: String(sends) };
      },
    };
    const { workers } = await start(sender, fixedDirectory(), {
      concurrency: { notifications: 8 },
      notifierOptions: { batch: 2, inFlight: 2 },
      rates: { perChatMs: 0, globalPerSecond: 0 },
    });
    const now = await dbNow(database.db);
    const k = `notify:pool:${now}:`;
    // 40 people, due over 8 different past seconds: 8 ticks, all running at once.
    await insertNotifications(
      database.db,
      Array.from({ length: 40 }, (_, i) => ({
        personId: 400 + i,
        key: `${k}${i}`,
        dueAt: new Date(now - (i % 8) * 1_000),
      })),
    );
    try {
      await waitFor(
        '8 ticks running',
        async () => (await workers.queues.notifications.getJobCountByTypes('active')) === 8,
      );
      await waitFor('batches sending', () => sends >= 4);
      const open = async () =>
        Number(
          (
            await database.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND state LIKE 'idle in transaction%'
                AND query LIKE 'SELECT outbox_key FROM sent_messages%'`,
            )
          ).rows[0]?.n,
        );
      // Every tick has had its turn to start batches (they are all active); only two batches are open, each
      // waiting in its send after its claim (its last statement: which of its rows were already sent).
      expect(await open()).toBe(2);
      expect(sends).toBe(4);
    } finally {
      release(); // a failed check must not leave the sends hanging
    }
    await waitFor('every row done', allDone(k));
    expect(await sentRecords(k)).toHaveLength(40);
    expect(sends).toBe(40);
  });
  it('a backlog waiting on the bot’s rate is not taken by the sweeper for jobs Redis lost', async () => {
    const platform = fakePlatform({ perChatMs: 0, perSecond: 100 });
    const { log, workers } = await start(platform.sender, fixedDirectory(), {
      rates: { perChatMs: 0, globalPerSecond: 2 },
      relay: { everyMs: 100, sweepEveryMs: 60_000, graceMs: 300 },
    });
    const now = await dbNow(database.db);
    const k = `notify:backlog:${now}:`;
    await insertNotifications(
      database.db,
      Array.from({ length: 10 }, (_, i) => ({ personId: 600 + i, key: `${k}${i}`, dueAt: new Date(now) })),
    );
    // Rows relayed longer ago than the grace period and still pending: the sweeper looks at them.
    await waitFor('a backlog past the grace period', async () => {
      const r = await database.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox
          WHERE key LIKE $1 AND state = 'pending' AND enqueued_at < now() - interval '300 milliseconds'`,
        [`${k}%`],
      );
      return Number(r.rows[0]?.n) >= 3;
    });
    const swept = await workers.sweepNow();
    expect(swept.checked).toBeGreaterThanOrEqual(3);
    expect(swept.rebuilt).toBe(0);
    await waitFor('every row done', allDone(k), 30_000);
    expect(platform.sent).toHaveLength(10);
    expect(log.entries.some((e) => e.msg === 'queue state reset: jobs rebuilt from the outbox')).toBe(false);
  });
});
