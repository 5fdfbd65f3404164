/**
 * Bot API failures as values. telegraf's TelegramError carries the whole request payload (`on.payload`: message
 * texts, chat ids), so it is never logged as is: `logFields` keeps the code, the description and the method.
 */

export interface ApiFailure {
  /** HTTP-like error_code: 400, 403, 429, 5xx… */
  code: number;
  description: string;
  method?: string;
  /** 429: seconds to wait before repeating the call. */
  retryAfterS?: number;
  /** 400 after a group became a supergroup: the chat's new id. */
  migrateToChatId?: string;
}

/** Reads a Bot API error response out of a thrown value (telegraf's TelegramError); undefined for anything else. */
export function apiFailure(err: unknown): ApiFailure | undefined {
  if (typeof err !== 'object' || err === null || !('response' in err)) return undefined;
  const response = err.response;
  if (typeof response !== 'object' || response === null) return undefined;
  const {
    error_code: code,
    description,
    parameters,
  } = response as {
    error_code?: unknown;
    description?: unknown;
    parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
  };
  if (typeof code !== 'number') return undefined;
  const on = (err as { on?: { method?: unknown } }).on;
  const failure: ApiFailure = { code, description: typeof description === 'string' ? description : '' };
  if (typeof on?.method === 'string') failure.method = on.method;
  if (typeof parameters?.retry_after === 'number') failure.retryAfterS = parameters.retry_after;
  if (typeof parameters?.migrate_to_chat_id === 'number')
    failure.migrateToChatId = String(parameters.migrate_to_chat_id);
  return failure;
}

/** 403: the user blocked the bot, never started it, or the bot left the chat. */
export const isForbidden = (f: ApiFailure | undefined): boolean => f?.code === 403;

/** A callback answered too late or twice: benign, the operation itself is unaffected. */
export const isQueryTooOld = (f: ApiFailure | undefined): boolean =>
  f?.code === 400 && /query is too old|query id is invalid|QUERY_ID_INVALID/i.test(f.description);

/** An edit to the text the message already shows: an idempotent edit that had nothing to do. */
export const isNotModified = (f: ApiFailure | undefined): boolean =>
  f?.code === 400 && /message is not modified/i.test(f.description);

/** stopPoll on a poll that is closed already. */
export const isPollClosed = (f: ApiFailure | undefined): boolean =>
  f?.code === 400 && /poll has already been closed/i.test(f.description);

/** What may be logged about a failed call: never the payload, never a URL (the token is in the path, X2). */
export function logFields(err: unknown): Record<string, unknown> {
  const f = apiFailure(err);
  if (f) return { apiError: { code: f.code, description: f.description, method: f.method } };
  // Network errors and bugs: the logger's serializer scrubs token shapes from message and stack.
  return { err };
}
