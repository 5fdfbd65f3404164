/**
 * Per-person limits in the command layer, over the real layer, ledger and Redis (rate-limiter-flexible): a refusal
 * moves nothing, is recorded as the delivery's outcome and replays as it was; a limiter whose Redis is down lets
 * everything through; with no Redis at all (one in-process chipin) the limits count in memory.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../../config/env.js';
import { available, fund, touch } from '../../test/support/core.js';
import { chatEvents } from '../../test/support/events.js';
import { layerFixture, replyOf } from '../../test/support/layer.js';
import { dropPrefix, recordingLog, uniquePrefix } from '../../test/support/workers.js';
import { createPersonThrottle } from '../../workers/throttles/person.js';
import { createCommandLayer } from './layer.js';
import type { Actor, ChatRef, CommandLayer, Effect } from './types.js';

const redisUrl = loadTestEnv().redisUrl;
const GROUP: ChatRef = { platform: 'telegram', chatId: '-1016', kind: 'group', title: 'Throttles' };
const { person, command, press } = chatEvents({ firstId: 8_600_000, keyPrefix: 'tg:throttle', group: GROUP });

const f = layerFixture();
const prefix = uniquePrefix('throttle');
let redis: Redis;
let layer: CommandLayer;

beforeAll(() => {
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  layer = createCommandLayer({
    core: f.core,
    config: f.config,
    throttle: createPersonThrottle(redis, prefix, { moneyPerMinute: 3, pressesPerMinute: 2 }, recordingLog()),
  });
});

afterAll(async () => {
  redis.disconnect();
  await dropPrefix(redisUrl, prefix);
});

/** `/pay <name> <amount>` naming `to` with a text mention (a bare @username would ask for a confirm tap first). */
function pay(from: Actor, to: Actor, amount: string) {
  const event = command(from, `/pay ${to.displayName} ${amount}`);
  return { ...event, mentions: [{ user: to, offset: 0, length: to.displayName.length }] };
}

const answerOf = (effects: Effect[]) => effects.find((e) => e.type === 'answer');

const transfersBy = async (key: string): Promise<number> =>
  Number((await f.database.db.query(`SELECT count(*) AS n FROM transfers WHERE ref LIKE $1`, [`${key}%`])).rows[0]?.n);

const recordedResult = async (key: string): Promise<unknown> =>
  (await f.database.db.query<{ outcome: unknown }>(`SELECT outcome FROM command_log WHERE key = $1`, [key])).rows[0]
    ?.outcome;

describe('per-person limits', () => {
  it('a person who sends too many payments in a minute is told to wait, and nothing moves', async () => {
    const ann = person('ann');
    const bob = person('bob');
    const annPerson = await touch(f.core, ann);
    await touch(f.core, bob);
    await fund(f.core, annPerson, 100_00n);

    for (let i = 0; i < 3; i++) {
      const { effects } = await layer.handle(pay(ann, bob, '1'));
      expect(replyOf(effects).refusal).toBeUndefined();
    }
    const fourth = pay(ann, bob, '1');
    const refused = await layer.handle(fourth);
    const reply = replyOf(refused.effects);
    expect(reply.refusal).toBe(true);
    expect(reply.message.text).toMatch(/try again in \d+ s/);
    expect(await available(f.core, annPerson)).toBe(97_00n);
    expect(await transfersBy(fourth.key)).toBe(0);
    // Recorded like any refusal: a redelivery of the same update gives the same answer and moves nothing.
    expect(await recordedResult(fourth.key)).toMatchObject({ result: 'throttled:command' });
    expect(await layer.handle(fourth)).toEqual(refused);
    expect(await available(f.core, annPerson)).toBe(97_00n);

    // Commands that only read are not limited; another person has an allowance of their own.
    expect(replyOf((await layer.handle(command(ann, '/balance'))).effects).refusal).toBeUndefined();
    const bobPerson = await touch(f.core, bob);
    await fund(f.core, bobPerson, 10_00n);
    expect(replyOf((await layer.handle(pay(bob, ann, '1'))).effects).refusal).toBeUndefined();
  });

  it('button presses are limited per person likewise, and the refusal replays as it was', async () => {
    const cy = person('cy');
    const presses = [press(cy, 'no-such-button-1'), press(cy, 'no-such-button-2'), press(cy, 'no-such-button-3')];
    const textOf = (effects: Effect[]) => {
      const answer = answerOf(effects);
      return answer?.type === 'answer' ? answer : undefined;
    };
    expect(textOf((await layer.handle(presses[0]!)).effects)?.text).toMatch(/no longer valid/);
    expect(textOf((await layer.handle(presses[1]!)).effects)?.text).toMatch(/no longer valid/);
    const third = await layer.handle(presses[2]!);
    expect(textOf(third.effects)).toMatchObject({ alert: true });
    expect(textOf(third.effects)?.text).toMatch(/Too many taps/);
    expect(await layer.handle(presses[2]!)).toEqual(third);
  });

  it('the refusal is in the person’s language', async () => {
    const di = person('di', 'zh-CN');
    const diPerson = await touch(f.core, di);
    await fund(f.core, diPerson, 10_00n);
    const ann = person('ann');
    await touch(f.core, ann);
    for (let i = 0; i < 3; i++) await layer.handle(pay(di, ann, '1'));
    const { effects } = await layer.handle(pay(di, ann, '1'));
    expect(replyOf(effects).message.text).toMatch(/秒后再试/);
  });

  it('without Redis the limiter lets every payment through and warns', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const log = recordingLog();
    const open = createCommandLayer({
      core: f.core,
      config: f.config,
      throttle: createPersonThrottle(down, prefix, { moneyPerMinute: 1, pressesPerMinute: 1 }, log),
    });
    const ed = person('ed');
    const fay = person('fay');
    const edPerson = await touch(f.core, ed);
    await touch(f.core, fay);
    await fund(f.core, edPerson, 10_00n);
    for (let i = 0; i < 3; i++) {
      const { effects } = await open.handle(pay(ed, fay, '1'));
      expect(replyOf(effects).refusal).toBeUndefined();
    }
    expect(await available(f.core, edPerson)).toBe(7_00n);
    expect(log.entries.filter((e) => e.level === 'warn' && e.msg.includes('rate limiter unavailable'))).toHaveLength(3);
    down.disconnect();
  });

  it('with no Redis at all (one in-process chipin) the limits count in memory: the second payment waits', async () => {
    const log = recordingLog();
    const local = createCommandLayer({
      core: f.core,
      config: f.config,
      throttle: createPersonThrottle(null, prefix, { moneyPerMinute: 1, pressesPerMinute: 1 }, log),
    });
    const gus = person('gus');
    const hal = person('hal');
    const gusPerson = await touch(f.core, gus);
    await touch(f.core, hal);
    await fund(f.core, gusPerson, 10_00n);
    expect(replyOf((await local.handle(pay(gus, hal, '1'))).effects).refusal).toBeUndefined();
    const second = replyOf((await local.handle(pay(gus, hal, '1'))).effects);
    expect(second.refusal).toBe(true);
    expect(second.message.text).toMatch(/try again in \d+ s/);
    expect(await available(f.core, gusPerson)).toBe(9_00n);
    expect(log.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });
});
