/**
 * /pay through the real app (`chipin start` as a child process, Telegram webhook, fake Bot API): the amount
 * grammar of SPEC §5 on the real command path, refused recipients, and a wallet that many concurrent payments
 * cannot overdraw.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  balanceOf,
  inboxDrained,
  replyingTo,
  replyTo,
  sentTo,
  sleep,
  transferCount,
  transfersOfUpdate,
  waitForSent,
  withTextMention,
  type RunningApp,
  type SentMessage,
  type TgUser,
  telegramWorld,
} from '../support/app.js';
import { REFUSED_AMOUNTS } from '../support/amounts.js';
import type { TestDatabase } from '../support/postgres.js';

describe('/pay through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let app: RunningApp;
  let bob: TgUser;
  let nextUserId = 5_300_100;

  beforeAll(async () => {
    ({ database, fake, app } = world);
    bob = fake.user(5_300_001, 'Bob', { username: 'bob_pay', language_code: 'en' });
    await post(fake.message(bob, fake.privateChat(bob), '/start'));
  });

  /** A new user holding `amount` USD from the faucet (each with a private chat of their own: replies in parallel). */
  async function fundedUser(name: string, amount: string): Promise<TgUser> {
    const user = fake.user(nextUserId++, name, {
      username: `${name.toLowerCase()}_${nextUserId}`,
      language_code: 'en',
    });
    await post(fake.message(user, fake.privateChat(user), `/faucet ${amount}`));
    await waitForSent(fake, user.id, (m) => m.text.includes(`${amount} USD`));
    return user;
  }

  describe('the amount grammar of SPEC §5', () => {
    const refused = REFUSED_AMOUNTS;

    it('every refused form gets its one-line reason and leaves the ledger untouched', async () => {
      const payers = await Promise.all(refused.map((_, i) => fundedUser(`Payer${i}`, '50.00')));
      const transfers = await transferCount(database.db);
      const bobBefore = await balanceOf(database.db, bob.id);
      const updates = refused.map(([amount], i) =>
        withTextMention(fake, payers[i]!, fake.privateChat(payers[i]!), 'pay', bob, `${amount} for lunch`),
      );
      await Promise.all(updates.map(post));
      await inboxDrained(database.db);

      for (const [i, [amount, key]] of refused.entries()) {
        const payer = payers[i]!;
        const [reply] = await waitForSent(fake, payer.id, (m) => !m.text.includes('50.00 USD'));
        expect({ amount, reply: reply?.text }).toEqual({ amount, reply: t('en', key) });
        expect(await transfersOfUpdate(database.db, updates[i]!)).toBe(0);
        expect((await balanceOf(database.db, payer.id)).available).toBe(5_000n);
      }
      expect(await transferCount(database.db)).toBe(transfers);
      expect(await balanceOf(database.db, bob.id)).toEqual(bobBefore);
    });

    it('full-width digits and punctuation are read as ASCII (NFKC) and pay', async () => {
      const payer = await fundedUser('Wide', '50.00');
      const bobBefore = await balanceOf(database.db, bob.id);
      const update = withTextMention(fake, payer, fake.privateChat(payer), 'pay', bob, '１２.５０ 咖啡');
      await post(update);
      const [reply] = await waitForSent(fake, payer.id, (m) => !m.text.includes('50.00 USD'));
      expect(reply?.text).toContain(t('en', 'pay.paid', { amount: '12.50 USD', name: 'Bob' }));
      expect(await transfersOfUpdate(database.db, update)).toBe(1);
      expect((await balanceOf(database.db, payer.id)).available).toBe(3_750n);
      expect((await balanceOf(database.db, bob.id)).available).toBe(bobBefore.available + 1_250n);
    });
  });

  describe('refused recipients', () => {
    let payer: TgUser;
    const group = { id: -1_001_600_000_001, type: 'supergroup', title: 'Pay group' };
    const botUser = (): TgUser => ({ id: fake.botId, is_bot: true, first_name: 'chipin', username: fake.username });

    beforeAll(async () => {
      payer = await fundedUser('Self', '30.00');
    });

    /** Posts the update and resolves with the reply it got (in the group, or in the payer's private chat). */
    async function replyOf(update: ReturnType<typeof fake.message>, inGroup: boolean): Promise<string | undefined> {
      const before = sentTo(fake, payer.id).length;
      await post(update);
      if (inGroup) {
        await fake.waitFor(() => replyTo(fake, group.id, update).length > 0, 15_000, 'a reply in the group');
        return replyTo(fake, group.id, update)[0]?.text;
      }
      const replies = await waitForSent(fake, payer.id, () => true, { count: before + 1 });
      return replies[before]?.text;
    }

    it('paying yourself is refused, however you are named', async () => {
      const transfers = await transferCount(database.db);
      const chat = fake.privateChat(payer);
      const self = t('en', 'error.SelfPayment');
      expect(await replyOf(withTextMention(fake, payer, chat, 'pay', payer, '1'), false)).toBe(self);
      expect(await replyOf(fake.message(payer, chat, `/pay @${payer.username} 1`), false)).toBe(self);
      expect(await replyOf(replyingTo(fake, payer, group, '/pay 1', payer), true)).toBe(self);
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect((await balanceOf(database.db, payer.id)).available).toBe(3_000n);
    });

    it('a display name typed instead of a mention gets the person seen in the group suggested, and pays no one', async () => {
      const carol = fake.user(5_300_050, 'Carol Jones', { username: 'carol_pay', language_code: 'en' });
      await post(fake.message(carol, group, 'hi all'));
      await inboxDrained(database.db);
      const transfers = await transferCount(database.db);
      const suggestion = t('en', 'parse.MissingRecipientMeant', {
        username: 'carol_pay',
        command: 'pay',
        args: '@carol_pay 12.50 lunch',
      });
      expect(await replyOf(fake.message(payer, group, '/pay Carol 12.50 lunch'), true)).toBe(suggestion);
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect((await balanceOf(database.db, payer.id)).available).toBe(3_000n);
    });

    it('paying the bot, or any bot, is refused', async () => {
      const transfers = await transferCount(database.db);
      const chat = fake.privateChat(payer);
      const refusal = t('en', 'error.RecipientIsBot');
      const otherBot = fake.user(5_300_999, 'Helper', { username: 'helper_bot', is_bot: true });
      expect(await replyOf(replyingTo(fake, payer, group, '/pay 1', botUser()), true)).toBe(refusal);
      expect(await replyOf(withTextMention(fake, payer, chat, 'pay', botUser(), '1'), false)).toBe(refusal);
      expect(await replyOf(withTextMention(fake, payer, chat, 'pay', otherBot, '1'), false)).toBe(refusal);
      expect(await replyOf(fake.message(payer, chat, `/pay @${fake.username} 1`), false)).toBe(refusal);
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect(await balanceOf(database.db, payer.id)).toMatchObject({ available: 3_000n, pendingOut: 0n });
    });
  });

  describe('paying an @username in a group', () => {
    const group = { id: -1_001_800_000_001, type: 'supergroup', title: 'Flatmates' };

    /** The bot's answer to `update` in the group. */
    async function answer(update: { update_id: number; message?: unknown }): Promise<SentMessage> {
      await post(update);
      await fake.waitFor(() => replyTo(fake, group.id, update).length > 0, 15_000, 'the answer in the group');
      return replyTo(fake, group.id, update)[0]!;
    }

    it('someone present in the chat is paid at once with Undo; the card, when there is one, names no raw id', async () => {
      const carol = await fundedUser('Carol', '78.50');
      const dave = await fundedUser('Dave', '1.00');
      // Bob talks in the group; Dave only ever wrote to the bot in private.
      await post(fake.message(bob, group, 'hello all'));
      await inboxDrained(database.db);
      const paid = await answer(fake.message(carol, group, `/pay @${bob.username} 5 lunch`));
      expect(paid.text.startsWith(t('en', 'pay.paid', { amount: '5.00 USD', name: 'Bob' }))).toBe(true);
      expect(paid.buttons.map((b) => b.text)).toEqual([t('en', 'button.undo')]);

      const card = await answer(fake.message(carol, group, `/pay @${dave.username} 2`));
      expect(card.text).toContain(`Dave (@${dave.username}, not seen in this chat; on chipin since `);
      expect(card.text).not.toContain(String(dave.id));
      expect(card.buttons.map((b) => b.text)).toEqual([t('en', 'button.confirm')]);
      expect(await balanceOf(database.db, dave.id)).toMatchObject({ available: 100n });
    });

    it('not enough money is said before any card, with what the payer has, also in a currency they hold none of', async () => {
      const erin = await fundedUser('Erin', '78.50');
      const transfers = await transferCount(database.db);
      const over = await answer(fake.message(erin, group, `/pay @${bob.username} 100`));
      expect(over.text).toBe(t('en', 'pay.short', { available: '78.50 USD' }));
      expect(over.buttons).toEqual([]);
      const yuan = await answer(fake.message(erin, group, `/pay @${bob.username} ¥100`));
      expect(yuan.text).toBe(t('en', 'pay.short', { available: '0.00 CNY' }));
      expect(yuan.buttons).toEqual([]);
      expect(await transferCount(database.db)).toBe(transfers);
    });
  });

  it('an undone payment reads in /history as undone and given back, never as money received', async () => {
    const payer = await fundedUser('Undoer', '30.00');
    const dm = fake.privateChat(payer);
    await post(withTextMention(fake, payer, dm, 'pay', bob, '4 rent'));
    const [paid] = await waitForSent(fake, payer.id, (m) => m.buttons.some((b) => b.text === t('en', 'button.undo')));
    const undo = paid?.buttons.find((b) => b.text === t('en', 'button.undo'));
    if (!undo) throw new Error('no Undo button');
    await post(fake.callback(payer, dm, undo.messageId ?? 0, undo.data));
    await waitForSent(fake, bob.id, (m) => m.text.includes('Undoer took back their payment of 4.00 USD'));

    await post(fake.message(payer, dm, '/history'));
    const [mine] = await waitForSent(fake, payer.id, (m) => m.text.startsWith('Your last'));
    expect(mine?.text).toContain('↩️ 4.00 USD back from Bob (you undid your payment) — rent');
    expect(mine?.text).toContain('−4.00 USD to Bob (undone) — rent');
    expect(mine?.text).not.toContain('+4.00 USD from Bob');
    await post(fake.message(bob, fake.privateChat(bob), '/history'));
    const [theirs] = await waitForSent(fake, bob.id, (m) => m.text.includes('Undoer took back their payment —'));
    expect(theirs?.text).toContain('↩️ −4.00 USD: Undoer took back their payment — rent');
    expect(theirs?.text).toContain('+4.00 USD from Undoer (undone) — rent');
  });

  it('40 concurrent /pay from a wallet that can afford 10: exactly 10 are paid', async () => {
    const payer = await fundedUser('Rich', '100.00');
    const recipients = await Promise.all([0, 1, 2, 3].map((i) => fundedUser(`Friend${i}`, '1.00')));
    // One group per payment: the messages of one chat are processed in order, different chats at once.
    const groups = Array.from({ length: 40 }, (_, i) => ({
      id: -1_001_700_000_000 - i,
      type: 'supergroup',
      title: `Group ${i}`,
    }));
    const updates = groups.map((group, i) => replyingTo(fake, payer, group, '/pay 10', recipients[i % 4]!));
    const statuses = await Promise.all(updates.map((u) => app.post(u)));
    expect(statuses.every((s) => s === 200)).toBe(true);

    await inboxDrained(database.db);
    for (const [i, group] of groups.entries()) {
      await fake.waitFor(() => replyTo(fake, group.id, updates[i]!).length > 0, 20_000, `the reply in group ${i}`);
    }
    await sleep(500);
    const replies = groups.map((group, i) => replyTo(fake, group.id, updates[i]!));
    expect(replies.every((r) => r.length === 1)).toBe(true);
    const texts = replies.map((r) => r[0]!.text);
    const paid = texts.filter((text) => text.startsWith('✅'));
    const refused = texts.filter((text) => text === t('en', 'pay.short', { available: '0.00 USD' }));
    expect(paid).toHaveLength(10);
    expect(refused).toHaveLength(30);

    let paidUpdates = 0;
    for (const update of updates) paidUpdates += await transfersOfUpdate(database.db, update);
    expect(paidUpdates).toBe(10);
    expect(await balanceOf(database.db, payer.id)).toMatchObject({ available: 0n, posted: 0n, pendingOut: 0n });
    let received = 0n;
    for (const r of recipients) received += (await balanceOf(database.db, r.id)).available - 100n;
    expect(received).toBe(10_000n);
  });

  it("kept within Telegram's message limits throughout (the fake never answered 429)", () => {
    expect(fake.rateLimited).toBe(0);
  });
});
