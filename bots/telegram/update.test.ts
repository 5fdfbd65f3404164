import { describe, expect, it } from 'vitest';
import { ANONYMOUS_ADMIN_ID, parseUpdate, SERVICE_ACCOUNT_ID, type BotIdentity } from './update.js';
import { updateKey } from './keys.js';

const bot: BotIdentity = { id: '123456', username: 'chipin_bot' };
const alice = {
  id: 111,
  is_bot: false,
  first_name: 'Alice',
  last_name: 'Liddell',
  username: 'alice',
  language_code: 'en',
};
const bob = { id: 4_503_599_627_370_495, is_bot: false, first_name: 'Bob' }; // 52 bits (T11)
const group = { id: -1001234567890, type: 'supergroup', title: 'Trip' };
const dm = { id: 111, type: 'private', first_name: 'Alice' };

function command(text: string, extra: Record<string, unknown> = {}, entities?: unknown[]) {
  const name = /^\/\S+/.exec(text)?.[0] ?? '';
  return {
    update_id: 77,
    message: {
      message_id: 9,
      date: 1,
      from: alice,
      chat: group,
      text,
      entities: entities ?? [{ type: 'bot_command', offset: 0, length: name.length }],
      ...extra,
    },
  };
}

const eventOf = (update: unknown) => parseUpdate(update, bot).event;

describe('a message becomes a command', () => {
  it('maps /pay with its args, actor, chat and key', () => {
    expect(eventOf(command('/pay 5 USD lunch'))).toEqual({
      type: 'command',
      key: 'tg:123456:77',
      actor: {
        platform: 'telegram',
        userId: '111',
        username: 'alice',
        displayName: 'Alice Liddell',
        languageCode: 'en',
        isBot: false,
      },
      chat: { platform: 'telegram', chatId: '-1001234567890', kind: 'group', title: 'Trip' },
      messageId: '9',
      command: 'pay',
      args: '5 USD lunch',
      mentions: [],
    });
  });

  it('measures mention spans from where args start, after any run of spaces', () => {
    const text = '/pay   @bobby 5';
    const entities = [
      { type: 'bot_command', offset: 0, length: 4 },
      { type: 'mention', offset: 7, length: 6 },
    ];
    expect(eventOf(command(text, {}, entities))).toMatchObject({
      args: '@bobby 5',
      mentions: [{ username: 'bobby', offset: 0, length: 6 }],
    });
  });

  it('strips our @botname suffix and lower-cases the command', () => {
    expect(eventOf(command('/Pay@chipin_bot 5'))).toMatchObject({ command: 'pay', args: '5' });
    expect(eventOf(command('/pay@CHIPIN_BOT 5'))).toMatchObject({ type: 'command' });
  });

  it('marks a command that names this bot as addressed to it, and a bare one as not', () => {
    expect(eventOf(command('/nosuch@chipin_bot'))).toMatchObject({ command: 'nosuch', addressed: true });
    expect(eventOf(command('/nosuch'))).not.toHaveProperty('addressed');
  });

  it('leaves a command addressed to another bot alone', () => {
    expect(eventOf(command('/pay@other_bot 5'))).toMatchObject({ type: 'seen' });
  });

  it('collects @username and text_mention mentions from the args, in order', () => {
    const text = '/pay @bobby 5 Carol';
    const entities = [
      { type: 'bot_command', offset: 0, length: 4 },
      { type: 'text_mention', offset: 14, length: 5, user: { id: 333, is_bot: false, first_name: 'Carol' } },
      { type: 'mention', offset: 5, length: 6 },
      { type: 'bold', offset: 12, length: 1 },
    ];
    const event = eventOf(command(text, {}, entities));
    expect(event).toMatchObject({
      args: '@bobby 5 Carol',
      mentions: [
        { username: 'bobby', offset: 0, length: 6 },
        { user: { platform: 'telegram', userId: '333', displayName: 'Carol', isBot: false }, offset: 9, length: 5 },
      ],
    });
    // The spans point into args (SPEC seam: MentionSpan).
    if (event?.type !== 'command') throw new Error('expected a command');
    expect(event.mentions.map((m) => event.args.slice(m.offset, (m.offset ?? 0) + (m.length ?? 0)))).toEqual([
      '@bobby',
      'Carol',
    ]);
  });

  it('takes the payee of a reply from the replied-to message, ids as decimal strings up to 52 bits', () => {
    const reply = { message_id: 8, date: 1, from: bob, chat: group, text: 'I paid the taxi' };
    expect(eventOf(command('/pay 5', { reply_to_message: reply }))).toMatchObject({
      replyTo: { userId: '4503599627370495', displayName: 'Bob', isBot: false },
    });
  });

  it('does not take a forum topic opening, an anonymous admin or a forwarded message as the payee', () => {
    const topic = { message_id: 2, date: 1, from: bob, chat: group, forum_topic_created: { name: 'x', icon_color: 1 } };
    const anonymous = {
      message_id: 3,
      date: 1,
      from: { id: ANONYMOUS_ADMIN_ID, is_bot: true, first_name: 'Group' },
      sender_chat: group,
      chat: group,
      text: 'hi',
    };
    const forwarded = {
      message_id: 4,
      date: 1,
      from: bob,
      chat: group,
      text: 'x',
      forward_origin: { type: 'hidden_user', date: 1, sender_user_name: 'Z' },
    };
    for (const reply of [topic, anonymous, forwarded]) {
      const event = eventOf(
        command('/pay 5', { reply_to_message: reply, is_topic_message: true, message_thread_id: 2 }),
      );
      expect(event).toMatchObject({ type: 'command' });
      expect(event).not.toHaveProperty('replyTo');
    }
  });

  it('keeps the forum topic for the answers', () => {
    expect(
      parseUpdate(command('/balance', { is_topic_message: true, message_thread_id: 2 }), bot).origin,
    ).toMatchObject({
      threadId: 2,
      messageId: 9,
    });
  });

  it('marks a private chat as private', () => {
    expect(eventOf(command('/balance', { chat: dm }))).toMatchObject({ chat: { chatId: '111', kind: 'private' } });
  });
});

describe('what never becomes a money command (T13, T14, C6)', () => {
  it('an edited message is only "seen", so an edit cannot re-run a payment', () => {
    const edited = { update_id: 78, edited_message: command('/pay @bob 1000').message };
    expect(eventOf(edited)).toMatchObject({ type: 'seen', actor: { userId: '111' } });
  });

  it('forwarded commands, old and new style, are only "seen"', () => {
    expect(eventOf(command('/approve', { forward_origin: { type: 'user', date: 1, sender_user: bob } }))).toMatchObject(
      { type: 'seen' },
    );
    expect(eventOf(command('/approve', { forward_from: bob, forward_date: 1 }))).toMatchObject({ type: 'seen' });
    expect(eventOf(command('/approve', { is_automatic_forward: true }))).toMatchObject({ type: 'seen' });
  });

  it('a command sent via an inline bot is only "seen"', () => {
    expect(eventOf(command('/pay 5', { via_bot: { id: 9, is_bot: true, first_name: 'x' } }))).toMatchObject({
      type: 'seen',
    });
  });

  it('the anonymous admin, the service account and messages on behalf of a chat produce nothing', () => {
    for (const from of [
      { id: ANONYMOUS_ADMIN_ID, is_bot: true, first_name: 'Group' },
      { id: SERVICE_ACCOUNT_ID, is_bot: false, first_name: 'Telegram' },
    ]) {
      expect(eventOf(command('/fund spend x 5', { from }))).toBeUndefined();
    }
    expect(eventOf(command('/pay 5', { sender_chat: group }))).toBeUndefined();
  });

  it('other bots are only "seen"', () => {
    expect(eventOf(command('/pay 5', { from: { id: 5, is_bot: true, first_name: 'Bot' } }))).toMatchObject({
      type: 'seen',
    });
  });

  it('a command that is not at the start of the text is only "seen"', () => {
    const u = command('please /pay 5', {}, [{ type: 'bot_command', offset: 7, length: 4 }]);
    expect(eventOf(u)).toMatchObject({ type: 'seen' });
  });
});

describe('other updates', () => {
  it('a plain message is "seen", refreshing who the user is', () => {
    expect(eventOf(command('hello', {}, []))).toEqual({
      type: 'seen',
      actor: expect.objectContaining({ userId: '111', username: 'alice' }) as unknown,
      chat: expect.objectContaining({ chatId: '-1001234567890' }) as unknown,
    });
  });

  it('a button press becomes a button event keyed on the callback query id, ordered by its update id', () => {
    const update = {
      update_id: 80,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: alice,
        chat_instance: '1',
        data: 'act:Zk3_x',
        message: { message_id: 12, date: 1, chat: group, text: 'Confirm?' },
      },
    };
    const delivery = parseUpdate(update, bot);
    expect(delivery.event).toEqual({
      type: 'button',
      key: 'tgcb:4382bfdwdsb323b2d9',
      actor: expect.objectContaining({ userId: '111' }) as unknown,
      chat: expect.objectContaining({ chatId: '-1001234567890', kind: 'group' }) as unknown,
      messageId: '12',
      actionId: 'act:Zk3_x',
      order: '80',
    });
    expect(delivery.origin).toMatchObject({ callbackQueryId: '4382bfdwdsb323b2d9', messageId: 12 });
  });

  it('a button on an inline message still has a query to answer, but no event', () => {
    const update = {
      update_id: 81,
      callback_query: { id: 'q', from: alice, chat_instance: '1', inline_message_id: 'i', data: 'x' },
    };
    const delivery = parseUpdate(update, bot);
    expect(delivery.event).toBeUndefined();
    expect(delivery.origin?.callbackQueryId).toBe('q');
  });

  it('unknown update types, channel posts and malformed payloads are ignored, never thrown', () => {
    expect(parseUpdate({ update_id: 1, message_reaction: {} }, bot)).toMatchObject({
      event: undefined,
      ignored: 'update type not handled',
    });
    expect(
      parseUpdate(
        { update_id: 2, message: { message_id: 1, date: 1, chat: { id: -5, type: 'channel' }, text: '/pay' } },
        bot,
      ).event,
    ).toBeUndefined();
    for (const junk of [null, 'x', {}, { update_id: 'one' }, { update_id: 3, message: { chat: 'nope' } }]) {
      expect(parseUpdate(junk, bot)).toMatchObject({ event: undefined, ignored: 'malformed update' });
    }
  });

  it('keys updates as tg:<bot id>:<update_id> (SPEC §5)', () => {
    expect(updateKey('123456', 987654321)).toBe('tg:123456:987654321');
  });
});
