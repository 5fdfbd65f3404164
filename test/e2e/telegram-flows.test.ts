/**
 * The flows that span time and people, through the real app (`chipin start`: webhook, command layer, outbox,
 * BullMQ workers, notifications back through the Telegram transport): money for an @username nobody has seen
 * (held, shown as pending out, released by the sender once the claimant turns up, or returned after HOLD_TTL), and
 * money requests (paid, declined, or expired with both sides told). Short HOLD_TTL and REQUEST_TTL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  answerOf,
  balanceOf,
  editsIn,
  inboxDrained,
  replyTo,
  settled,
  transferCount,
  waitForSent,
  type SentMessage,
  type TgUser,
  telegramWorld,
} from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

const HOLD_TTL_S = 8;
const REQUEST_TTL_S = 8;

describe('claims and requests through the real app', () => {
  const world = telegramWorld({ env: { HOLD_TTL: `${HOLD_TTL_S}s`, REQUEST_TTL: `${REQUEST_TTL_S}s` } });
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -1_001_800_000_001, type: 'supergroup', title: 'Trip' };
  let nextUserId = 5_400_100;

  beforeAll(() => {
    ({ database, fake } = world);
  });

  /** A user who has started the bot, holding `amount` USD from the faucet. */
  async function funded(name: string, amount: string): Promise<TgUser> {
    const user = fake.user(nextUserId++, name, { username: `${name.toLowerCase()}_flow`, language_code: 'en' });
    await post(fake.message(user, fake.privateChat(user), `/faucet ${amount}`));
    await waitForSent(fake, user.id, (m) => m.text.includes(`${amount} USD`));
    return user;
  }

  /** Presses a button as `who` on a message in their private chat (a notification) or in `chat`. */
  async function press(
    who: TgUser,
    button: { data: string; messageId: number | undefined },
    chat: object = fake.privateChat(who),
  ) {
    const update = fake.callback(who, chat, button.messageId ?? 0, button.data);
    await post(update);
    return update;
  }

  const button = (
    message: SentMessage | undefined,
    labelKey: Parameters<typeof t>[1],
  ): SentMessage['buttons'][number] => {
    const found = message?.buttons.find((b) => b.text === t('en', labelKey));
    if (!found) throw new Error(`no ${labelKey} button on ${JSON.stringify(message?.text)}`);
    return found;
  };

  describe('money for an @username nobody has seen yet', () => {
    let carol: TgUser;
    let ghostHeldAt: number;

    beforeAll(async () => {
      // Held first, so HOLD_TTL runs out while the release flow below is played.
      carol = await funded('Carol', '20.00');
      await post(fake.message(carol, fake.privateChat(carol), '/pay @ghost_flow 7'));
      const [held] = await waitForSent(fake, carol.id, (m) => m.text.includes('@ghost_flow'));
      ghostHeldAt = Date.now();
      expect(held?.text).toContain('7.00 USD');
    });

    it('is held in escrow, shown as pending out, and released by the sender when the claimant first writes', async () => {
      const alice = await funded('Alice', '50.00');
      const chat = fake.privateChat(alice);
      await post(fake.message(alice, chat, '/pay @newbie_flow 5 welcome'));
      const [held] = await waitForSent(fake, alice.id, (m) => m.text.includes('@newbie_flow'));
      expect(held?.text.split('\n')[0]).toBe(
        t('en', 'pay.escrowed', { username: 'newbie_flow', amount: '5.00 USD', until: '' }).split('\n')[0],
      );
      expect(held?.buttons.map((b) => b.text)).toEqual([t('en', 'button.return')]);
      expect(await balanceOf(database.db, alice.id)).toMatchObject({ available: 4_500n, pendingOut: 500n });

      await post(fake.message(alice, chat, '/balance'));
      const [balance] = await waitForSent(fake, alice.id, (m) => m.text.startsWith(t('en', 'balance.title')));
      expect(balance?.text).toContain(t('en', 'balance.available', { amount: '45.00 USD' }));
      expect(balance?.text).toContain(t('en', 'balance.pending_out', { amount: '5.00 USD' }));

      // The claimant writes to the bot for the first time; the sender sees their name and id.
      const newbie = fake.user(5_400_050, 'Newbie', { username: 'newbie_flow', language_code: 'en' });
      await post(fake.message(newbie, fake.privateChat(newbie), '/start'));
      const [matched] = await waitForSent(fake, alice.id, (m) => m.text.includes('just started chipin'));
      expect(matched?.text).toContain('Newbie');
      expect(matched?.text).toContain(`id ${newbie.id}`);
      expect(matched?.text).toContain('5.00 USD');
      expect((await balanceOf(database.db, newbie.id)).available).toBe(0n);

      const release = await press(alice, button(matched, 'button.release'));
      expect(await answerOf(fake, release)).toBe(t('en', 'action.done'));
      await settled(database.db);
      const [edit] = editsIn(fake, alice.id);
      expect(edit?.text).toBe(t('en', 'claim.released', { amount: '5.00 USD', name: 'Newbie' }));
      const [received] = await waitForSent(fake, newbie.id, (m) => m.text.includes('5.00 USD'));
      expect(received?.text).toContain(t('en', 'claim.received', { amount: '5.00 USD', from: 'Alice' }));

      expect(await balanceOf(database.db, alice.id)).toMatchObject({
        available: 4_500n,
        posted: 4_500n,
        pendingOut: 0n,
      });
      expect(await balanceOf(database.db, newbie.id)).toMatchObject({ available: 500n, pendingIn: 0n });

      // A second tap on Release: already done, nothing moves.
      const again = await press(alice, button(matched, 'button.release'));
      expect(await answerOf(fake, again)).toBe(t('en', 'action.AlreadyUsed'));
      await inboxDrained(database.db);
      expect(await balanceOf(database.db, newbie.id)).toMatchObject({ available: 500n });
    });

    it('comes back to the sender after HOLD_TTL when nobody claims it', async () => {
      expect(await balanceOf(database.db, carol.id)).toMatchObject({ available: 1_300n, pendingOut: 700n });
      const [notice] = await waitForSent(fake, carol.id, (m) => m.text.includes('back in your wallet'), {
        timeoutMs: HOLD_TTL_S * 1000 + 20_000,
      });
      expect(Date.now() - ghostHeldAt).toBeGreaterThanOrEqual(HOLD_TTL_S * 1000 - 1_000);
      expect(notice?.text).toBe(t('en', 'claim.returned_expired', { amount: '7.00 USD', username: 'ghost_flow' }));
      expect(await balanceOf(database.db, carol.id)).toMatchObject({
        available: 2_000n,
        posted: 2_000n,
        pendingOut: 0n,
      });

      // The ghost turns up after all: nothing is held for them any more.
      const ghost = fake.user(5_400_060, 'Ghost', { username: 'ghost_flow', language_code: 'en' });
      await post(fake.message(ghost, fake.privateChat(ghost), '/start'));
      await settled(database.db);
      expect((await balanceOf(database.db, ghost.id)).available).toBe(0n);
    });
  });

  describe('money requests', () => {
    let alice: TgUser;

    beforeAll(async () => {
      alice = await funded('Requester', '1.00');
    });

    /** `/request @payer amount` in the group; resolves with the group reply and the payer's private notification. */
    async function request(payer: TgUser, amount: string) {
      const update = fake.message(alice, group, `/request @${payer.username} ${amount} pizza`);
      await post(update);
      await fake.waitFor(() => replyTo(fake, group.id, update).length > 0, 15_000, 'the request reply');
      const [reply] = replyTo(fake, group.id, update);
      expect(reply?.text).toContain(`${amount} USD`);
      expect(reply?.buttons.map((b) => b.text)).toEqual([t('en', 'button.pay'), t('en', 'button.decline')]);
      const [incoming] = await waitForSent(fake, payer.id, (m) => m.text.includes(`asks you for ${amount} USD`));
      expect(incoming?.buttons.map((b) => b.text)).toEqual([t('en', 'button.pay'), t('en', 'button.decline')]);
      return { reply: reply!, incoming: incoming! };
    }

    it('Pay pays the requester once, and the requester is told', async () => {
      const bob = await funded('Bob', '30.00');
      const { incoming } = await request(bob, '6.00');
      const before = await balanceOf(database.db, alice.id);

      const pay = await press(bob, button(incoming, 'button.pay'));
      expect(await answerOf(fake, pay)).toBe(t('en', 'action.done'));
      const [paid] = await waitForSent(fake, alice.id, (m) => m.text.includes('paid your request'));
      expect(paid?.text).toContain(t('en', 'request.paid', { payer: 'Bob', amount: '6.00 USD' }));
      await settled(database.db);
      expect(editsIn(fake, bob.id).map((e) => e.text)).toEqual([
        `${t('en', 'request.you_paid', { amount: '6.00 USD', name: 'Requester' })}\n${t('en', 'common.note', { note: 'pizza' })}`,
      ]);
      expect((await balanceOf(database.db, bob.id)).available).toBe(2_400n);
      expect((await balanceOf(database.db, alice.id)).available).toBe(before.available + 600n);

      // Pay again, or Decline after paying: refused, nothing moves.
      const transfers = await transferCount(database.db);
      const again = await press(bob, button(incoming, 'button.pay'));
      const decline = await press(bob, button(incoming, 'button.decline'));
      expect(await answerOf(fake, again)).toBe(t('en', 'action.AlreadyUsed'));
      expect(await answerOf(fake, decline)).toBe(t('en', 'action.Expired'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect((await balanceOf(database.db, bob.id)).available).toBe(2_400n);
    });

    it('Decline moves nothing, and the requester is told', async () => {
      const dan = await funded('Dan', '30.00');
      const { reply } = await request(dan, '4.00');
      const transfers = await transferCount(database.db);

      // Declined on the group message's button: only Dan may press it.
      const stranger = await press(alice, button(reply, 'button.decline'), group);
      expect(await answerOf(fake, stranger)).toBe(t('en', 'action.NotYours'));
      const decline = await press(dan, button(reply, 'button.decline'), group);
      expect(await answerOf(fake, decline)).toBe(t('en', 'action.done'));
      const [told] = await waitForSent(fake, alice.id, (m) => m.text.includes('declined your request'));
      expect(told?.text).toContain(t('en', 'request.declined', { payer: 'Dan', amount: '4.00 USD' }));
      await settled(database.db);
      expect(editsIn(fake, group.id).map((e) => e.text)).toContain(
        t('en', 'request.you_declined', { amount: '4.00 USD', name: 'Requester' }),
      );
      expect(await transferCount(database.db)).toBe(transfers);
      expect((await balanceOf(database.db, dan.id)).available).toBe(3_000n);

      // Paying a declined request: refused.
      const late = await press(dan, button(reply, 'button.pay'), group);
      expect(await answerOf(fake, late)).toBe(t('en', 'action.Expired'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
    });

    it('an unanswered request expires at its deadline and both sides are told', async () => {
      const erin = await funded('Erin', '30.00');
      const { incoming } = await request(erin, '3.00');
      const transfers = await transferCount(database.db);
      const timeoutMs = REQUEST_TTL_S * 1000 + 20_000;

      const [nudge] = await waitForSent(fake, erin.id, (m) => m.text.startsWith('⏰'), { timeoutMs });
      expect(nudge?.text).toContain('3.00 USD');
      const [payerTold] = await waitForSent(fake, erin.id, (m) => m.text.startsWith('⌛'), { timeoutMs });
      expect(payerTold?.text).toBe(
        `${t('en', 'request.expired.payer', { from: 'Requester', amount: '3.00 USD' })}\n${t('en', 'common.note', { note: 'pizza' })}`,
      );
      const [requesterTold] = await waitForSent(fake, alice.id, (m) => m.text.startsWith('⌛'), { timeoutMs });
      expect(requesterTold?.text).toContain(
        t('en', 'request.expired.requester', { payer: 'Erin', amount: '3.00 USD' }),
      );
      expect(requesterTold?.buttons.map((b) => b.text)).toEqual([t('en', 'button.askSomeoneElse')]);

      // Pay pressed after the deadline: refused, no money moves.
      const late = await press(erin, button(incoming, 'button.pay'));
      expect(await answerOf(fake, late)).toBe(t('en', 'action.Expired'));
      await settled(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect((await balanceOf(database.db, erin.id)).available).toBe(3_000n);

      // "Ask someone else": one tap, and the requester is shown how.
      const reask = await press(alice, button(requesterTold, 'button.askSomeoneElse'));
      expect(await answerOf(fake, reask)).toBe(t('en', 'action.done'));
      await waitForSent(fake, alice.id, (m) => m.text.startsWith(t('en', 'request.reask', { amount: '3.00 USD' })));
    });
  });

  it("kept within Telegram's message limits throughout (the fake never answered 429)", () => {
    expect(fake.rateLimited).toBe(0);
  });
});
