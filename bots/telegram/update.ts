/**
 * Telegram Update → IncomingEvent, pure. The payload comes from the network (and then from the inbox), so it is
 * validated, not trusted: only the fields read here are checked, everything else is ignored.
 *
 * What never becomes a command (money commands must come from a fresh message by an identifiable person):
 * `edited_message` (an edit must not re-run a payment), forwarded messages (the author is not the
 * forwarder), messages sent via an inline bot, messages sent on behalf of a chat (`sender_chat`), the anonymous
 * admin 1087968824 and the service account 777000, other bots, and commands addressed to another bot.
 */
import { updateKey } from './keys.js';
import { z } from 'zod';
import type { Actor, ChatRef, IncomingEvent, Mention } from '../commands/types.js';
import type { Locale } from '../../core/index.js';

/** GroupAnonymousBot: anonymous group admins post as this user. */
export const ANONYMOUS_ADMIN_ID = 1087968824;
/** Telegram's service account: channel posts forwarded to discussion groups. */
export const SERVICE_ACCOUNT_ID = 777000;

const id = z.number().int().refine(Number.isSafeInteger);

const userSchema = z.object({
  id,
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

const chatSchema = z.object({
  id,
  type: z.string(),
  title: z.string().optional(),
});

const entitySchema = z.object({
  type: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  user: userSchema.optional(),
});

const baseMessage = {
  message_id: id,
  message_thread_id: id.optional(),
  is_topic_message: z.boolean().optional(),
  from: userSchema.optional(),
  sender_chat: z.unknown().optional(),
  chat: chatSchema,
  text: z.string().optional(),
  entities: z.array(entitySchema).optional(),
  forward_origin: z.unknown().optional(),
  forward_from: z.unknown().optional(),
  forward_from_chat: z.unknown().optional(),
  forward_date: z.unknown().optional(),
  is_automatic_forward: z.unknown().optional(),
  via_bot: z.unknown().optional(),
  forum_topic_created: z.unknown().optional(),
};

const replySchema = z.object(baseMessage);
const messageSchema = z.object({
  ...baseMessage,
  reply_to_message: replySchema.optional(),
  // Join and leave service messages.
  new_chat_members: z.array(userSchema).optional(),
  left_chat_member: userSchema.optional(),
});

const callbackSchema = z.object({
  id: z.string().min(1),
  from: userSchema,
  message: z.object({ message_id: id, message_thread_id: id.optional(), chat: chatSchema }).optional(),
  data: z.string().optional(),
});

// A member's status changed (ChatMemberUpdated; sent only to bots that are admins and ask for it).
const chatMemberSchema = z.object({
  chat: chatSchema,
  new_chat_member: z.object({ status: z.string(), user: userSchema, is_member: z.boolean().optional() }),
});

// An answer to a non-anonymous poll (`voter_chat` instead of `user` only for anonymous voters).
const pollAnswerSchema = z.object({
  poll_id: z.string().min(1).max(128),
  user: userSchema.optional(),
  option_ids: z.array(z.number().int().nonnegative()),
});

const updateSchema = z.object({
  update_id: id,
  message: messageSchema.optional(),
  edited_message: messageSchema.optional(),
  callback_query: callbackSchema.optional(),
  chat_member: chatMemberSchema.optional(),
  poll_answer: pollAnswerSchema.optional(),
});

type TgUser = z.infer<typeof userSchema>;
type TgChat = z.infer<typeof chatSchema>;
type TgMessage = z.infer<typeof messageSchema>;

export interface BotIdentity {
  /** Numeric prefix of the token, decimal string. */
  id: string;
  /** Without @; when known, commands addressed to another bot (`/pay@otherbot`) are not ours. */
  username?: string;
}

/** Where the answers to one update go (more than the platform-neutral event carries). */
export interface Origin {
  chat: ChatRef;
  actor: Actor;
  /** The command's message (replied to in groups) or the message carrying the pressed button (edited). */
  messageId?: number;
  /** Forum topic of the message: replies go to the same topic. */
  threadId?: number;
  /** Set for a button press: answered first. */
  callbackQueryId?: string;
  /** The actor's language as the command layer knows it (`HandleResult.locale`), once the update is handled. */
  locale?: Locale;
}

export interface Delivery {
  /** Undefined: nothing for the command layer (ignored update type, channel post, inline button, …). */
  event: IncomingEvent | undefined;
  /** Undefined when there is nowhere to answer. */
  origin: Origin | undefined;
  /** Why there is no event, for the inbox note; absent when there is one. */
  ignored?: string;
}

/** The inbox key of an update (SPEC §5). */

const str = (n: number): string => String(n);

export function toActor(user: TgUser): Actor {
  const actor: Actor = {
    platform: 'telegram',
    userId: str(user.id),
    displayName: [user.first_name, user.last_name].filter((part) => part !== undefined && part !== '').join(' '),
    isBot: user.is_bot,
  };
  if (user.username !== undefined) actor.username = user.username;
  if (user.language_code !== undefined) actor.languageCode = user.language_code;
  return actor;
}

function toChat(chat: TgChat): ChatRef | undefined {
  const kind =
    chat.type === 'private' ? 'private' : chat.type === 'group' || chat.type === 'supergroup' ? 'group' : undefined;
  if (!kind) return undefined; // channels
  const ref: ChatRef = { platform: 'telegram', chatId: str(chat.id), kind };
  if (chat.title !== undefined) ref.title = chat.title;
  return ref;
}

const isPerson = (user: TgUser | undefined): user is TgUser =>
  user !== undefined && user.id !== ANONYMOUS_ADMIN_ID && user.id !== SERVICE_ACCOUNT_ID;

/** The message was written, as it stands, by its `from`: not forwarded, not via a bot, not on behalf of a chat. */
function isOwnMessage(m: TgMessage | z.infer<typeof replySchema>): boolean {
  return (
    m.forward_origin === undefined &&
    m.forward_from === undefined &&
    m.forward_from_chat === undefined &&
    m.forward_date === undefined &&
    m.is_automatic_forward === undefined &&
    m.via_bot === undefined &&
    m.sender_chat === undefined &&
    isPerson(m.from)
  );
}

function origin(chat: ChatRef, actor: Actor, m: TgMessage): Origin {
  const o: Origin = { chat, actor, messageId: m.message_id };
  if (m.is_topic_message === true && m.message_thread_id !== undefined) o.threadId = m.message_thread_id;
  return o;
}

/** The author of the replied-to message, when it is a person who wrote it (not a forum topic's opening). */
function replyAuthor(m: TgMessage): Actor | undefined {
  const reply = m.reply_to_message;
  // In a forum, a message without an explicit reply "replies" to the topic's service message.
  if (!reply || reply.forum_topic_created !== undefined || !isOwnMessage(reply)) return undefined;
  return toActor(reply.from!);
}

/**
 * Mentions within the args, in order, each with its place in `args` (which starts at `argsStart` in `text`). The bot
 * named by its own @username is a user with an id (a bot), not a name nobody has seen: no claim is held for it.
 */
function mentionsIn(
  text: string,
  entities: z.infer<typeof entitySchema>[],
  argsStart: number,
  bot: BotIdentity,
): Mention[] {
  const mentions: Mention[] = [];
  for (const e of [...entities].sort((a, b) => a.offset - b.offset)) {
    if (e.offset < argsStart) continue;
    const span = { offset: e.offset - argsStart, length: e.length };
    if (e.type === 'mention') {
      const username = text.slice(e.offset + 1, e.offset + e.length);
      if (bot.username !== undefined && username.toLowerCase() === bot.username.toLowerCase()) {
        const self: Actor = { platform: 'telegram', userId: bot.id, displayName: username, username, isBot: true };
        mentions.push({ user: self, ...span });
      } else if (username !== '') mentions.push({ username, ...span });
    } else if (e.type === 'text_mention' && e.user) {
      mentions.push({ user: toActor(e.user), ...span });
    }
  }
  return mentions;
}

function fromMessage(m: TgMessage, key: string, bot: BotIdentity, edited: boolean): Delivery {
  const chat = toChat(m.chat);
  if (!chat) return { event: undefined, origin: undefined, ignored: 'not a private or group chat' };
  const joinOrLeave = memberMessage(m, chat);
  if (joinOrLeave) return joinOrLeave;
  if (!isPerson(m.from) || m.sender_chat !== undefined) {
    return { event: undefined, origin: undefined, ignored: 'not sent by an identifiable person' };
  }
  const actor = toActor(m.from);
  const where = origin(chat, actor, m);
  const seen: Delivery = { event: { type: 'seen', actor, chat }, origin: where };

  const text = m.text ?? '';
  const head = m.entities?.find((e) => e.offset === 0 && e.type === 'bot_command');
  if (edited || !head || !isOwnMessage(m) || actor.isBot) return seen;

  const [name = '', addressee] = text.slice(1, head.length).split('@', 2);
  if (addressee !== undefined && bot.username !== undefined && addressee.toLowerCase() !== bot.username.toLowerCase()) {
    return seen; // `/pay@otherbot`
  }
  if (name === '') return seen;

  const afterCommand = text.slice(head.length);
  const args = afterCommand.trim();
  const argsStart = head.length + (afterCommand.length - afterCommand.trimStart().length);
  const event: IncomingEvent = {
    type: 'command',
    key,
    actor,
    chat,
    messageId: str(m.message_id),
    command: name.toLowerCase(),
    args,
    mentions: mentionsIn(text, m.entities ?? [], argsStart, bot),
  };
  if (addressee !== undefined && bot.username !== undefined) event.addressed = true;
  const replyTo = replyAuthor(m);
  if (replyTo) event.replyTo = replyTo;
  return { event, origin: where };
}

function fromCallback(q: z.infer<typeof callbackSchema>, updateId: number): Delivery {
  const actor = toActor(q.from);
  const chat = q.message ? toChat(q.message.chat) : undefined;
  if (!chat || !q.message) {
    // A button on an inline-mode message: we send none, but the spinner must still stop.
    return {
      event: undefined,
      origin: { chat: { platform: 'telegram', chatId: actor.userId, kind: 'private' }, actor, callbackQueryId: q.id },
      ignored: 'button without a chat message',
    };
  }
  const where: Origin = { chat, actor, messageId: q.message.message_id, callbackQueryId: q.id };
  if (q.message.message_thread_id !== undefined) where.threadId = q.message.message_thread_id;
  if (q.data === undefined || q.data === '' || !isPerson(q.from)) {
    return { event: undefined, origin: where, ignored: 'button without data' };
  }
  const event: IncomingEvent = {
    type: 'button',
    key: `tgcb:${q.id}`,
    actor,
    chat,
    messageId: str(q.message.message_id),
    actionId: q.data,
    order: String(updateId),
  };
  return { event, origin: where };
}

/**
 * Maps one update. Never throws: a malformed payload is an ignored delivery. `key`: the key it was stored under
 * (keys.ts: it carries the bot's update-id epoch); without one, the first epoch's.
 */
export function parseUpdate(raw: unknown, bot: BotIdentity, key?: string): Delivery {
  const parsed = updateSchema.safeParse(raw);
  if (!parsed.success) return { event: undefined, origin: undefined, ignored: 'malformed update' };
  const u = parsed.data;
  key ??= updateKey(bot.id, u.update_id);
  if (u.message) return fromMessage(u.message, key, bot, false);
  if (u.edited_message) return fromMessage(u.edited_message, key, bot, true);
  if (u.callback_query) return fromCallback(u.callback_query, u.update_id);
  if (u.chat_member) return fromChatMember(u.chat_member);
  if (u.poll_answer) return fromPollAnswer(u.poll_answer, key, u.update_id);
  return { event: undefined, origin: undefined, ignored: 'update type not handled' };
}

/**
 * The processing partition of an update: messages of one chat are processed one at a time, in order. Button
 * presses are not held behind a chat's slow command: their answer is due within a second.
 */
export function partitionOf(raw: unknown): string | undefined {
  const u = raw as {
    message?: { chat?: { id?: unknown } };
    edited_message?: { chat?: { id?: unknown } };
    chat_member?: { chat?: { id?: unknown } };
    poll_answer?: { poll_id?: unknown };
  } | null;
  // Joins and leaves are kept in order with the chat's messages.
  const chatId = (u?.message ?? u?.edited_message ?? u?.chat_member)?.chat?.id;
  if (typeof chatId === 'number') return `chat:${chatId}`;
  // A poll's answers are applied in order: a voter's last answer is their vote.
  const pollId = u?.poll_answer?.poll_id;
  return typeof pollId === 'string' ? `poll:${pollId}` : undefined;
}

// Telegram ChatMember statuses that mean present in the chat, and those that mean gone.
const PRESENT_STATUSES: ReadonlySet<string> = new Set(['creator', 'administrator', 'member', 'restricted']);
const GONE_STATUSES: ReadonlySet<string> = new Set(['left', 'kicked']);

/** Users of a join or leave notice who can be people (bots and Telegram's service accounts are not). */
const memberActors = (users: readonly TgUser[]): Actor[] =>
  users.filter((user) => isPerson(user) && !user.is_bot).map(toActor);

function memberDelivery(chat: ChatRef, change: 'joined' | 'left', actors: Actor[]): Delivery {
  const [first] = actors;
  if (chat.kind !== 'group' || !first) return { event: undefined, origin: undefined, ignored: 'no member change' };
  return { event: { type: 'member', change, actors, chat }, origin: { chat, actor: first } };
}

/**
 * A `new_chat_members` / `left_chat_member` service message about people, or undefined for any other message (one
 * about bots only, such as this bot being added, stays a message its sender is seen by).
 */
function memberMessage(m: TgMessage, chat: ChatRef): Delivery | undefined {
  const joined = memberActors(m.new_chat_members ?? []);
  if (joined.length > 0) return memberDelivery(chat, 'joined', joined);
  const left = memberActors(m.left_chat_member ? [m.left_chat_member] : []);
  if (left.length > 0) return memberDelivery(chat, 'left', left);
  return undefined;
}

function fromChatMember(u: z.infer<typeof chatMemberSchema>): Delivery {
  const chat = toChat(u.chat);
  if (!chat) return { event: undefined, origin: undefined, ignored: 'not a private or group chat' };
  const { status, user } = u.new_chat_member;
  // A restricted user may be outside the chat: Telegram says so with is_member.
  const gone = GONE_STATUSES.has(status) || (status === 'restricted' && u.new_chat_member.is_member === false);
  if (!gone && !PRESENT_STATUSES.has(status)) return { event: undefined, origin: undefined, ignored: 'member status' };
  return memberDelivery(chat, gone ? 'left' : 'joined', memberActors([user]));
}

/** polls: a voter's answer; polls are sent single-answer, so the first option is the choice, none a retraction. */
function fromPollAnswer(a: z.infer<typeof pollAnswerSchema>, key: string, updateId: number): Delivery {
  if (!isPerson(a.user) || a.user.is_bot) return { event: undefined, origin: undefined, ignored: 'anonymous vote' };
  const actor = toActor(a.user);
  const event: IncomingEvent = {
    type: 'vote',
    key,
    actor,
    platform: 'telegram',
    pollId: a.poll_id,
    choice: a.option_ids[0] ?? null,
    order: String(updateId),
  };
  // Nothing is said in answer (the poll shows the vote): the voter's private chat is only a formal origin.
  return { event, origin: { chat: { platform: 'telegram', chatId: actor.userId, kind: 'private' }, actor } };
}
