/**
 * Live messages on Discord (core/live): the `live` effect posts one message (text cut to Discord's 2000
 * characters, never split, so its id is the one later edits address) and binds it; the live worker edits it with
 * the bot token (`PATCH /channels/{channel}/messages/{message}`: an interaction's own webhook expires after 15
 * minutes, a live message lives longer).
 */
import { Routes } from 'discord-api-types/v10';
import type { REST } from 'discord.js';
import { isHighSurrogate } from '../commands/text.js';
import type { OutMessage } from '../commands/types.js';
import type { DiscordFailure } from './errors.js';
import { MAX_CONTENT_LENGTH, renderMessage } from './render.js';

/** Unknown Message: deleted, or never there. */
export const UNKNOWN_MESSAGE = 10008;
/** Missing Access: the bot can no longer see the channel. */
export const MISSING_ACCESS = 50001;

/** The live message `message` as one Discord message: text cut to fit (marked with an ellipsis), no document. */
export function liveMessage(message: OutMessage): OutMessage {
  const { document: _dropped, ...rest } = message;
  const text = message.text;
  if (text.length <= MAX_CONTENT_LENGTH) return rest;
  const cut = isHighSurrogate(text.charCodeAt(MAX_CONTENT_LENGTH - 2))
    ? MAX_CONTENT_LENGTH - 2
    : MAX_CONTENT_LENGTH - 1;
  return { ...rest, text: `${text.slice(0, cut)}…` };
}

/** The message to edit is gone for good (deleted, its channel gone or out of the bot's reach). */
export const isMessageGone = (f: DiscordFailure | undefined): boolean =>
  f !== undefined && (f.status === 403 || f.status === 404 || f.code === UNKNOWN_MESSAGE || f.code === MISSING_ACCESS);

/** Rewrites message `messageId` of `channelId` (text and buttons); rejects with @discordjs/rest's error. */
export async function editLiveMessage(
  rest: REST,
  channelId: string,
  messageId: string,
  message: OutMessage,
): Promise<void> {
  const [piece] = renderMessage(liveMessage(message), { ephemeral: false, forEdit: true });
  if (!piece) return;
  const { flags: _flags, ...body } = piece.body;
  await rest.patch(Routes.channelMessage(channelId, messageId), { body });
}
