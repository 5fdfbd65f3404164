/**
 * The seam between platform transports (Telegram, Discord, the sandbox chat) and the shared command
 * layer. A transport turns whatever its platform delivers into an `IncomingEvent`, calls
 * `CommandLayer.handle`, and carries out the returned `Effect`s in order. Nothing in here knows
 * telegraf, discord.js or express; nothing in a transport knows a business rule.
 */
import type { ActorInput, Locale, Platform } from '../../core/people/model.js';

export type { Platform };

/** A person as the platform shows them: the same shape core/people takes (`ActorInput`). */
export type Actor = ActorInput;

export interface ChatRef {
  platform: Platform;
  /** Telegram chat id / Discord channel id, decimal string. */
  chatId: string;
  kind: 'private' | 'group';
  title?: string;
  /** Discord only. */
  guildId?: string;
}

/**
 * Where a mention sits within `args`, in UTF-16 code units (Telegram: the entity's offset minus the
 * index in the message text where `args` starts). Optional: without it the command layer finds an
 * `@username` itself and a `text_mention` by the user's display name, which is less exact.
 */
export interface MentionSpan {
  offset?: number;
  length?: number;
}

/** A Telegram `@username` mention (no id) or a `text_mention` / Discord user option (with the user). */
export type Mention = ({ username: string } | { user: Actor }) & MentionSpan;

export type IncomingEvent =
  | {
      type: 'command';
      /** Idempotency key of the delivery (SPEC §5): `tg:<bot id>:<update_id>`, `dc:<interaction id>`, … */
      key: string;
      actor: Actor;
      chat: ChatRef;
      messageId?: string;
      /** The command name without slash or bot suffix, lower-case: "pay". */
      command: string;
      /** Telegram: the command named this bot (`/pay@chipinbot`), so it is ours even in a group shared with other bots. */
      addressed?: true;
      /** Everything after the command name, as typed (Telegram) or rebuilt from options (Discord). */
      args: string;
      /** Mentions in `args`, in order of appearance. */
      mentions: Mention[];
      /** The author of the message this command replies to (Telegram reply-to). */
      replyTo?: Actor;
      /** Discord: the structured options by name; a USER option is an Actor. */
      options?: Record<string, string | number | boolean | Actor>;
    }
  | {
      type: 'button';
      /** `tgcb:<callback_query id>`, `dc:<interaction id>`. */
      key: string;
      actor: Actor;
      chat: ChatRef;
      messageId?: string;
      /** The opaque id carried by the button (callback_data / custom_id). Untrusted. */
      actionId: string;
      /**
       * Where the platform puts this delivery among the others (Telegram update_id, Discord interaction snowflake),
       * decimal: a vote changed twice in quick succession keeps the newer choice whatever order the two are processed.
       */
      order?: string;
    }
  | {
      /** Any other message from a user: refreshes their identity and username (claims wait on it). */
      type: 'seen';
      actor: Actor;
      chat: ChatRef;
    }
  | {
      /** People joined or left a group chat (Telegram chat_member updates, join and leave service messages). */
      type: 'member';
      change: 'joined' | 'left';
      actors: Actor[];
      chat: ChatRef;
    }
  | {
      /** An answer to a native poll (Telegram poll_answer): no chat, the poll leads to its vote. */
      type: 'vote';
      /** `tg:<bot id>:<update_id>`. */
      key: string;
      actor: Actor;
      platform: Platform;
      pollId: string;
      /** The option chosen; null: the vote was taken back. */
      choice: number | null;
      /** The update_id, decimal (see the button's `order`). */
      order?: string;
    };

/** A button that runs something when pressed. */
export interface ActionButton {
  label: string;
  /** Opaque single-use id of a server-side pending action (≤ 64 bytes for Telegram). */
  actionId: string;
  url?: never;
}

/** A button that opens a web page (a Stripe Checkout or onboarding link); pressing it reaches no server of ours. */
export interface LinkButton {
  label: string;
  /** https (http only for local test servers). */
  url: string;
  actionId?: never;
}

export type Button = ActionButton | LinkButton;

export interface Document {
  filename: string;
  mime: string;
  content: string;
}

/** Already rendered in the recipient's language. Plain text: transports escape nothing and parse no markup. */
export interface OutMessage {
  text: string;
  buttons?: Button[][];
  document?: Document;
}

export type Effect =
  /**
   * Reply where the event came from. `private`: Telegram DM to the actor (with a pointer in the group), Discord
   * ephemeral. `refusal`: the command was refused (bad input, not enough money…) and did nothing; Discord shows it
   * to the actor only, Telegram answers where the command was typed.
   */
  | { type: 'reply'; message: OutMessage; private: boolean; refusal?: boolean }
  /** Edit the message the pressed button belongs to (status updates are idempotent edits). */
  | { type: 'edit'; message: OutMessage }
  /** Answer a button press (Telegram answerCallbackQuery text ≤ 200 chars). */
  | { type: 'answer'; text?: string; alert?: boolean }
  /**
   * Post a live message (core/live): a public reply whose message is then bound to `ref`, so that later changes
   * of its object edit it. `version`: what `touchLive` returned for the state `message` shows (decimal string).
   */
  | { type: 'live'; ref: string; version: string; message: OutMessage }
  /**
   * Show the vote `pollRef` (a 'vote' group action, core/actions/poll.ts) where the event came from: a native
   * non-anonymous poll on Telegram, one button per option elsewhere (pressing one votes for it, again changes it).
   */
  | { type: 'poll'; question: string; options: string[]; pollRef: string }
  /** The vote `pollRef` closed: Telegram stops its native poll; elsewhere its buttons answer "closed" from now on. */
  | { type: 'pollClosed'; pollRef: string };

export interface HandleResult {
  effects: Effect[];
  /**
   * The actor's language (their /settings language, else their platform's hint): what a transport says to them itself —
   * the group's note that their answer went to their private chat — is said in it. Absent: the platform's hint.
   */
  locale?: Locale;
}

/** `origin` with the actor's language the layer answered in (what a transport says to them itself follows it). */
export function inTheirLanguage<O extends { locale?: Locale }>(origin: O, result: HandleResult): O {
  return result.locale === undefined ? origin : { ...origin, locale: result.locale };
}

export interface CommandLayer {
  /**
   * Handles one delivery exactly once: a repeated `key` returns the recorded outcome's effects without
   * running the command again. Never throws for user errors (they become a reply).
   */
  handle(event: IncomingEvent, delivery?: DeliveryAttempt): Promise<HandleResult>;
}

/** What the transport knows of the delivery's history. */
export interface DeliveryAttempt {
  /**
   * Its first claim from the inbox: no earlier run can have recorded its key, so the command log is written once,
   * at the end (core/once `fresh`). Default false: the key is read first.
   */
  first?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending on its own: what a transport offers the notifications worker (workers/notify), implemented per platform.

export interface Sender {
  /**
   * Sends one message to a chat and returns the platform's message id. Throws `RateLimited` on a
   * 429 (with the platform's retry_after), `Blocked` when the chat will never accept it (the user
   * blocked the bot, the chat is gone), anything else for a transient failure (retried).
   * `key` names this message for good (the same on every retry): a platform that can deduplicate sends
   * (Discord's enforced nonce) delivers it once however often a lost answer makes the caller send it again.
   * `signal`: the caller gives up waiting. A sender that queues (Telegram's paced outbound) then withdraws a message
   * still waiting for its turn and rejects with the signal's reason: that message is never sent. One already on its
   * way is not recalled; its outcome is awaited as usual.
   * `chatId` in the answer: the chat the message landed in, when it is not `chatId` (Discord: the person's DM
   * channel), so that an editor can find it later (core/live).
   */
  send(
    chatId: string,
    message: OutMessage,
    key?: string,
    signal?: AbortSignal,
  ): Promise<{ messageId: string; chatId?: string }>;
}

export type Senders = Partial<Record<Platform, Sender>>;

/** The platform refused the send for now (HTTP 429). */
export class RateLimited extends Error {
  override name = 'RateLimited';

  constructor(
    /** The platform's retry_after, in ms. */
    readonly retryAfterMs: number,
    /** `chat`: this chat only (Telegram's per-chat flood control); `global`: every send of the bot. */
    readonly scope: 'chat' | 'global' = 'chat',
  ) {
    super(`rate limited for ${retryAfterMs} ms (${scope})`);
  }
}

/** The chat will never accept the message (403: blocked by the user, chat deleted, bot kicked). */
export class Blocked extends Error {
  override name = 'Blocked';
}

// Editing a live message (core/live): what a transport offers the live worker (workers/live).

export interface Editor {
  /**
   * Replaces the text and buttons of message `messageId` in `chatId`, within the platform's limits (a text too
   * long is cut) and rate limits. Resolves once the platform shows it; an edit to what it already shows is a
   * success. Throws `MessageGone` when the message can never be edited again (deleted, chat gone, bot removed);
   * anything else is retried.
   */
  edit(chatId: string, messageId: string, message: OutMessage): Promise<void>;
  /**
   * Stops the native poll in message `messageId` (a vote that closed), where the platform has native polls. A poll
   * already stopped is a success; `MessageGone` when the message is gone.
   */
  stopPoll?(chatId: string, messageId: string): Promise<void>;
  /**
   * Posts a live message the worker shows on its own (core/live `postLive`: a card whose cause was a tap in a DM
   * or a timed job) to `chatId` and returns its id, to be bound for later edits. `MessageGone` when the chat will
   * never take it (the bot was removed); anything else is retried.
   */
  post?(chatId: string, message: OutMessage): Promise<{ messageId: string }>;
}

export type Editors = Partial<Record<Platform, Editor>>;

/** The message cannot be edited any more: the edit is dropped, not retried. */
export class MessageGone extends Error {
  override name = 'MessageGone';
}

// Abuse throttles: what the command layer asks before a command that writes or a button press runs.

/** What a person is limited on: commands that write (every money command), and button presses. */
export type ThrottledAction = 'command' | 'press';

export interface PersonThrottle {
  /**
   * Takes one `action` of the person's allowance: null when it may run now, otherwise how long until the next one
   * may. Never throws: a limiter that cannot answer (Redis down) lets everything through, it never blocks payments.
   */
  take(action: ThrottledAction, personId: bigint): Promise<{ retryAfterMs: number } | null>;
}
