/**
 * Discord's invalid-request limit (RELIABILITY D4): 10,000 answers with status 401, 403 or 429 (a 429 of the
 * `shared` scope excepted) within 10 minutes get the bot's IP banned for an hour, whatever the process that made
 * the calls. The transport counts every such answer of its REST clients through this port, stops calling a user or
 * channel that answered 403, and pauses the sends of its own (notifications) while the count is high; interaction
 * responses always go. The implementation keeps the count in Redis (workers/throttles/discord.ts).
 */
import type { REST, ResponseLike } from 'discord.js';

export interface InvalidRequestGuard {
  /** One invalid answer (401, 403, or a 429 not of the shared scope). Never throws. */
  invalid(): Promise<void>;
  /** How long sends of the bot's own must still wait (the breaker is open); 0: they may go. Never throws. */
  pausedFor(): Promise<number>;
  /** Remembers that `target` (`user:<id>`, `channel:<id>`) answered 403: it is not called again for a while. */
  forbid(target: string): Promise<void>;
  /** Whether `target` answered 403 recently. Never throws (false when it cannot tell). */
  forbidden(target: string): Promise<boolean>;
}

/** Whether Discord counts this answer toward the invalid-request limit. */
export function isInvalidRequest(response: Pick<ResponseLike, 'status' | 'headers'>): boolean {
  if (response.status === 401 || response.status === 403) return true;
  return response.status === 429 && response.headers.get('x-ratelimit-scope') !== 'shared';
}

/** Counts every invalid answer `rest` receives, retries included (Discord counts each of them). */
export function watchInvalidRequests(rest: REST, guard: InvalidRequestGuard): void {
  rest.on('response', (_request, response) => {
    // The event carries a clone of the response: its body is never read here.
    const body = response.body;
    if (body && 'cancel' in body) body.cancel().catch(() => undefined);
    if (isInvalidRequest(response)) void guard.invalid();
  });
}
