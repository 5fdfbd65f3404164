/**
 * The sandbox's make-believe platform, in memory: its users (numeric ids it assigns itself), its chats (one
 * group with everybody, one private chat per user) and each chat's transcript. Only this is in memory; the
 * people, wallets and ledger behind the users are real, reached through the command layer.
 *
 * Ids follow Telegram's shape so the rest of chipin cannot tell the difference: a user's private chat has the
 * user's id, the group a negative id. User ids start from the clock, so a restarted sandbox (empty again)
 * never hands a new user the identity, and the wallet, of a user from before the restart.
 */
import type { Locale } from '../../config/env.js';
import type { Button, Document, OutMessage } from '../commands/types.js';

export const GROUP_CHAT_ID = '-1000000000001';
export const GROUP_TITLE = 'Sandbox group';

export interface SandboxUser {
  /** Decimal string, as a platform user id. */
  id: string;
  /** Lower-case, without the @. */
  username: string;
  displayName: string;
  language: Locale;
}

export interface SandboxChat {
  id: string;
  kind: 'group' | 'private';
  title: string;
  /** The private chat's user. */
  userId?: string;
}

export type Author =
  | { type: 'user'; userId: string; username: string; displayName: string }
  | { type: 'bot' }
  /** What the platform itself shows: "Alice joined the group". */
  | { type: 'system' };

export interface SandboxMessage {
  /** Per chat, increasing from 1, decimal string (a platform message id). */
  id: string;
  chatId: string;
  /** The chat's revision when the message was created or last edited: polling asks for what is newer. */
  rev: number;
  from: Author;
  text: string;
  buttons?: Button[][];
  document?: Document;
  /** The message this one answers. */
  replyTo?: { messageId: string; author: string; text: string };
  /** `notification`: sent by chipin on its own (the notifications worker), not in answer to anything. */
  origin?: 'notification';
  at: string;
  edited?: boolean;
}

export interface StoreLimits {
  /** Oldest messages are forgotten beyond this, per chat. */
  messagesPerChat: number;
  users: number;
}

export const DEFAULT_LIMITS: StoreLimits = { messagesPerChat: 500, users: 200 };

export type CreateUserError = 'UsernameTaken' | 'TooManyUsers';

interface Transcript {
  chat: SandboxChat;
  messages: SandboxMessage[];
  nextId: number;
  rev: number;
}

export interface SandboxStore {
  users(): SandboxUser[];
  user(id: string): SandboxUser | undefined;
  createUser(input: Omit<SandboxUser, 'id'>): { ok: true; user: SandboxUser } | { ok: false; error: CreateUserError };
  /** The group and every private chat, or the chats `userId` is in (the group and their own private chat). */
  chats(userId?: string): Array<SandboxChat & { rev: number }>;
  chat(id: string): SandboxChat | undefined;
  isMember(userId: string, chatId: string): boolean;
  /** Appends a message to a chat; undefined when there is no such chat. */
  post(
    chatId: string,
    from: Author,
    message: OutMessage,
    extra?: { replyTo?: string; origin?: 'notification' },
  ): SandboxMessage | undefined;
  /** Replaces a message's text, buttons and document; undefined when there is no such message. */
  edit(chatId: string, messageId: string, message: OutMessage): SandboxMessage | undefined;
  message(chatId: string, messageId: string): SandboxMessage | undefined;
  /** Messages created or edited after revision `after`, oldest first, with the chat's current revision. */
  messages(chatId: string, after?: number): { messages: SandboxMessage[]; rev: number } | undefined;
}

const preview = (text: string): string => (text.length > 80 ? `${text.slice(0, 79)}…` : text);

const authorName = (from: Author): string =>
  from.type === 'user' ? from.displayName : from.type === 'bot' ? 'chipin' : 'sandbox';

export function createSandboxStore(options: { limits?: Partial<StoreLimits>; now?: () => Date } = {}): SandboxStore {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? (() => new Date());
  const users = new Map<string, SandboxUser>();
  const transcripts = new Map<string, Transcript>();
  let lastUserId = now().getTime();

  const open = (chat: SandboxChat): void => {
    transcripts.set(chat.id, { chat, messages: [], nextId: 1, rev: 0 });
  };
  open({ id: GROUP_CHAT_ID, kind: 'group', title: GROUP_TITLE });

  const copy = (m: SandboxMessage): SandboxMessage => structuredClone(m);

  const content = (message: OutMessage): Pick<SandboxMessage, 'text' | 'buttons' | 'document'> => ({
    text: message.text,
    ...(message.buttons && message.buttons.length > 0 ? { buttons: message.buttons } : {}),
    ...(message.document ? { document: message.document } : {}),
  });

  return {
    users: () => [...users.values()].map((u) => ({ ...u })),
    user: (id) => {
      const found = users.get(id);
      return found && { ...found };
    },

    createUser(input) {
      if ([...users.values()].some((u) => u.username === input.username)) return { ok: false, error: 'UsernameTaken' };
      if (users.size >= limits.users) return { ok: false, error: 'TooManyUsers' };
      lastUserId = Math.max(lastUserId + 1, now().getTime());
      const user: SandboxUser = { id: String(lastUserId), ...input };
      users.set(user.id, user);
      open({ id: user.id, kind: 'private', title: user.displayName, userId: user.id });
      return { ok: true, user: { ...user } };
    },

    chats(userId) {
      return [...transcripts.values()]
        .filter(({ chat }) => userId === undefined || chat.kind === 'group' || chat.userId === userId)
        .map(({ chat, rev }) => ({ ...chat, rev }));
    },
    chat: (id) => {
      const found = transcripts.get(id)?.chat;
      return found && { ...found };
    },
    isMember(userId, chatId) {
      const chat = transcripts.get(chatId)?.chat;
      return users.has(userId) && chat !== undefined && (chat.kind === 'group' || chat.userId === userId);
    },

    post(chatId, from, message, extra = {}) {
      const t = transcripts.get(chatId);
      if (!t) return undefined;
      const replied = extra.replyTo === undefined ? undefined : t.messages.find((m) => m.id === extra.replyTo);
      const posted: SandboxMessage = {
        id: String(t.nextId++),
        chatId,
        rev: ++t.rev,
        from,
        ...content(message),
        ...(replied
          ? { replyTo: { messageId: replied.id, author: authorName(replied.from), text: preview(replied.text) } }
          : {}),
        ...(extra.origin ? { origin: extra.origin } : {}),
        at: now().toISOString(),
      };
      t.messages.push(posted);
      if (t.messages.length > limits.messagesPerChat) t.messages.splice(0, t.messages.length - limits.messagesPerChat);
      return copy(posted);
    },

    edit(chatId, messageId, message) {
      const t = transcripts.get(chatId);
      const index = t?.messages.findIndex((m) => m.id === messageId) ?? -1;
      const old = t?.messages[index];
      if (!t || !old) return undefined;
      const { buttons: _b, document: _d, ...kept } = old;
      const edited: SandboxMessage = { ...kept, ...content(message), rev: ++t.rev, edited: true };
      t.messages[index] = edited;
      return copy(edited);
    },

    message(chatId, messageId) {
      const found = transcripts.get(chatId)?.messages.find((m) => m.id === messageId);
      return found && copy(found);
    },

    messages(chatId, after = 0) {
      const t = transcripts.get(chatId);
      if (!t) return undefined;
      return { messages: t.messages.filter((m) => m.rev > after).map(copy), rev: t.rev };
    },
  };
}
