/**
 * What a failed Discord REST call was, read from @discordjs/rest's errors: the HTTP status, Discord's JSON error
 * code (50007 "Cannot send messages to this user", 10062 "Unknown interaction", 40060 "already acknowledged"),
 * and for a 429 the wait Discord asked for. Log fields carry no token: the interaction token travels in the URL,
 * so URLs are never logged.
 */
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';

export interface DiscordFailure {
  status: number;
  /** Discord's error code (JSON `code`), when it sent one. */
  code?: number;
  /** Discord's message, or the error's. */
  message: string;
  /** 429: how long to wait. */
  retryAfterMs?: number;
  /** 429: every request of the bot is limited, not only this route. */
  global?: boolean;
}

/** Cannot send messages to this user (DMs closed, blocked, no shared server). */
export const CANNOT_MESSAGE_USER = 50007;
export const UNKNOWN_CHANNEL = 10003;
export const UNKNOWN_USER = 10013;

export function discordFailure(err: unknown): DiscordFailure | undefined {
  if (err instanceof RateLimitError)
    return { status: 429, message: 'rate limited', retryAfterMs: err.retryAfter, global: err.global };
  if (err instanceof DiscordAPIError)
    return { status: err.status, ...(typeof err.code === 'number' ? { code: err.code } : {}), message: err.message };
  if (err instanceof HTTPError) return { status: err.status, message: err.message };
  return undefined;
}

/** One line for logs and inbox notes: status, code and Discord's message, or the error's name and message. */
export function describeFailure(err: unknown): string {
  const failure = discordFailure(err);
  if (failure) return `${failure.status}${failure.code !== undefined ? ` ${failure.code}` : ''} ${failure.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}`.split('\n')[0]! : 'non-error thrown';
}

/** The recipient will never take a DM from us (as things stand): blocked, DMs closed, gone. */
export function isUnreachable(failure: DiscordFailure | undefined): boolean {
  if (!failure) return false;
  return (
    failure.code === CANNOT_MESSAGE_USER ||
    failure.code === UNKNOWN_CHANNEL ||
    failure.code === UNKNOWN_USER ||
    failure.status === 403
  );
}
