/**
 * Effects → Bot API calls, through telegraf's Telegram client. Order: the callback answer first, then the
 * rest as listed. A failed effect is logged and reported, not thrown: the command already happened, and a
 * notification's failure must not undo or repeat it. Only a shutdown throws, leaving the row for the next
 * start. Messages are at-least-once: a row processed again after a crash sends its replies again, and its
 * edits are idempotent.
 */
import type { Telegram } from 'telegraf';
import type { Locale } from '../../config/env.js';
import type { Log } from '../../core/log.js';
import type { Effect, OutMessage } from '../commands/types.js';
import { apiFailure, isForbidden, isNotModified, isPollClosed, isQueryTooOld, logFields } from './errors.js';
import { OutboundClosedError, type Outbound } from './outbound.js';
import { liveMessage } from './live.js';
import { answerText, inlineKeyboard, MAX_CAPTION_LENGTH, splitText, type InlineKeyboard } from './render.js';
import { pickLocale } from '../../core/index.js';
import { t } from '../i18n/index.js';
import type { Origin } from './update.js';

export interface EffectsDeps {
  telegram: Telegram;
  outbound: Outbound;
  log: Log;
  defaultLocale: Locale;
  /** The bot's @username (from getMe), for the deep link to a private chat. */
  botUsername: () => string | undefined;
  /** The `start` parameter of that deep link. Default "dm". */
  startParam?: string;
  /** Records the message that now carries these buttons: a press must then come from it (core/actions bindMessages). */
  bindButtons?: (actionIds: string[], chatId: string, messageId: string) => Promise<void>;
  /** Binds a posted live message to its live row (core/live bindLive): later changes edit it. */
  bindLive?: (ref: string, version: string, chatId: string, messageId: string) => Promise<void>;
  /** Records the native poll showing a vote (core/actions bindPoll), and finds its message to stop it. */
  polls?: TelegramPolls;
}

export interface TelegramPolls {
  bind(poll: { pollId: string; actionId: string; chatId: string; messageId: string }): Promise<void>;
  messageOf(actionId: string): Promise<{ chatId: string; messageId: string } | undefined>;
}

/** Answers one callback query at most once: the early "stop the spinner" and the command's own answer share it. */
export interface CallbackAnswerer {
  readonly answered: boolean;
  answer(text?: string, alert?: boolean): Promise<void>;
}

interface Where {
  threadId?: number;
  /** Message to reply to (groups). */
  replyTo?: number;
  /** Never merged with other texts: its id matters (a live message) or a document follows it. */
  alone?: boolean;
  /** Aborted while a piece still waits for its turn: that piece (and so the rest) is not sent (outbound.ts). */
  signal?: AbortSignal;
}

export interface Effects {
  answerer(origin: Origin | undefined): CallbackAnswerer;
  /**
   * Sends `message` to a chat on the bot's own initiative (notifications), through the same rate-limited sender.
   * Resolves with the id of the last message sent; rejects with the Bot API error (see `apiFailure`), or with the
   * reason of `signal` when it was aborted before the message's turn came.
   */
  deliver(chatId: string, message: OutMessage, signal?: AbortSignal): Promise<{ messageId: string }>;
  /** Carries out `effects` for `origin`; resolves with a description of each one that could not be delivered. */
  perform(origin: Origin, effects: readonly Effect[], answerer: CallbackAnswerer): Promise<string[]>;
}

const numeric = (id: string): number => Number(id);

export function createEffects(deps: EffectsDeps): Effects {
  const { telegram, outbound, log } = deps;
  const startParam = deps.startParam ?? 'dm';

  function answerer(origin: Origin | undefined): CallbackAnswerer {
    const queryId = origin?.callbackQueryId;
    let answered = false;
    return {
      get answered() {
        return answered;
      },
      async answer(text, alert) {
        if (queryId === undefined) return;
        if (answered) {
          if (text) log.debug({ queryId }, 'telegram: callback already answered; answer text dropped');
          return;
        }
        answered = true;
        try {
          await telegram.answerCbQuery(queryId, answerText(text), alert ? { show_alert: true } : {});
        } catch (err) {
          // A late answer is benign: the operation itself stands.
          if (isQueryTooOld(apiFailure(err)))
            log.info({ queryId, ...logFields(err) }, 'telegram: callback answer too late');
          else log.warn({ queryId, ...logFields(err) }, 'telegram: callback answer failed');
        }
      },
    };
  }

  /** Sends the pieces of `text` in order; resolves with the id of the last one (undefined: nothing to send). */
  async function sendText(
    chatId: string,
    text: string,
    where: Where,
    keyboard: InlineKeyboard | undefined,
  ): Promise<number | undefined> {
    const pieces = splitText(text);
    let lastId: number | undefined;
    for (const [i, piece] of pieces.entries()) {
      const last = i === pieces.length - 1;
      const buttons = last && keyboard !== undefined;
      const compose = (target: string, text: string) =>
        telegram.sendMessage(numeric(target), text, {
          link_preview_options: { is_disabled: true },
          ...(where.threadId !== undefined ? { message_thread_id: where.threadId } : {}),
          ...(i === 0 && where.replyTo !== undefined
            ? { reply_parameters: { message_id: where.replyTo, allow_sending_without_reply: true } }
            : {}),
          ...(buttons ? { reply_markup: keyboard } : {}),
        });
      // A text without buttons may share one message with others waiting for the same group (outbound.ts).
      const sent =
        buttons || where.alone === true
          ? await outbound.send(chatId, (target) => compose(target, piece), where.signal)
          : await outbound.sendText(
              chatId,
              { text: piece, key: `thread:${where.threadId ?? ''}` },
              compose,
              where.signal,
            );
      lastId = sent.message_id;
    }
    if (pieces.length === 0) log.warn({ chatId }, 'telegram: empty message not sent');
    return lastId;
  }

  /** Binds the buttons of `message` to the message that shows them; a failure only loosens that check. */
  async function bind(chatId: string, message: OutMessage, messageId: number | undefined): Promise<void> {
    const ids = (message.buttons ?? []).flat().flatMap((button) => button.actionId ?? []);
    if (ids.length === 0 || messageId === undefined || !deps.bindButtons) return;
    try {
      await deps.bindButtons(ids, chatId, String(messageId));
    } catch (err) {
      log.warn({ err, messageId }, 'telegram: could not bind buttons to their message');
    }
  }

  /** Sends a message (text pieces, or a document); resolves with the id of the last message sent. */
  async function send(chatId: string, message: OutMessage, where: Where): Promise<number | undefined> {
    const messageId = await sendUnbound(chatId, message, where);
    await bind(chatId, message, messageId);
    return messageId;
  }

  async function sendUnbound(chatId: string, message: OutMessage, where: Where): Promise<number | undefined> {
    // Built first: a bad button id fails before anything is sent.
    const keyboard = message.buttons?.length ? inlineKeyboard(message.buttons) : undefined;
    const doc = message.document;
    if (!doc) return sendText(chatId, message.text, where, keyboard);
    const asCaption = message.text.length <= MAX_CAPTION_LENGTH;
    if (!asCaption) await sendText(chatId, message.text, { ...where, alone: true }, undefined);
    const sent = await outbound.send(
      chatId,
      (target) =>
        telegram.sendDocument(
          numeric(target),
          { source: Buffer.from(doc.content, 'utf8'), filename: doc.filename },
          {
            ...(asCaption && message.text.trim() !== '' ? { caption: message.text } : {}),
            ...(where.threadId !== undefined ? { message_thread_id: where.threadId } : {}),
            ...(keyboard ? { reply_markup: keyboard } : {}),
          },
        ),
      where.signal,
    );
    return sent.message_id;
  }

  const inChat = (origin: Origin): Where => ({
    ...(origin.threadId !== undefined ? { threadId: origin.threadId } : {}),
    // In a group, answer the command's message; a button's message is the bot's own.
    ...(origin.chat.kind === 'group' && origin.callbackQueryId === undefined && origin.messageId !== undefined
      ? { replyTo: origin.messageId }
      : {}),
  });

  const nameOf = (origin: Origin): string =>
    origin.actor.username !== undefined ? `@${origin.actor.username}` : origin.actor.displayName;

  async function reply(origin: Origin, message: OutMessage, isPrivate: boolean): Promise<void> {
    if (!isPrivate || origin.chat.kind === 'private') {
      await send(origin.chat.chatId, message, inChat(origin));
      return;
    }
    // Private answer to something said in a group: the answer goes to the private chat, a pointer to the group, both
    // in the actor's language.
    const locale = origin.locale ?? pickLocale(null, origin.actor.languageCode, deps.defaultLocale);
    try {
      await send(origin.actor.userId, message, {});
    } catch (err) {
      if (!isForbidden(apiFailure(err))) throw err;
      log.info({ userId: origin.actor.userId, ...logFields(err) }, 'telegram: private chat not open; pointing to it');
      const link = `https://t.me/${deps.botUsername() ?? ''}?start=${startParam}`;
      await send(
        origin.chat.chatId,
        { text: t(locale, 'private.dm_blocked', { name: nameOf(origin), link }) },
        inChat(origin),
      );
      return;
    }
    await send(origin.chat.chatId, { text: t(locale, 'private.dm_sent', { name: nameOf(origin) }) }, inChat(origin));
  }

  async function edit(origin: Origin, message: OutMessage): Promise<void> {
    const messageId = origin.messageId;
    if (origin.callbackQueryId === undefined || messageId === undefined || message.document) {
      // Nothing of ours to edit (a typed command) or a file: say it as a new message instead.
      return reply(origin, message, false);
    }
    const keyboard = message.buttons?.length ? inlineKeyboard(message.buttons) : undefined;
    const [first = '', ...rest] = splitText(message.text);
    try {
      await outbound.send(origin.chat.chatId, (target) =>
        telegram.editMessageText(numeric(target), messageId, undefined, first, {
          link_preview_options: { is_disabled: true },
          ...(rest.length === 0 && keyboard ? { reply_markup: keyboard } : {}),
        }),
      );
    } catch (err) {
      // The same edit again (a redelivery): it already shows this text.
      if (!isNotModified(apiFailure(err))) throw err;
    }
    const carrier =
      rest.length > 0 ? await sendText(origin.chat.chatId, rest.join(''), inChat(origin), keyboard) : messageId;
    await bind(origin.chat.chatId, message, carrier);
  }

  /** A non-anonymous native poll (its answers name the voter), recorded as showing the vote `pollRef`. */
  async function sendPoll(origin: Origin, poll: Extract<Effect, { type: 'poll' }>): Promise<void> {
    const where = inChat(origin);
    const sent = await outbound.send(origin.chat.chatId, (target) =>
      telegram.sendPoll(numeric(target), poll.question, poll.options, {
        is_anonymous: false,
        ...(where.threadId !== undefined ? { message_thread_id: where.threadId } : {}),
      }),
    );
    await deps.polls?.bind({
      pollId: sent.poll.id,
      actionId: poll.pollRef,
      chatId: origin.chat.chatId,
      messageId: String(sent.message_id),
    });
  }

  async function stopPoll(pollRef: string): Promise<void> {
    const shown = await deps.polls?.messageOf(pollRef);
    if (!shown) return;
    try {
      await outbound.send(shown.chatId, (target) => telegram.stopPoll(numeric(target), Number(shown.messageId)));
    } catch (err) {
      // Stopped already (a redelivery): that is the point.
      if (!isPollClosed(apiFailure(err))) throw err;
    }
  }

  async function perform(origin: Origin, effects: readonly Effect[], ack: CallbackAnswerer): Promise<string[]> {
    const problems: string[] = [];
    const answer = effects.find((effect) => effect.type === 'answer');
    // First, and always for a button press: the client shows a spinner until it is answered.
    await ack.answer(answer?.text, answer?.alert);
    for (const effect of effects) {
      try {
        switch (effect.type) {
          case 'answer':
            break; // done above; a second answer is not possible
          case 'reply':
            await reply(origin, effect.message, effect.private);
            break;
          case 'edit':
            await edit(origin, effect.message);
            break;
          case 'live': {
            // One message (cut to fit), so that its id is the one the edits address.
            const id = await send(origin.chat.chatId, liveMessage(effect.message), { ...inChat(origin), alone: true });
            if (id !== undefined) await deps.bindLive?.(effect.ref, effect.version, origin.chat.chatId, String(id));
            break;
          }
          case 'poll':
            await sendPoll(origin, effect);
            break;
          case 'pollClosed':
            await stopPoll(effect.pollRef);
            break;
          default: {
            const unknown: never = effect;
            throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
          }
        }
      } catch (err) {
        // Shutting down: the row must stay unprocessed so the next start delivers it, not be marked done.
        if (err instanceof OutboundClosedError) throw err;
        log.warn({ effect: effect.type, chatId: origin.chat.chatId, ...logFields(err) }, 'telegram: effect failed');
        const f = apiFailure(err);
        problems.push(
          `${effect.type}: ${f ? `${f.code} ${f.description}` : err instanceof Error ? err.message : 'failed'}`,
        );
      }
    }
    return problems;
  }

  async function deliver(chatId: string, message: OutMessage, signal?: AbortSignal): Promise<{ messageId: string }> {
    const id = await send(chatId, message, signal ? { signal } : {});
    if (id === undefined) throw new RangeError('nothing to send: the message text is empty');
    return { messageId: String(id) };
  }

  return { answerer, perform, deliver };
}
