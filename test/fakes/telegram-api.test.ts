import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Telegram } from 'telegraf';
import { FakeTelegramApi } from './telegram-api.js';

const TOKEN = ['123456789', 'AAH-test-token-for-the-fake-telegram-api'].join(':');

let fake: FakeTelegramApi;
let telegram: Telegram;

const make = async (options: Partial<ConstructorParameters<typeof FakeTelegramApi>[0]> = {}) => {
  fake = new FakeTelegramApi({ token: TOKEN, ...options });
  telegram = new Telegram(TOKEN, { apiRoot: await fake.listen(), webhookReply: false });
};

const failureOf = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (err) {
    return (err as { response: unknown }).response;
  }
  throw new Error('expected the call to fail');
};

beforeEach(async () => {
  await make();
});
afterEach(async () => {
  await fake.close();
});

describe('the fake Telegram Bot API', () => {
  it('answers the real telegraf client in the Bot API wire format and records the call', async () => {
    const me = await telegram.getMe();
    expect(me).toMatchObject({ id: 123456789, is_bot: true, username: 'chipin_test_bot' });
    const sent = await telegram.sendMessage(42, 'hello', {
      reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'act:1' }]] },
    });
    expect(sent).toMatchObject({ chat: { id: 42, type: 'private' }, text: 'hello' });
    expect(fake.sent('sendMessage')[0]?.params).toMatchObject({ chat_id: 42, text: 'hello' });
  });

  it('refuses other tokens with 401', async () => {
    const other = new Telegram(['987654321', 'AAH-some-other-token-entirely-wrong'].join(':'), {
      apiRoot: fake.apiRoot,
    });
    expect(await failureOf(other.getMe())).toMatchObject({ error_code: 401, description: 'Unauthorized' });
  });

  it('takes multipart uploads: sendDocument records the file, its caption and its keyboard', async () => {
    await telegram.sendDocument(
      42,
      { source: Buffer.from('date,amount\n2026-01-01,1.00 USD\n'), filename: 'history.csv' },
      { caption: 'Your history', reply_markup: { inline_keyboard: [[{ text: 'More', callback_data: 'x' }]] } },
    );
    const [call] = fake.sent('sendDocument');
    expect(call?.files.document?.filename).toBe('history.csv');
    expect(call?.files.document?.content.toString()).toBe('date,amount\n2026-01-01,1.00 USD\n');
    expect(call?.params).toMatchObject({ chat_id: '42', caption: 'Your history' });
    expect(call?.params.reply_markup).toEqual({ inline_keyboard: [[{ text: 'More', callback_data: 'x' }]] });
  });

  it('answers 429 with retry_after when a chat gets more than one message a second', async () => {
    await telegram.sendMessage(42, 'one');
    expect(await failureOf(telegram.sendMessage(42, 'two'))).toMatchObject({
      error_code: 429,
      parameters: { retry_after: 1 },
    });
    await telegram.sendMessage(43, 'another chat is fine');
    expect(fake.rateLimited).toBe(1);
  });

  it('limits a group to its per-minute budget and everything to the global one', async () => {
    await fake.close();
    await make({
      limits: {
        perChat: { limit: 100, windowMs: 1_000 },
        perGroup: { limit: 3, windowMs: 60_000 },
        global: { limit: 5, windowMs: 1_000 },
      },
    });
    for (let i = 0; i < 3; i++) await telegram.sendMessage(-100, `group ${i}`);
    expect(await failureOf(telegram.sendMessage(-100, 'fourth'))).toMatchObject({ error_code: 429 });
    for (let i = 0; i < 2; i++) await telegram.sendMessage(7 + i, `private ${i}`);
    expect(await failureOf(telegram.sendMessage(9, 'sixth this second'))).toMatchObject({ error_code: 429 });
  });

  it('answers 403 for a chat that blocked the bot', async () => {
    fake.block(42);
    expect(await failureOf(telegram.sendMessage(42, 'hi'))).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
  });

  it('refuses empty and over-long texts and callback data over 64 bytes', async () => {
    expect(await failureOf(telegram.sendMessage(1, ' '))).toMatchObject({ error_code: 400 });
    expect(await failureOf(telegram.sendMessage(2, 'x'.repeat(4097)))).toMatchObject({ error_code: 400 });
    const markup = { inline_keyboard: [[{ text: 'Go', callback_data: 'x'.repeat(65) }]] };
    expect(await failureOf(telegram.sendMessage(3, 'hi', { reply_markup: markup }))).toMatchObject({
      description: 'Bad Request: BUTTON_DATA_INVALID',
    });
  });

  it('says "message is not modified" when an edit changes nothing', async () => {
    await fake.close();
    await make({ limits: false });
    const m = await telegram.sendMessage(42, 'status: open');
    await telegram.editMessageText(42, m.message_id, undefined, 'status: paid');
    expect(await failureOf(telegram.editMessageText(42, m.message_id, undefined, 'status: paid'))).toMatchObject({
      error_code: 400,
      description: expect.stringContaining('message is not modified') as unknown,
    });
  });

  it('answers a callback query once; a second or late answer is "query is too old"', async () => {
    await fake.close();
    await make({ callbackTimeoutMs: 100 });
    const alice = fake.user(1, 'Alice');
    const first = fake.callback(alice, fake.privateChat(alice), 5, 'act:1') as unknown as {
      callback_query: { id: string };
    };
    await telegram.answerCbQuery(first.callback_query.id, 'Done');
    expect(await failureOf(telegram.answerCbQuery(first.callback_query.id))).toMatchObject({ error_code: 400 });
    const late = fake.callback(alice, fake.privateChat(alice), 5, 'act:2') as unknown as {
      callback_query: { id: string };
    };
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await failureOf(telegram.answerCbQuery(late.callback_query.id))).toMatchObject({
      description: 'Bad Request: query is too old and response timeout expired or query ID is invalid',
    });
  });

  it('serves getUpdates from an offset, forgets confirmed updates and wakes a long poll', async () => {
    const alice = fake.user(1, 'Alice');
    const a = fake.message(alice, fake.privateChat(alice), 'one');
    const b = fake.message(alice, fake.privateChat(alice), 'two');
    fake.enqueueUpdates(a, b);
    expect((await telegram.getUpdates(0, 100, 0, undefined)).map((u) => u.update_id)).toEqual([
      a.update_id,
      b.update_id,
    ]);
    expect((await telegram.getUpdates(0, 100, b.update_id, undefined)).map((u) => u.update_id)).toEqual([b.update_id]);
    expect(fake.confirmedOffset).toBe(b.update_id);
    expect(fake.unconfirmed).toBe(1);

    const c = fake.message(alice, fake.privateChat(alice), 'three');
    const poll = telegram.getUpdates(5, 100, b.update_id + 1, undefined);
    setTimeout(() => fake.enqueueUpdates(c), 50);
    expect((await poll).map((u) => u.update_id)).toEqual([c.update_id]);
  });

  it('answers 409 to getUpdates while a webhook is set or another poller holds the bot', async () => {
    await telegram.setWebhook('http://127.0.0.1:1/telegram/webhook', { secret_token: 'abc' });
    expect(await failureOf(telegram.getUpdates(0, 100, 0, undefined))).toMatchObject({ error_code: 409 });
    await telegram.deleteWebhook();
    fake.pollingConflict = true;
    expect(await failureOf(telegram.getUpdates(0, 100, 0, undefined))).toMatchObject({
      error_code: 409,
      description: expect.stringContaining('terminated by other getUpdates request') as unknown,
    });
  });

  it('refuses a webhook secret with characters Telegram does not allow', async () => {
    expect(await failureOf(telegram.setWebhook('http://x/telegram/webhook', { secret_token: 'a b' }))).toMatchObject({
      description: 'Bad Request: secret token contains unallowed characters',
    });
  });

  it('builds command updates with the entities Telegram clients produce', () => {
    const alice = fake.user(1, 'Alice');
    const u = fake.message(alice, fake.group(-100), '/pay@chipin_test_bot @bobby_b 5') as unknown as {
      message: { entities: unknown[] };
    };
    expect(u.message.entities).toEqual([
      { type: 'bot_command', offset: 0, length: 20 },
      { type: 'mention', offset: 21, length: 8 },
    ]);
  });

  it('can inject a failure for the next calls of a method', async () => {
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect(await failureOf(telegram.sendMessage(42, 'hi'))).toMatchObject({ error_code: 502 });
    await expect(telegram.sendMessage(42, 'hi')).resolves.toMatchObject({ text: 'hi' });
  });
});
