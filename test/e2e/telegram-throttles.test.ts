/**
 * Per-person limits through the real app (`chipin start`, Telegram webhook, fake Bot API, Redis): with
 * RATE_MONEY_PER_MINUTE=3, the fourth command that writes within a minute is refused with when to try again, and
 * moves nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
  telegramWorld,
  transfersOfUpdate,
  waitForSent,
  withTextMention,
  type TgUser,
} from '../support/app.js';

describe('per-person limits through the real app', () => {
  const world = telegramWorld({ env: { RATE_MONEY_PER_MINUTE: '3' } });
  let ann: TgUser;
  let bob: TgUser;

  beforeAll(async () => {
    const { fake } = world;
    ann = fake.user(5_900_001, 'Ann', { username: 'ann_throttle', language_code: 'en' });
    bob = fake.user(5_900_002, 'Bob', { username: 'bob_throttle', language_code: 'en' });
    await world.post(fake.message(bob, fake.privateChat(bob), '/start'));
    await waitForSent(fake, bob.id, () => true);
  });

  it('a person who sends too many payments in a minute is told to wait, and nothing moves', async () => {
    const { fake, database } = world;
    await world.fund(ann, 50); // the first of the three
    const pay = async (n: number) => {
      const update = withTextMention(fake, ann, fake.privateChat(ann), 'pay', bob, `1 coffee ${n}`);
      await world.post(update);
      const [reply] = await waitForSent(
        fake,
        ann.id,
        (m) => m.text.includes(`coffee ${n}`) || /try again/.test(m.text),
      );
      return { update, reply: reply?.text ?? '' };
    };
    expect((await pay(1)).reply).toContain('coffee 1');
    expect((await pay(2)).reply).toContain('coffee 2');
    const refused = await pay(3);
    expect(refused.reply).toMatch(/Nothing was done; try again in \d+ s\./);
    expect(await transfersOfUpdate(database.db, refused.update)).toBe(0);
    expect((await balanceOf(database.db, ann.id)).available).toBe(48_00n);
  });
});
