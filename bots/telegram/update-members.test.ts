import { describe, expect, it } from 'vitest';
import { ANONYMOUS_ADMIN_ID, parseUpdate, partitionOf, type BotIdentity } from './update.js';

const bot: BotIdentity = { id: '123456', username: 'chipin_bot' };
const alice = { id: 111, is_bot: false, first_name: 'Alice', username: 'alice' };
const bob = { id: 222, is_bot: false, first_name: 'Bob' };
const helper = { id: 333, is_bot: true, first_name: 'Helper', username: 'helper_bot' };
const group = { id: -1001234567890, type: 'supergroup', title: 'Trip' };
const chat = { platform: 'telegram', chatId: '-1001234567890', kind: 'group', title: 'Trip' };

const aliceActor = { platform: 'telegram', userId: '111', username: 'alice', displayName: 'Alice', isBot: false };
const bobActor = { platform: 'telegram', userId: '222', displayName: 'Bob', isBot: false };

/** A ChatMemberUpdated as the Bot API sends it: `new_chat_member` is a ChatMember of the given status. */
function chatMember(status: string, extra: Record<string, unknown> = {}, user: object = bob) {
  return {
    update_id: 90,
    chat_member: {
      chat: group,
      from: alice,
      date: 1_700_000_000,
      old_chat_member: { status: 'left', user },
      new_chat_member: { status, user, ...extra },
    },
  };
}

const serviceMessage = (fields: Record<string, unknown>) => ({
  update_id: 91,
  message: { message_id: 30, date: 1, from: alice, chat: group, ...fields },
});

const eventOf = (update: unknown) => parseUpdate(update, bot).event;

describe('chat_member updates become member events', () => {
  it('a member, administrator, creator or restricted member is present', () => {
    for (const status of ['member', 'administrator', 'creator', 'restricted']) {
      expect(eventOf(chatMember(status, status === 'restricted' ? { is_member: true } : {}))).toEqual({
        type: 'member',
        change: 'joined',
        actors: [bobActor],
        chat,
      });
    }
  });

  it('left, kicked, and restricted outside the chat are gone', () => {
    for (const update of [
      chatMember('left'),
      chatMember('kicked', { until_date: 0 }),
      chatMember('restricted', { is_member: false }),
    ]) {
      expect(eventOf(update)).toEqual({ type: 'member', change: 'left', actors: [bobActor], chat });
    }
  });

  it('bots, the anonymous admin, private chats and unknown statuses are ignored', () => {
    expect(eventOf(chatMember('member', {}, helper))).toBeUndefined();
    expect(eventOf(chatMember('member', {}, { ...bob, id: ANONYMOUS_ADMIN_ID }))).toBeUndefined();
    expect(eventOf(chatMember('owner-ish'))).toBeUndefined();
    const dm = chatMember('member');
    dm.chat_member.chat = { id: 222, type: 'private', title: 'x' };
    expect(eventOf(dm)).toBeUndefined();
  });

  it('are processed in order with the messages of their chat', () => {
    expect(partitionOf(chatMember('left'))).toBe('chat:-1001234567890');
  });
});

describe('join and leave service messages become member events', () => {
  it('new_chat_members lists every person who joined, without bots', () => {
    const delivery = parseUpdate(serviceMessage({ new_chat_members: [alice, bob, helper] }), bot);
    expect(delivery.event).toEqual({ type: 'member', change: 'joined', actors: [aliceActor, bobActor], chat });
    expect(delivery.origin).toMatchObject({ chat, actor: aliceActor });
  });

  it('left_chat_member is the person who left, whoever removed them', () => {
    expect(eventOf(serviceMessage({ left_chat_member: bob }))).toEqual({
      type: 'member',
      change: 'left',
      actors: [bobActor],
      chat,
    });
  });

  it('a bot joining or leaving is no member change: only its sender is seen', () => {
    const seen = { type: 'seen', actor: aliceActor, chat };
    expect(eventOf(serviceMessage({ left_chat_member: helper }))).toEqual(seen);
    expect(eventOf(serviceMessage({ new_chat_members: [helper] }))).toEqual(seen);
  });
});
