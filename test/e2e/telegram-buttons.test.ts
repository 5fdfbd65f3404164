/**
 * Buttons leave their messages once they can no longer be used, through the real app (`chipin start`: webhook,
 * command layer, outbox, BullMQ workers, the live-edit job back through the Telegram transport): a payment's Undo at
 * the end of UNDO_WINDOW, a confirmed card's Undo likewise, and every copy of a request's card (the chat's, the
 * payer's private one) once it is paid or expires. Short UNDO_WINDOW and REQUEST_TTL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import type { TestDatabase } from '../support/postgres.js';
import {
  answerOf,
  editsIn,
  replyTo,
  settled,
  waitForSent,
  withTextMention,
  type SentMessage,
  type TgUser,
  telegramWorld,
} from '../support/app.js';

const UNDO_WINDOW_S = 1;
const REQUEST_TTL_S = 6;

describe('buttons that can no longer be used leave their messages', () => {
  const world = telegramWorld({ env: { UNDO_WINDOW: `${UNDO_WINDOW_S}s`, REQUEST_TTL: `${REQUEST_TTL_S}s` } });
  const { post } = world;
  let fake: FakeTelegramApi;
  let database: TestDatabase;
  const group = { id: -1_001_800_000_018, type: 'supergroup', title: 'Buttons' };
  let nextUserId = 5_418_100;

  beforeAll(() => {
    ({ fake, database } = world);
  });

  /** A user who has started the bot, holding `amount` USD from the faucet. */
  async function funded(name: string, amount: string): Promise<TgUser> {
    const id = nextUserId++;
    const user = fake.user(id, name, { username: `${name.toLowerCase()}_${id}`, language_code: 'en' });
    await post(fake.message(user, fake.privateChat(user), `/faucet ${amount}`));
    await waitForSent(fake, user.id, (m) => m.text.includes(`${amount} USD`));
    return user;
  }

  const button = (message: SentMessage | undefined, labelKey: Parameters<typeof t>[1]) => {
    const found = message?.buttons.find((b) => b.text === t('en', labelKey));
    if (!found) throw new Error(`no ${labelKey} button on ${JSON.stringify(message?.text)}`);
    return found;
  };

  /** The last edit of message `messageId` in `chatId`, once one shows no buttons. */
  async function editedWithoutButtons(chatId: number, messageId: number | undefined, timeoutMs = 15_000) {
    const edits = () => editsIn(fake, chatId).filter((e) => e.messageId === messageId);
    await fake.waitFor(
      () => edits().some((e) => e.buttons.length === 0),
      timeoutMs,
      `message ${messageId} in ${chatId} to lose its buttons`,
    );
    const last = edits().at(-1)!;
    expect(last.buttons).toEqual([]);
    expect(last.call.params.reply_markup).toBeUndefined();
    return last;
  }

  const note = (text: string) => `\n${t('en', 'common.note', { note: text })}`;

  it('a payment loses its Undo button and the hint when UNDO_WINDOW ends', async () => {
    const payee = await funded('Payee', '1.00');
    const payer = await funded('Payer', '10.00');
    const update = withTextMention(fake, payer, fake.privateChat(payer), 'pay', payee, '2.00 lunch');
    await post(update);
    const [paid] = await waitForSent(fake, payer.id, (m) => m.buttons.length > 0);
    expect(paid?.text).toContain(t('en', 'pay.undo_hint', { seconds: UNDO_WINDOW_S }));
    expect(paid?.buttons.map((b) => b.text)).toEqual([t('en', 'button.undo')]);

    const last = await editedWithoutButtons(payer.id, paid?.messageId);
    expect(last.text).toBe(`${t('en', 'pay.paid', { amount: '2.00 USD', name: 'Payee' })}${note('lunch')}`);
    expect(last.text).not.toContain('Changed your mind');
  });

  it('a confirmed card shows the payment, then loses its Undo button too', async () => {
    const payee = await funded('Carded', '1.00');
    const payer = await funded('Careful', '10.00');
    await post(fake.message(payer, fake.privateChat(payer), `/pay @${payee.username} 3`));
    const [card] = await waitForSent(fake, payer.id, (m) =>
      m.buttons.some((b) => b.text === t('en', 'button.confirm')),
    );
    const confirm = fake.callback(
      payer,
      fake.privateChat(payer),
      card!.messageId!,
      button(card, 'button.confirm').data,
    );
    await post(confirm);
    expect(await answerOf(fake, confirm)).toBe(t('en', 'action.done'));

    const last = await editedWithoutButtons(payer.id, card?.messageId);
    expect(last.text).toBe(t('en', 'pay.paid', { amount: '3.00 USD', name: 'Carded' }));
    // On the way it showed the payment with its Undo button.
    const shown = editsIn(fake, payer.id).filter((e) => e.messageId === card?.messageId);
    expect(shown[0]?.buttons.map((b) => b.text)).toEqual([t('en', 'button.undo')]);
  });

  /** `/request @payer amount pizza` in the group: the chat's card and the payer's private card. */
  async function request(requester: TgUser, payer: TgUser, amount: string) {
    const update = fake.message(requester, group, `/request @${payer.username} ${amount} pizza`);
    await post(update);
    await fake.waitFor(() => replyTo(fake, group.id, update).length > 0, 15_000, 'the request card');
    const [card] = replyTo(fake, group.id, update);
    expect(card?.buttons.map((b) => b.text)).toEqual([t('en', 'button.pay'), t('en', 'button.decline')]);
    const [incoming] = await waitForSent(fake, payer.id, (m) => m.text.includes(`asks you for ${amount} USD`));
    expect(incoming?.buttons.map((b) => b.text)).toEqual([t('en', 'button.pay'), t('en', 'button.decline')]);
    return { card: card!, incoming: incoming! };
  }

  it('a paid request: the chat’s card shows it was paid, without Pay / Decline', async () => {
    const requester = await funded('Asker', '1.00');
    const payer = await funded('Giver', '20.00');
    const { card, incoming } = await request(requester, payer, '6.00');

    const pay = fake.callback(payer, fake.privateChat(payer), incoming.messageId!, button(incoming, 'button.pay').data);
    await post(pay);
    expect(await answerOf(fake, pay)).toBe(t('en', 'action.done'));

    const final = `${t('en', 'request.card.paid', { payer: 'Giver', requester: 'Asker', amount: '6.00 USD' })}${note('pizza')}`;
    expect((await editedWithoutButtons(group.id, card.messageId)).text).toBe(final);
    // The copy pressed shows what the press did, without buttons, edited once.
    await settled(database.db);
    const pressed = editsIn(fake, payer.id).filter((e) => e.messageId === incoming.messageId);
    expect(pressed.map((e) => e.text)).toEqual([
      `${t('en', 'request.you_paid', { amount: '6.00 USD', name: 'Asker' })}${note('pizza')}`,
    ]);
    expect(pressed[0]?.buttons).toEqual([]);
  });

  it('a request paid from the chat’s card: the payer’s private card is edited to how it ended', async () => {
    const requester = await funded('Holder', '1.00');
    const payer = await funded('Tapper', '20.00');
    const { card, incoming } = await request(requester, payer, '5.00');

    const pay = fake.callback(payer, group, card.messageId!, button(card, 'button.pay').data);
    await post(pay);
    expect(await answerOf(fake, pay)).toBe(t('en', 'action.done'));

    const final = `${t('en', 'request.card.paid', { payer: 'Tapper', requester: 'Holder', amount: '5.00 USD' })}${note('pizza')}`;
    expect((await editedWithoutButtons(payer.id, incoming.messageId)).text).toBe(final);
    expect((await editedWithoutButtons(group.id, card.messageId)).text).toBe(
      `${t('en', 'request.you_paid', { amount: '5.00 USD', name: 'Holder' })}${note('pizza')}`,
    );
  });

  it('an expired request: every copy of its card loses Pay / Decline', async () => {
    const requester = await funded('Waiter', '1.00');
    const payer = await funded('Silent', '20.00');
    const { card, incoming } = await request(requester, payer, '3.00');

    const final = `${t('en', 'request.card.expired', { payer: 'Silent', requester: 'Waiter', amount: '3.00 USD' })}${note('pizza')}`;
    const timeoutMs = REQUEST_TTL_S * 1000 + 20_000;
    expect((await editedWithoutButtons(group.id, card.messageId, timeoutMs)).text).toBe(final);
    expect((await editedWithoutButtons(payer.id, incoming.messageId, timeoutMs)).text).toBe(final);
  }, 60_000);
});
