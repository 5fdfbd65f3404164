/**
 * What the sandbox user typed → the `IncomingEvent` a real transport would build for it, pure. The rules are
 * Telegram's, so the command layer sees the same shapes it sees there: a message is a command when it starts
 * with a bot command (`/pay`, `/pay@chipin_bot`; addressed to another bot it is not ours), `args` is the rest
 * of the text trimmed, every `@username` in it is a mention with its offset in `args` (whether or not anybody
 * has that name: an unseen name is the claim flow's business), and any other message is a 'seen'.
 */
import type { Actor, ChatRef, IncomingEvent, Mention } from '../commands/types.js';
import type { SandboxChat, SandboxUser } from './store.js';

/** The bot as sandbox users see it: the author of its messages, and the only `/cmd@name` that is ours. */
export const SANDBOX_BOT: Actor = {
  platform: 'sandbox',
  userId: '1',
  username: 'chipin_bot',
  displayName: 'chipin',
  isBot: true,
};

// Telegram: a bot command is `/` + up to 32 of [A-Za-z0-9_], optionally `@botusername`, then a space or the end.
const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,32}))?(?=\s|$)/;
// A mention starts at the beginning or after a character that cannot be part of a username or an e-mail address.
const MENTION = /(?<![A-Za-z0-9_@.])@([A-Za-z0-9_]{1,32})(?![A-Za-z0-9_])/g;

export function actorOf(user: SandboxUser): Actor {
  return {
    platform: 'sandbox',
    userId: user.id,
    username: user.username,
    displayName: user.displayName,
    languageCode: user.language,
    isBot: false,
  };
}

export function chatRefOf(chat: SandboxChat): ChatRef {
  const ref: ChatRef = { platform: 'sandbox', chatId: chat.id, kind: chat.kind };
  if (chat.kind === 'group') ref.title = chat.title;
  return ref;
}

export function mentionsIn(args: string): Mention[] {
  return [...args.matchAll(MENTION)].map((m) => ({
    username: m[1] ?? '',
    offset: m.index,
    length: m[0].length,
  }));
}

export interface TypedMessage {
  /** `sb:<uuid>`. */
  key: string;
  user: SandboxUser;
  chat: SandboxChat;
  text: string;
  /** The transcript id of the user's message. */
  messageId: string;
  /** The author of the message it replies to. */
  replyTo?: Actor;
}

export function eventFromText(input: TypedMessage): IncomingEvent {
  const actor = actorOf(input.user);
  const chat = chatRefOf(input.chat);
  const head = COMMAND.exec(input.text);
  const [, name, addressee] = head ?? [];
  if (!head || name === undefined || (addressee !== undefined && addressee.toLowerCase() !== SANDBOX_BOT.username)) {
    return { type: 'seen', actor, chat };
  }
  const args = input.text.slice(head[0].length).trim();
  const event: IncomingEvent = {
    type: 'command',
    key: input.key,
    actor,
    chat,
    messageId: input.messageId,
    command: name.toLowerCase(),
    args,
    mentions: mentionsIn(args),
  };
  if (addressee !== undefined) event.addressed = true;
  if (input.replyTo) event.replyTo = input.replyTo;
  return event;
}
