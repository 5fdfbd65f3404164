/**
 * The webhook and the buttons through the real app: `chipin start` (all roles) as a child process, driven by
 * Telegram updates POSTed to `/telegram/webhook`, with replies observed at the fake Bot API and money in the
 * ledger. Forged deliveries, redeliveries, edits and stray button presses must never add an effect.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import {
  answerOf,
  balanceOf,
  BOT_ID,
  editsIn,
  inboxDrained,
  replyingTo,
  replyTo,
  sentTo,
  settled,
  sleep,
  transferCount,
  transfersOfUpdate,
  waitForSent,
  WEBHOOK_SECRET,
  withTextMention,
  type RunningApp,
  type TgUser,
  telegramWorld,
} from '../support/app.js';
import { lockWallets, type TestDatabase } from '../support/postgres.js';

const UNDO_WINDOW_MS = 2_000;

describe('the Telegram webhook of the real app', () => {
  const world = telegramWorld({ env: { UNDO_WINDOW: `${UNDO_WINDOW_MS / 1000}s` } });
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let app: RunningApp;
  let alice: TgUser;
  let bob: TgUser;
  let mallory: TgUser;
  const group = { id: -1_001_500_000_001, type: 'supergroup', title: 'Flatmates' };

  beforeAll(async () => {
    ({ database, fake, app } = world);
    alice = fake.user(5_200_001, 'Alice', { username: 'alice_hook', language_code: 'en' });
    bob = fake.user(5_200_002, 'Bob', { username: 'bob_hook', language_code: 'en' });
    mallory = fake.user(5_200_003, 'Mallory', { username: 'mallory_hook', language_code: 'en' });
    for (const user of [alice, bob, mallory]) {
      expect(await app.post(fake.message(user, fake.privateChat(user), '/start'))).toBe(200);
    }
    expect(await app.post(fake.message(alice, fake.privateChat(alice), '/faucet 100'))).toBe(200);
    await waitForSent(fake, alice.id, (m) => m.text.includes('100.00 USD'));
  });

  const stored = async (update: { update_id: number }): Promise<boolean> => {
    const r = await database.db.query(`SELECT 1 FROM inbox WHERE key = $1`, [`tg:${BOT_ID}:${update.update_id}`]);
    return r.rowCount > 0;
  };

  const post = async (update: unknown): Promise<void> => {
    expect(await app.post(update)).toBe(200);
  };

  it('answers 401 to a missing or forged secret and stores nothing', async () => {
    const update = withTextMention(fake, alice, fake.privateChat(alice), 'pay', bob, '1');
    const forged = [
      null,
      '',
      'wrong',
      WEBHOOK_SECRET.slice(0, -1),
      `${WEBHOOK_SECRET.slice(0, -1)}X`,
      `${WEBHOOK_SECRET}x`,
      WEBHOOK_SECRET.toUpperCase(),
    ];
    const transfersBefore = await transferCount(database.db);
    const repliesBefore = sentTo(fake, alice.id).length;
    for (const secret of forged) expect(await app.post(update, secret)).toBe(401);
    await sleep(500);
    expect(await stored(update)).toBe(false);
    expect(await transferCount(database.db)).toBe(transfersBefore);
    expect(sentTo(fake, alice.id)).toHaveLength(repliesBefore);
  });

  it('the same update delivered 5 times at once pays once and replies once', async () => {
    const before = await balanceOf(database.db, alice.id);
    const update = withTextMention(fake, alice, fake.privateChat(alice), 'pay', bob, '4.25 lunch');
    const statuses = await Promise.all(Array.from({ length: 5 }, () => app.post(update)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await waitForSent(fake, alice.id, (m) => m.text.includes('4.25 USD'));
    await waitForSent(fake, bob.id, (m) => m.text.includes('4.25 USD'));
    await settled(database.db);
    await sleep(1_000);

    expect(await transfersOfUpdate(database.db, update)).toBe(1);
    expect((await balanceOf(database.db, alice.id)).available).toBe(before.available - 425n);
    const replies = sentTo(fake, alice.id).filter((m) => m.text.includes('4.25 USD'));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toContain(t('en', 'pay.paid', { amount: '4.25 USD', name: 'Bob' }));
    // Bob is told once too (the notification is its own effect, through the outbox and the workers).
    expect(sentTo(fake, bob.id).filter((m) => m.text.includes('4.25 USD'))).toHaveLength(1);
  });

  it('an edited_message or a forwarded message with /pay never pays', async () => {
    const original = withTextMention(fake, alice, fake.privateChat(alice), 'pay', bob, '1.10');
    await post(original);
    await waitForSent(fake, alice.id, (m) => m.text.includes('1.10 USD'));
    const before = await balanceOf(database.db, alice.id);
    const transfers = await transferCount(database.db);
    const messagesBefore = sentTo(fake, alice.id).length;

    const messageId = (original.message as { message_id: number }).message_id;
    const edited = withTextMention(
      fake,
      alice,
      fake.privateChat(alice),
      'pay',
      bob,
      '9.90',
      { message_id: messageId },
      'edited_message',
    );
    const editedFresh = withTextMention(fake, alice, fake.privateChat(alice), 'pay', bob, '7.70', {}, 'edited_message');
    const forwarded = withTextMention(fake, alice, fake.privateChat(alice), 'pay', bob, '6.60', {
      forward_origin: { type: 'user', date: Math.floor(Date.now() / 1000) - 60, sender_user: bob },
    });
    for (const update of [edited, editedFresh, forwarded]) await post(update);
    await inboxDrained(database.db);
    await sleep(1_000);

    for (const update of [edited, editedFresh, forwarded]) expect(await transfersOfUpdate(database.db, update)).toBe(0);
    expect(await transferCount(database.db)).toBe(transfers);
    expect(await balanceOf(database.db, alice.id)).toEqual(before);
    expect(sentTo(fake, alice.id)).toHaveLength(messagesBefore);
  });

  describe('buttons', () => {
    let card: { data: string; messageId: number | undefined };
    let payUpdate: ReturnType<typeof replyingTo>;

    /** Presses `button` as `who` on its message in `chat`; resolves with the update. */
    const press = async (who: TgUser, chat: object, button: { data: string; messageId: number | undefined }) => {
      const update = fake.callback(who, chat, button.messageId ?? 0, button.data);
      await post(update);
      return update;
    };

    beforeAll(async () => {
      // Above CONFIRM_THRESHOLD (20 USD): a confirm card in the group, for Alice only.
      payUpdate = replyingTo(fake, alice, group, '/pay 25 concert tickets', bob);
      await post(payUpdate);
      await fake.waitFor(() => replyTo(fake, group.id, payUpdate).length > 0, 15_000, 'the confirm card');
      const [reply] = replyTo(fake, group.id, payUpdate);
      expect(reply?.text).toContain('25.00 USD');
      expect(reply?.buttons.map((b) => b.text)).toEqual([t('en', 'button.confirm')]);
      card = reply!.buttons[0]!;
    });

    it('a button pressed by someone else does nothing and says it is not theirs', async () => {
      const before = await transferCount(database.db);
      const update = await press(mallory, group, card);
      expect(await answerOf(fake, update)).toBe(t('en', 'action.NotYours'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(before);
      expect(editsIn(fake, group.id)).toHaveLength(0);
    });

    it('forged button data is refused with a friendly answer and no effect', async () => {
      const before = await transferCount(database.db);
      const forgeries = [
        'A'.repeat(22),
        `${card.data.slice(0, -1)}${card.data.endsWith('A') ? 'B' : 'A'}`,
        "1' OR '1'='1",
        'x',
      ];
      const updates = [];
      for (const data of forgeries) updates.push(await press(alice, group, { data, messageId: card.messageId }));
      for (const update of updates) expect(await answerOf(fake, update)).toBe(t('en', 'action.Unknown'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(before);
      expect(editsIn(fake, group.id)).toHaveLength(0);
    });

    it('a real button id pressed on another message than the one it was sent on does nothing', async () => {
      expect(card.messageId).toBeDefined();
      const before = await transferCount(database.db);
      const update = await press(alice, group, { data: card.data, messageId: (card.messageId ?? 0) + 1 });
      expect(await answerOf(fake, update)).toBe(t('en', 'action.WrongChat'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(before);
      expect(editsIn(fake, group.id)).toHaveLength(0);
    });

    it('a button pressed twice at once pays once', async () => {
      const before = await balanceOf(database.db, alice.id);
      const bobBefore = await balanceOf(database.db, bob.id);
      const presses = [1, 2].map(() => fake.callback(alice, group, card.messageId ?? 0, card.data));
      expect(await Promise.all(presses.map((p) => app.post(p)))).toEqual([200, 200]);
      const answers = await Promise.all(presses.map((p) => answerOf(fake, p)));
      expect(answers.sort()).toEqual([t('en', 'action.done'), t('en', 'action.AlreadyUsed')].sort());
      await settled(database.db);
      await sleep(500);

      expect((await balanceOf(database.db, alice.id)).available).toBe(before.available - 2_500n);
      expect((await balanceOf(database.db, bob.id)).available).toBe(bobBefore.available + 2_500n);
      const edits = editsIn(fake, group.id);
      expect(edits).toHaveLength(1);
      expect(edits[0]?.text).toContain(t('en', 'pay.paid', { amount: '25.00 USD', name: 'Bob' }));

      // A third press later: already done, still one payment.
      const late = await press(alice, group, card);
      expect(await answerOf(fake, late)).toBe(t('en', 'action.AlreadyUsed'));
      await inboxDrained(database.db);
      expect((await balanceOf(database.db, alice.id)).available).toBe(before.available - 2_500n);
      expect(editsIn(fake, group.id)).toHaveLength(1);
    });

    it('a button pressed after it expired does nothing', async () => {
      // The Undo button of a payment lives for UNDO_WINDOW (2 s here).
      const pay = replyingTo(fake, alice, group, '/pay 3.30', bob);
      await post(pay);
      await fake.waitFor(() => replyTo(fake, group.id, pay).length > 0, 15_000, 'the payment reply');
      const [reply] = replyTo(fake, group.id, pay);
      expect(reply?.text).toContain(t('en', 'pay.paid', { amount: '3.30 USD', name: 'Bob' }));
      const undo = reply!.buttons.find((b) => b.text === t('en', 'button.undo'));
      expect(undo).toBeDefined();
      const before = await balanceOf(database.db, alice.id);
      const transfers = await transferCount(database.db);

      await sleep(UNDO_WINDOW_MS + 500);
      const late = await press(alice, group, undo!);
      expect(await answerOf(fake, late)).toBe(t('en', 'action.Expired'));
      await inboxDrained(database.db);
      expect(await transferCount(database.db)).toBe(transfers);
      expect(await balanceOf(database.db, alice.id)).toEqual(before);
      // The one edit of the reply is the window's end taking the button away; the late press changed nothing.
      const ofReply = () => editsIn(fake, group.id).filter((e) => e.messageId === reply?.messageId);
      await fake.waitFor(() => ofReply().length > 0, 15_000, 'the Undo button removed');
      await sleep(300);
      const after = ofReply();
      expect(after).toHaveLength(1);
      expect(after[0]?.buttons).toEqual([]);
      expect(after[0]?.text).not.toContain(t('en', 'pay.undo_hint', { seconds: 2 }));
    });
  });

  it('payments stuck behind a slow ledger never hold up storing and acknowledging other updates', async () => {
    const person = await database.db.query<{ person_id: string }>(
      `SELECT person_id::text FROM identities WHERE platform = 'telegram' AND user_id = $1`,
      [String(alice.id)],
    );
    const owner = `person:${person.rows[0]?.person_id ?? '?'}`;
    const before = await transferCount(database.db);
    const lock = await lockWallets(database, [owner]);
    try {
      // Twelve payments in twelve groups (a chat's updates run one at a time): more than the app's connections.
      const pays = Array.from({ length: 12 }, (_, i) =>
        replyingTo(
          fake,
          alice,
          { id: -1_001_600_000_000 - i, type: 'supergroup', title: `Stuck ${i}` },
          '/pay 0.50',
          bob,
        ),
      );
      for (const pay of pays) await post(pay);
      expect(await lock.waiters(6)).toBeGreaterThanOrEqual(6);
      // A starved intake would answer 503 once its connection wait ran out.
      expect(await app.post(fake.message(mallory, fake.privateChat(mallory), '/help'))).toBe(200);
      expect(await transferCount(database.db)).toBe(before);
      await lock.release();
      await settled(database.db);
      expect(await transferCount(database.db)).toBe(before + 12);
    } finally {
      await lock.release();
    }
  });

  it('a user whose Telegram language is zh-hans gets Chinese replies', async () => {
    const carol = fake.user(5_200_004, 'Carol', { username: 'carol_hook', language_code: 'zh-hans' });
    const chat = fake.privateChat(carol);
    await post(fake.message(carol, chat, '/balance'));
    const [balance] = await waitForSent(fake, carol.id);
    expect(balance?.text).toContain(t('zh-CN', 'balance.title'));
    expect(balance?.text).toContain(t('zh-CN', 'balance.available', { amount: '0.00 USD' }));
    expect(balance?.text).not.toContain(t('en', 'balance.title'));

    await post(withTextMention(fake, carol, chat, 'pay', bob, '0'));
    const [refusal] = await waitForSent(fake, carol.id, (m) => m.text === t('zh-CN', 'amount.Zero'));
    expect(refusal?.text).not.toBe(t('en', 'amount.Zero'));
  });

  it('/balance in a group answers in the DM and leaves a pointer in the group', async () => {
    const dave = fake.user(5_200_005, 'Dave', { username: 'dave_hook', language_code: 'en' });
    const crowd = { id: -1_001_500_000_002, type: 'supergroup', title: 'Book club' };
    await post(fake.message(dave, fake.privateChat(dave), '/faucet 12.34'));
    await waitForSent(fake, dave.id, (m) => m.text.includes('12.34 USD'));

    const ask = fake.message(dave, crowd, '/balance');
    await post(ask);
    const [answer] = await waitForSent(fake, dave.id, (m) => m.text.startsWith(t('en', 'balance.title')));
    expect(answer?.text).toContain(t('en', 'balance.available', { amount: '12.34 USD' }));
    await fake.waitFor(() => replyTo(fake, crowd.id, ask).length > 0, 15_000, 'the pointer in the group');
    const inGroup = sentTo(fake, crowd.id);
    expect(inGroup).toHaveLength(1);
    expect(inGroup[0]?.text).toBe(t('en', 'private.dm_sent', { name: '@dave_hook' }));
    expect(inGroup[0]?.text).not.toContain('12.34');
  });

  it('after /settings language zh, the group note pointing to the private answer is in Chinese too', async () => {
    const ming = fake.user(5_200_006, 'Xiaoming', { username: 'xiaoming_hook', language_code: 'en' });
    const crowd = { id: -1_001_500_000_003, type: 'supergroup', title: 'Dorm' };
    await post(fake.message(ming, fake.privateChat(ming), '/settings language zh'));
    await waitForSent(fake, ming.id, (m) => /[\u4e00-\u9fff]/u.test(m.text));

    const ask = fake.message(ming, crowd, '/balance');
    await post(ask);
    await waitForSent(fake, ming.id, (m) => m.text.startsWith(t('zh-CN', 'balance.title')));
    await fake.waitFor(() => replyTo(fake, crowd.id, ask).length > 0, 15_000, 'the pointer in the group');
    expect(replyTo(fake, crowd.id, ask)[0]?.text).toBe(t('zh-CN', 'private.dm_sent', { name: '@xiaoming_hook' }));
  });

  it("kept within Telegram's message limits throughout (the fake never answered 429)", () => {
    expect(fake.rateLimited).toBe(0);
  });
});
