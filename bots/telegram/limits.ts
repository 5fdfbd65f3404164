/**
 * Rolling-window rate limits for outgoing Bot API writes. Telegram states its limits as "N per window"
 * (1 per second per chat, 20 per minute per group, about 30 per second overall), so the limiter remembers the sends
 * of the last window and answers exactly when the next one fits: bursts up to the limit, never more inside any
 * window. (A token bucket refilling 20/min would let up to 40 through in one minute.)
 *
 * Telegram counts a send when it arrives, somewhere between our dispatch and its response. So a send counts from
 * its dispatch, stays counted while in flight, and leaves the window `windowMs` after its response: then no
 * latency or event-loop jitter can squeeze more than `limit` arrivals into one window.
 */
export interface Limit {
  /** Sends allowed in any `windowMs`. */
  limit: number;
  windowMs: number;
}

export interface TelegramLimits {
  perChat: Limit;
  perGroup: Limit;
  global: Limit;
}

/** The Bots FAQ numbers. */
export const TELEGRAM_LIMITS: TelegramLimits = {
  perChat: { limit: 1, windowMs: 1_000 },
  perGroup: { limit: 20, windowMs: 60_000 },
  global: { limit: 30, windowMs: 1_000 },
};

/** One send in a window: in flight until settled with its response time. */
export interface Hit {
  at: number;
  settled: boolean;
}

export class RollingWindow {
  private hits: Hit[] = [];
  private readonly windowMs: number;

  constructor(
    private readonly limit: number,
    windowMs: number,
    /** Added to the window: room for Telegram counting a little more strictly than it says. */
    safetyMs = 0,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.windowMs = windowMs + safetyMs;
  }

  /**
   * The earliest time (≥ now) at which one more send stays within the limit; Infinity while the window is full of
   * sends still in flight (the next response frees a place).
   */
  nextFree(now: number): number {
    this.forget(now);
    if (this.hits.length < this.limit) return now;
    const leaves = this.hits.map((h) => (h.settled ? h.at + this.windowMs : Infinity)).sort((a, b) => a - b);
    // The send that must leave the window before another one fits.
    return Math.max(now, leaves[this.hits.length - this.limit]!);
  }

  /** Counts a send dispatched at `now`; `settle` it when its response arrives (unsettled, it counts until then). */
  record(now: number, inFlight = false): Hit {
    const hit = { at: now, settled: !inFlight };
    this.hits.push(hit);
    return hit;
  }

  settle(hit: Hit, at: number): void {
    hit.at = Math.max(hit.at, at);
    hit.settled = true;
  }

  /** True when no send is remembered any more (the chat's state can be dropped). */
  isEmpty(now: number): boolean {
    this.forget(now);
    return this.hits.length === 0;
  }

  private forget(now: number): void {
    if (this.hits.some((h) => h.settled && h.at + this.windowMs <= now)) {
      this.hits = this.hits.filter((h) => !h.settled || h.at + this.windowMs > now);
    }
  }
}
