import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { FakeTelegramApi, type FakeLimits } from '../../test/fakes/telegram-api.js';
import {
  captureLogs,
  EchoLayer,
  inboxStates,
  SECRET,
  startHarness,
  TOKEN,
  type Harness,
} from '../../test/fakes/telegram-harness.js';
import { createTelegramTransport } from './index.js';
import { receive } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/ledger/model.js';

let t: TestDatabase;
const running: Harness[] = [];
const fakes: FakeTelegramApi[] = [];

beforeAll(async () => {
  t = await createTestDatabase(8);
});
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.stop();
    // Neither the bot token nor the webhook secret ever reaches a log line.
    for (const secret of [TOKEN, TOKEN.split(':')[1]!, SECRET]) expect(h.logs.text()).not.toContain(secret);
  }
  for (const f of fakes.splice(0)) await f.close();
});
afterAll(async () => {
  await t.drop();
});

async function fakeApi(limits: FakeLimits | false = false): Promise<FakeTelegramApi> {
  const fake = new FakeTelegramApi({ token: TOKEN, limits });
  await fake.listen();
  fakes.push(fake);
  return fake;
}

async function harness(options: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(options);
  running.push(h);
  return h;
}

const alice = { id: 111, is_bot: false, first_name: 'Alice' };
const dmWith = (user: { id: number; first_name: string }) => ({
  id: user.id,
  type: 'private',
  first_name: user.first_name,
});
const keyOf = (u: { update_id: number }) => `tg:123456789:${u.update_id}`;

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('long polling', () => {
  it('fetches updates, stores and processes each, and confirms the offset (T5)', async () => {
    const fake = await fakeApi();
    const updates = [1, 2, 3].map((i) => fake.message(alice, dmWith(alice), `/pay ${i}`));
    fake.enqueueUpdates(...updates);
    const h = await harness({ db: t.db, mode: 'polling', fake });
    await fake.waitFor(() => fake.sent('sendMessage').length === 3, 5_000, 'three replies');
    expect(fake.sent('sendMessage').map((c) => c.params.text)).toEqual(['pay: 1', 'pay: 2', 'pay: 3']);
    await fake.waitFor(() => fake.confirmedOffset > updates[2]!.update_id, 5_000, 'the offset confirmation');
    expect(fake.unconfirmed).toBe(0);
    expect(fake.sent('deleteWebhook')).toHaveLength(1);
    await h.transport.idle();
    const states = await inboxStates(t.db);
    expect(updates.map((u) => states[keyOf(u)])).toEqual(['done', 'done', 'done']);

    // Later updates reach the waiting long poll.
    const later = fake.message(alice, dmWith(alice), '/pay 4');
    fake.enqueueUpdates(later);
    await fake.waitFor(() => fake.sent('sendMessage').length === 4, 5_000, 'the fourth reply');
    expect(h.layer.commands().map((e) => e.args)).toEqual(['1', '2', '3', '4']);
  });

  it('a second poller on the same token gets 409, says so in one clear line and processes nothing (F13)', async () => {
    const fake = await fakeApi();
    fake.pollingConflict = true;
    const update = fake.message(alice, dmWith(alice), '/pay 1');
    fake.enqueueUpdates(update);
    const h = await harness({ db: t.db, mode: 'polling', fake });
    await until(() => h.logs.text().includes('409 Conflict'), 5_000, 'the 409 log line');
    const line = h.logs.lines().find((l) => String(l.msg).includes('409 Conflict'));
    expect(line).toMatchObject({ level: 50, apiError: { code: 409 } });
    expect(h.layer.events).toEqual([]);
    expect((await inboxStates(t.db))[keyOf(update)]).toBeUndefined();
  });

  it('a failing command neither stops polling nor is silently confirmed: it is retried, then dead-lettered (F4)', async () => {
    const fake = await fakeApi();
    const failing = fake.message(alice, dmWith(alice), '/fail');
    fake.enqueueUpdates(failing);
    const h = await harness({
      db: t.db,
      mode: 'polling',
      fake,
      transport: { inbox: { maxAttempts: 2, retryDelayMs: () => 50, graceMs: 0, sweepEveryMs: 50 } },
    });
    await until(async () => (await inboxStates(t.db))[keyOf(failing)] === 'failed', 5_000, 'the dead letter');
    expect(h.layer.commands().filter((e) => e.key === keyOf(failing))).toHaveLength(2);
    const after = fake.message(alice, dmWith(alice), '/pay 9');
    fake.enqueueUpdates(after);
    await fake.waitFor(() => fake.sent('sendMessage').some((c) => c.params.text === 'pay: 9'), 5_000, 'a later reply');
    expect(h.logs.text()).toContain('inbox: row dead-lettered after its last attempt');
    expect(h.logs.text()).not.toContain('Unhandled error while processing');
  });
});

describe('restart', () => {
  it('an update stored but never processed is processed exactly once after the transport restarts (F2)', async () => {
    const fake = await fakeApi();
    const update = fake.message(alice, dmWith(alice), '/pay 7');
    // The previous process stored it, answered 200 and died before processing.
    await receive(t.db, { key: keyOf(update), platform: 'telegram', payload: update as unknown as JsonValue });
    const layer = new EchoLayer();

    const first = await harness({ db: t.db, mode: 'webhook', fake, layer, publicUrl: false });
    await fake.waitFor(() => fake.sent('sendMessage').length === 1, 5_000, 'the recovered reply');
    await first.transport.idle();
    await first.stop();
    running.splice(running.indexOf(first), 1);

    // Telegram redelivers it (its 200 may have been lost) and the app restarts again: no second effect.
    const second = await harness({ db: t.db, mode: 'webhook', fake, layer, publicUrl: false });
    expect(await second.post(update)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await second.transport.idle();
    expect(fake.sent('sendMessage').map((c) => c.params.text)).toEqual(['pay: 7']);
    expect(layer.events.filter((e) => e.type === 'command' && e.key === keyOf(update))).toHaveLength(1);
    expect((await inboxStates(t.db))[keyOf(update)]).toBe('done');
  });
});

describe('outbound limits against the fake Bot API (T8, A3)', () => {
  // The real limits shrunk in time, the same on both sides, so the test takes seconds rather than minutes.
  const limits = {
    perChat: { limit: 1, windowMs: 100 },
    perGroup: { limit: 20, windowMs: 2_000 },
    global: { limit: 30, windowMs: 1_000 },
  };

  it('60 messages to one group and 100 across chats go out without a single 429', async () => {
    const fake = await fakeApi(limits);
    const h = await harness({ db: t.db, mode: 'webhook', fake, publicUrl: false, transport: { limits, safetyMs: 20 } });
    const group = { id: -100777, type: 'supergroup', title: 'Busy' };
    expect(await h.post(fake.message(alice, group, '/spam 60'))).toBe(200);
    const people = Array.from({ length: 100 }, (_, i) => ({ id: 5_000 + i, is_bot: false, first_name: `P${i}` }));
    const statuses = await Promise.all(people.map((p) => h.post(fake.message(p, dmWith(p), `/pay ${p.id}`))));
    expect(statuses.every((s) => s === 200)).toBe(true);

    await fake.waitFor(() => fake.sent('sendMessage').length === 160, 30_000, '160 messages');
    expect(fake.rateLimited).toBe(0);
    const groupTexts = fake
      .sent('sendMessage')
      .filter((c) => c.params.chat_id === -100777)
      .map((c) => c.params.text);
    expect(groupTexts).toEqual(Array.from({ length: 60 }, (_, i) => `message ${i + 1}`));

    // An independent look at the recorded times.
    const times = (chat?: number) =>
      fake
        .sent('sendMessage')
        .filter((c) => chat === undefined || c.params.chat_id === chat)
        .map((c) => c.at);
    const maxIn = (ts: number[], windowMs: number) =>
      Math.max(...ts.map((s) => ts.filter((x) => x >= s && x < s + windowMs).length));
    expect(maxIn(times(-100777), 2_000)).toBeLessThanOrEqual(20);
    expect(maxIn(times(-100777), 100)).toBe(1);
    expect(maxIn(times(), 1_000)).toBeLessThanOrEqual(30);
  }, 60_000);

  it('recovers after retry_after when Telegram is stricter than our budget, keeping the order', async () => {
    const fake = await fakeApi({ ...limits, perChat: { limit: 1, windowMs: 1_000 } });
    const h = await harness({
      db: t.db,
      mode: 'webhook',
      fake,
      publicUrl: false,
      transport: { limits: { ...limits, perChat: { limit: 1, windowMs: 10 } } },
    });
    expect(await h.post(fake.message(alice, dmWith(alice), '/spam 3'))).toBe(200);
    await fake.waitFor(() => fake.sent('sendMessage').length === 3, 15_000, 'three messages');
    expect(fake.rateLimited).toBeGreaterThan(0);
    expect(fake.sent('sendMessage').map((c) => c.params.text)).toEqual(['message 1', 'message 2', 'message 3']);
    await h.transport.idle(); // the fake counts a send before its response reaches us
    expect(h.transport.outboundStats()).toMatchObject({ sent: 3, failed: 0 });
  }, 30_000);
});

describe('start', () => {
  it('fails with one line, naming the call and not the token, when Telegram refuses the token', async () => {
    const fake = await fakeApi();
    const logs = captureLogs();
    const wrong = ['987654321', 'AAH-a-token-the-fake-does-not-know-0000'].join(':');
    const transport = createTelegramTransport({
      config: {
        telegramBotToken: wrong,
        telegramApiRoot: fake.apiRoot,
        telegramWebhookSecret: SECRET,
        publicUrl: 'http://127.0.0.1:1',
        defaultLocale: 'en',
      },
      db: t.db,
      log: logs.log,
      layer: new EchoLayer(),
      commands: [],
    });
    expect(transport).toMatchObject({ botId: '987654321', mode: 'webhook' });
    const err = await transport.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('telegram: getMe failed: 401 Unauthorized');
    await transport.stop();
    expect(logs.text()).not.toContain(wrong.split(':')[1]!);
  });

  it('chooses long polling without a webhook secret, and takes the bot id from the token', () => {
    const transport = createTelegramTransport({
      config: {
        telegramBotToken: TOKEN,
        telegramApiRoot: 'http://127.0.0.1:1',
        telegramWebhookSecret: undefined,
        publicUrl: undefined,
        defaultLocale: 'en',
      },
      db: t.db,
      log: captureLogs().log,
      layer: new EchoLayer(),
      commands: [],
    });
    expect(transport).toMatchObject({ botId: '123456789', mode: 'polling', router: undefined });
  });
});

describe('a Bot API call that hangs', () => {
  it('is aborted after the call timeout instead of holding its chat for telegraf’s 500 s', async () => {
    const fake = await fakeApi();
    const h = await harness({ db: t.db, mode: 'webhook', fake, transport: { callTimeoutMs: 300 } });
    const release = fake.hold('sendMessage');
    // Aborted by our signal (telegraf's own limit would end it as a network timeout, 500 s later).
    await expect(h.transport.send(String(alice.id), { text: 'hello' })).rejects.toThrow(/abort/i);
    release();
    await h.transport.send(String(alice.id), { text: 'again' });
    expect(fake.sent('sendMessage').map((c) => c.params.text)).toContain('again');
  });
});
