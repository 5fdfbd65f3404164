/**
 * A red packet through the real app (`chipin start`: webhook, command layer, workers) and the fake Bot API: the
 * sender's card arrives with a Claim button, two people who never started the bot press it and are answered with
 * their share, the live worker edits the card to show who got how much and the luckiest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { answerOf, balanceOf, editsIn, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('a red packet through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_561_700, type: 'supergroup', title: 'Lunar New Year' };
  let ann: TgUser;
  let ben: TgUser;
  let chen: TgUser;

  beforeAll(async () => {
    ({ database, fake } = world);
    ann = fake.user(5_617_001, 'Ann', { username: 'ann_packet', language_code: 'en' });
    ben = fake.user(5_617_002, 'Ben', { username: 'ben_packet', language_code: 'en' });
    chen = fake.user(5_617_003, 'Chen', { username: 'chen_packet', language_code: 'en' });
    await post(fake.message(ann, fake.privateChat(ann), '/faucet 100'));
    await waitForSent(fake, ann.id, (m) => m.text.includes('100.00 USD'));
  });

  it('two people claim with one tap each and the card shows who got how much', async () => {
    await post(fake.message(ann, group, '/redpacket 10 2 happy new year'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.startsWith('🧧 Red packet from Ann: 10.00 USD'));
    expect(card?.text).toContain('Claimed 0/2');
    expect(card?.text).toContain('happy new year');
    const button = card?.buttons[0];
    expect(button?.text).toBe('🧧 Claim');
    const messageId = card?.messageId ?? 0;

    // Ben and Chen never started the bot: a press is all it takes.
    const benPress = fake.callback(ben, group, messageId, button?.data ?? '');
    await post(benPress);
    const benGot = await answerOf(fake, benPress);
    expect(benGot).toMatch(/^🧧 You got \d+\.\d{2} USD from Ann’s red packet!$/);
    const annPress = fake.callback(ann, group, messageId, button?.data ?? '');
    await post(annPress);
    expect(await answerOf(fake, annPress)).toBe('This is your own red packet: it is for the others.');
    const chenPress = fake.callback(chen, group, messageId, button?.data ?? '');
    await post(chenPress);
    const chenGot = await answerOf(fake, chenPress);
    expect(chenGot).toMatch(/^🧧 You got \d+\.\d{2} USD/);

    const amountOf = (text: string) => /(\d+\.\d{2}) USD/.exec(text)?.[1] ?? '?';
    const [benAmount, chenAmount] = [amountOf(benGot), amountOf(chenGot)];
    expect(Math.round((Number(benAmount) + Number(chenAmount)) * 100)).toBe(1000);

    // The live worker edits the card: both claims, and the luckiest.
    await fake.waitFor(
      () => editsIn(fake, group.id).some((e) => e.text.includes('is all claimed (2/2)')),
      15_000,
      'the card edited when all is claimed',
    );
    const last = editsIn(fake, group.id).at(-1);
    expect(last?.text).toContain(`Ben — ${benAmount} USD`);
    expect(last?.text).toContain(`Chen — ${chenAmount} USD`);
    expect(last?.text).toMatch(/👑 Luckiest: (Ben|Chen) — \d+\.\d{2} USD/);
    expect(last?.buttons).toEqual([]);

    await settled(database.db);
    expect((await balanceOf(database.db, ben.id)).available).toBe(BigInt(Math.round(Number(benAmount) * 100)));
    expect((await balanceOf(database.db, chen.id)).available).toBe(BigInt(Math.round(Number(chenAmount) * 100)));
    expect((await balanceOf(database.db, ann.id)).available).toBe(90_00n);
  });
});
