/**
 * The sandbox as a transport: a typed message or a button press becomes an `IncomingEvent` for the real
 * command layer, and the returned effects are carried out on the in-memory transcript the way the Telegram
 * transport carries them out on Telegram: a reply where the event came from (answering the command's message
 * in the group), a private reply in the actor's private chat with a pointer left in the group, an edit of the
 * pressed button's message, and the answer to a press as a toast.
 */
import { pollAsButtons } from '../commands/poll.js';
import { randomUUID } from 'node:crypto';
import type { Log } from '../../core/log.js';
import {
  inTheirLanguage,
  type Actor,
  type CommandLayer,
  type Effect,
  type IncomingEvent,
  type OutMessage,
} from '../commands/types.js';
import { pickLocale, type Locale } from '../../core/index.js';
import { t } from '../i18n/index.js';
import { actorOf, chatRefOf, eventFromText, SANDBOX_BOT } from './events.js';
import {
  GROUP_CHAT_ID,
  type Author,
  type SandboxChat,
  type SandboxMessage,
  type SandboxStore,
  type SandboxUser,
} from './store.js';

export const SANDBOX_ERRORS = ['UnknownUser', 'UnknownChat', 'NotAMember', 'UnknownMessage', 'NotABotMessage'] as const;
export type SandboxError = (typeof SANDBOX_ERRORS)[number];

/** The answer to a button press. */
export interface Toast {
  text: string;
  alert: boolean;
}

export type Outcome<T> = ({ ok: true } & T) | { ok: false; error: SandboxError };

export interface SendInput {
  userId: string;
  chatId: string;
  text: string;
  replyToMessageId?: string;
}

export interface PressInput {
  userId: string;
  chatId: string;
  messageId: string;
  actionId: string;
}

export interface Sandbox {
  /**
   * A new user joins the group. Like Telegram's join message, it is a 'seen': the person exists from now on,
   * their @username resolves, and money held for that username asks its sender to release it.
   */
  join(user: SandboxUser): Promise<void>;
  /** Posts the user's message, hands the event to the command layer and applies what it answers. */
  send(input: SendInput): Promise<Outcome<{ message: SandboxMessage; toast?: Toast }>>;
  /** Presses a button of a bot message as the user. */
  press(input: PressInput): Promise<Outcome<{ toast?: Toast }>>;
}

export interface SandboxDeps {
  store: SandboxStore;
  layer: CommandLayer;
  log: Log;
  /** Idempotency keys of the deliveries (default: random UUIDs). */
  newKey?: () => string;
  /** Binds a posted live message to its live row (core/live bindLive). Omitted: live messages are never edited. */
  bindLive?: (ref: string, version: string, chatId: string, messageId: string) => Promise<void>;
  /**
   * Records the message that carries these buttons (core/actions bindMessages): a press must then come from it, and a
   * button whose time ends (Undo, Confirm) has that message edited. Omitted: buttons are bound to no message.
   */
  bindButtons?: (actionIds: string[], chatId: string, messageId: string) => Promise<void>;
}

const BOT: Author = { type: 'bot' };

/** Where the effects of one event land. */
interface Origin {
  user: SandboxUser;
  chat: SandboxChat;
  /** The user's command message, or the bot message whose button was pressed. */
  messageId: string;
  pressed: boolean;
  /** The user's language as the command layer knows it (`HandleResult.locale`), once the event is handled. */
  locale?: Locale;
}

export function createSandbox(deps: SandboxDeps): Sandbox {
  const { store, layer, log } = deps;
  const newKey = deps.newKey ?? (() => `sb:${randomUUID()}`);

  /** Binds the buttons of `message` to the message that shows them; a failure only loosens that check. */
  const bind = (chatId: string, message: OutMessage, messageId: string | undefined): void => {
    const ids = (message.buttons ?? []).flat().flatMap((button) => button.actionId ?? []);
    if (ids.length === 0 || messageId === undefined || !deps.bindButtons) return;
    deps.bindButtons(ids, chatId, messageId).catch((err: unknown) => {
      log.warn({ err, messageId }, 'sandbox: could not bind buttons to their message');
    });
  };

  const reply = (origin: Origin, message: OutMessage, isPrivate: boolean): void => {
    // In a group, a reply answers the command's message; a button's message is the bot's own.
    const answering = origin.chat.kind === 'group' && !origin.pressed ? { replyTo: origin.messageId } : {};
    if (!isPrivate || origin.chat.kind === 'private') {
      bind(origin.chat.id, message, store.post(origin.chat.id, BOT, message, answering)?.id);
      return;
    }
    bind(origin.user.id, message, store.post(origin.user.id, BOT, message)?.id);
    const pointer = t(origin.locale ?? pickLocale(null, origin.user.language, 'en'), 'private.dm_sent', {
      name: `@${origin.user.username}`,
    });
    store.post(origin.chat.id, BOT, { text: pointer }, answering);
  };

  function apply(origin: Origin, effects: readonly Effect[]): Toast | undefined {
    let toast: Toast | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'reply':
          reply(origin, effect.message, effect.private);
          break;
        case 'edit':
          // Nothing of ours to edit (a typed command) or the message is gone: say it as a new message.
          if (!origin.pressed || !store.edit(origin.chat.id, origin.messageId, effect.message)) {
            reply(origin, effect.message, false);
          } else {
            bind(origin.chat.id, effect.message, origin.messageId);
          }
          break;
        case 'live': {
          // A public reply; bound to its live row when the sandbox has the database (later changes edit it).
          const posted = store.post(
            origin.chat.id,
            BOT,
            effect.message,
            origin.chat.kind === 'group' && !origin.pressed ? { replyTo: origin.messageId } : {},
          );
          if (posted && deps.bindLive) {
            deps.bindLive(effect.ref, effect.version, origin.chat.id, posted.id).catch((err: unknown) => {
              log.warn({ err, ref: effect.ref }, 'sandbox: live message not bound');
            });
          }
          break;
        }
        case 'answer':
          if (effect.text !== undefined && effect.text !== '')
            toast = { text: effect.text, alert: effect.alert ?? false };
          break;
        case 'poll':
          reply(origin, pollAsButtons(effect), false);
          break;
        case 'pollClosed':
          break; // its buttons answer "closed" from now on
        default: {
          const unknown: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
        }
      }
    }
    return toast;
  }

  async function handle(origin: Origin, event: IncomingEvent): Promise<Toast | undefined> {
    const context = { userId: origin.user.id, chatId: origin.chat.id, event: event.type };
    try {
      const result = await layer.handle(event);
      log.debug({ ...context, effects: result.effects.map((e) => e.type) }, 'sandbox: event handled');
      return apply(inTheirLanguage(origin, result), result.effects);
    } catch (err) {
      log.error({ err, ...context }, 'sandbox: the command layer failed');
      throw err;
    }
  }

  const authorActor = (from: Author): Actor | undefined => {
    if (from.type === 'bot') return SANDBOX_BOT;
    const author = from.type === 'user' ? store.user(from.userId) : undefined;
    return author && actorOf(author);
  };

  function where(userId: string, chatId: string): Outcome<{ user: SandboxUser; chat: SandboxChat }> {
    const user = store.user(userId);
    if (!user) return { ok: false, error: 'UnknownUser' };
    const chat = store.chat(chatId);
    if (!chat) return { ok: false, error: 'UnknownChat' };
    if (!store.isMember(userId, chatId)) return { ok: false, error: 'NotAMember' };
    return { ok: true, user, chat };
  }

  return {
    async join(user) {
      const group = store.chat(GROUP_CHAT_ID);
      if (!group) return;
      store.post(group.id, { type: 'system' }, { text: `${user.displayName} (@${user.username}) joined the group.` });
      await handle(
        { user, chat: group, messageId: '0', pressed: false },
        { type: 'seen', actor: actorOf(user), chat: chatRefOf(group) },
      );
    },

    async send(input) {
      const found = where(input.userId, input.chatId);
      if (!found.ok) return found;
      const { user, chat } = found;
      const replied = input.replyToMessageId === undefined ? undefined : store.message(chat.id, input.replyToMessageId);
      if (input.replyToMessageId !== undefined && !replied) return { ok: false, error: 'UnknownMessage' };

      const from: Author = { type: 'user', userId: user.id, username: user.username, displayName: user.displayName };
      const message = store.post(chat.id, from, { text: input.text }, replied ? { replyTo: replied.id } : {});
      if (!message) return { ok: false, error: 'UnknownChat' };
      const replyTo = replied && authorActor(replied.from);
      const event = eventFromText({
        key: newKey(),
        user,
        chat,
        text: input.text,
        messageId: message.id,
        ...(replyTo ? { replyTo } : {}),
      });
      const toast = await handle({ user, chat, messageId: message.id, pressed: false }, event);
      return { ok: true, message, ...(toast ? { toast } : {}) };
    },

    async press(input) {
      const found = where(input.userId, input.chatId);
      if (!found.ok) return found;
      const { user, chat } = found;
      const pressed = store.message(chat.id, input.messageId);
      if (!pressed) return { ok: false, error: 'UnknownMessage' };
      if (pressed.from.type !== 'bot') return { ok: false, error: 'NotABotMessage' };
      const event: IncomingEvent = {
        type: 'button',
        key: newKey(),
        actor: actorOf(user),
        chat: chatRefOf(chat),
        messageId: pressed.id,
        actionId: input.actionId,
      };
      const toast = await handle({ user, chat, messageId: pressed.id, pressed: true }, event);
      return { ok: true, ...(toast ? { toast } : {}) };
    },
  };
}
