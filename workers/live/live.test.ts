/**
 * Live messages end to end, against real Postgres and Redis and the real Telegram transport talking to the fake
 * Bot API: a burst of changes costs one or two edits, an edit runs once, and nothing changed during an edit is
 * lost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../../config/env.js';
import { liveEditKey, postLive, readLive, touchLive, type LiveView } from '../../core/live/index.js';
import { FakeTelegramApi } from '../../test/fakes/telegram-api.js';
import { startHarness, TOKEN, type Harness } from '../../test/fakes/telegram-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
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
  type DriverName,
  type RedisFactory,
} from '../../test/support/workers.js';
import { isMessageGone, apiFailure } from '../../bots/telegram/index.js';
import { MessageGone, startWorkers, type RunningWorkers } from '../index.js';
import { jobOptions } from '../queues.js';

const redisUrl = loadTestEnv().redisUrl;
const GROUP = { id: -100_555, type: 'supergroup', title: 'Live' };
const alice = { id: 111, is_bot: false, first_name: 'Alice' };

let database: TestDatabase;
let redis: RedisFactory;
let fake: FakeTelegramApi;
let harness: Harness;
let workers: RunningWorkers | undefined;
/** The delivery of the describe block running (BullMQ on Redis, or in-process). */
let driver: DriverName = 'bullmq';
const prefixes: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase(8);
  redis = redisFactory(redisUrl);
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await harness.stop(true);
});
afterAll(async () => {
  await redis.close();
  for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
  await database.drop();
});

const roster = (count: number, text?: string): LiveView => ({
  template: { key: 'roster', params: { count: String(count), ...(text !== undefined ? { text } : {}) } },
  locale: 'en',
  timeZone: 'UTC',
});

/** The Telegram transport, the workers with a Telegram editor over it, and a posted live message `ref`. */
async function start(ref: string): Promise<void> {
  fake = new FakeTelegramApi({ token: TOKEN, limits: false });
  await fake.listen();
  harness = await startHarness({ db: database.db, mode: 'webhook', fake, publicUrl: false });
  const prefix = uniquePrefix('live');
  prefixes.push(prefix);
  const transport = harness.transport;
  workers = await startWorkers({
    db: database.db,
    redis: redisFor(driver, redis),
    log: recordingLog(),
    handlers: {},
    notifier: { directory: fixedDirectory(), renderer: plainRenderer, senders: {} },
    live: {
      editors: {
        telegram: {
          async edit(chatId, messageId, message) {
            try {
              await transport.edit(chatId, messageId, message);
            } catch (err) {
              if (isMessageGone(apiFailure(err))) throw new MessageGone('gone');
              throw err;
            }
          },
          post: (chatId, message) => transport.send(chatId, message),
        },
      },
      renderer: {
        render: (view) => ({ text: view.template.params?.text ?? `roster of ${view.template.params?.count ?? '?'}` }),
      },
    },
    prefix,
    relay: { everyMs: 50, sweepEveryMs: 3_600_000 },
  });
  // The feature creates the object and its live row, then the command posts it (the `live` effect).
  const { version } = await touchLive(database.db, ref, roster(0));
  expect(await harness.post(fake.message(alice, GROUP, `/live ${ref} ${version}`))).toBe(200);
  await waitFor('the live message to be posted and bound', async () => (await readLive(database.db, ref))?.place);
}

const edits = () => fake.sent('editMessageText');
const shown = async (ref: string) => {
  const live = await readLive(database.db, ref);
  return live !== undefined && live.shownVersion === live.version;
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 2_500));

describe.each(DRIVERS)('live messages on Telegram (%s)', (name) => {
  beforeAll(() => {
    driver = name;
  });

  it('50 changes within a second cost one or two edits, and the message shows the last one', async () => {
    const ref = `collection:${Date.now()}`;
    await start(ref);
    const [post] = fake.sent('sendMessage');
    expect(post?.params).toMatchObject({ chat_id: GROUP.id, text: `live ${ref}` });

    for (let i = 1; i <= 50; i++) {
      await database.db.transaction((tx) => touchLive(tx, ref, roster(i)));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await waitFor('the last change to be shown', () => shown(ref));
    await settle(); // nothing else is on its way
    expect(edits().length).toBeGreaterThanOrEqual(1);
    expect(edits().length).toBeLessThanOrEqual(2);
    const last = edits().at(-1)!;
    expect(last.params).toMatchObject({ chat_id: GROUP.id, text: 'roster of 50' });
    expect(String(last.params.message_id)).toBe((await readLive(database.db, ref))?.place?.messageId);
  }, 30_000);

  it('a live message a worker posts lands in its chat once, is bound, and later changes edit it', async () => {
    await start(`first:${Date.now()}`);
    const ref = `card:${Date.now()}`;
    await database.db.transaction((tx) =>
      postLive(tx, { ref, view: roster(7), platform: 'telegram', chatId: String(GROUP.id) }),
    );
    await waitFor('the card to be posted and bound', async () => (await readLive(database.db, ref))?.place);
    const posts = fake.sent('sendMessage').filter((c) => c.params.text === 'roster of 7');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.params.chat_id).toBe(GROUP.id);
    await touchLive(database.db, ref, roster(8));
    await waitFor('the change to be shown', () => shown(ref));
    const last = edits().at(-1)!;
    expect(last.params).toMatchObject({ chat_id: GROUP.id, text: 'roster of 8' });
    expect(String(last.params.message_id)).toBe((await readLive(database.db, ref))?.place?.messageId);
  }, 30_000);

  it('an edit job run twice edits once', async () => {
    const ref = `redpacket:${Date.now()}`;
    await start(ref);
    await touchLive(database.db, ref, roster(1));
    await waitFor('the edit', () => shown(ref));
    expect(edits()).toHaveLength(1);

    // The same job again (a duplicate from the sweeper, a re-add after Redis lost it): its row is done.
    const key = liveEditKey(ref, 2n);
    const row = await database.db.query<{ id: string }>(`SELECT id::text FROM outbox WHERE key = $1`, [key]);
    const job = await workers!.queues.live.add(
      'live.edit',
      { outboxId: row.rows[0]!.id, key },
      jobOptions(`${key}:again`, 0, { attempts: 1, backoffMs: 100 }),
    );
    await waitFor('the second run to finish', async () => (await workers!.queues.live.getJob(job.id!)) === undefined);
    expect(edits()).toHaveLength(1);
  }, 30_000);

  it('a change made while an edit is in flight is shown by a later edit', async () => {
    const ref = `vote:${Date.now()}`;
    await start(ref);
    const release = fake.hold('editMessageText');
    await touchLive(database.db, ref, roster(1));
    await fake.waitFor(() => fake.held('editMessageText') === 1, 10_000, 'the edit in flight');
    await touchLive(database.db, ref, roster(2));
    release();
    await waitFor('the second change to be shown', () => shown(ref));
    expect(edits().map((c) => c.params.text)).toEqual(['roster of 1', 'roster of 2']);
  }, 30_000);

  it('a text longer than a Telegram message is cut to fit, and a message deleted meanwhile ends its edits', async () => {
    const ref = `long:${Date.now()}`;
    await start(ref);
    await touchLive(database.db, ref, roster(1, `${'x'.repeat(99)}\n`.repeat(50)));
    await waitFor('the edit', () => shown(ref));
    const text = String(edits()[0]?.params.text);
    expect(text).toHaveLength(4096);
    expect(text.endsWith('…')).toBe(true);
    fake.failNext('editMessageText', { error_code: 400, description: 'Bad Request: message to edit not found' });
    await touchLive(database.db, ref, roster(6));
    await waitFor('the edit job to end', async () => {
      const r = await database.db.query<{ state: string }>(`SELECT state FROM outbox WHERE key = $1`, [
        liveEditKey(ref, 3n),
      ]);
      return r.rows[0]?.state === 'done';
    });
    expect(fake.calls.filter((c) => c.method === 'editMessageText')).toHaveLength(2);
  }, 30_000);
});
