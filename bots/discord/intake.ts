/**
 * Storing an interaction so that nothing runs without its acknowledgement. Discord shows "interaction failed" to
 * a user whose interaction was not acknowledged within 3 s, and that user tries again: if the first one still ran,
 * they would pay twice. So each interaction is stored held (never claimed, see core/inbox `createReceiver`), and
 * only once the deferral went out is it admitted and processed; when it did not go out, or may not have, the row
 * is marked done unrun. Both intakes (HTTP interactions, gateway) go through here.
 *
 * A process that dies between storing and acknowledging leaves its row held for ACK_HOLD_MS: by then the token is
 * dead and processing.ts refuses to run it, so that case too moves no money.
 */
import type { Db } from '../../core/db/executor.js';
import { createAdmitter, createReceiver, markDone } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/index.js';
import type { Log } from '../../core/log.js';

/** Storing may take this long; past it the interaction is refused, so the answer still beats Discord's 3 s. */
export const STORE_BUDGET_MS = 2_000;

/** Discord invalidates an interaction not acknowledged within 3 s of its creation. */
export const ACK_DEADLINE_MS = 3_000;

/** How long a stored row waits for its acknowledgement at most: the token's life (processing.ts TOKEN_USABLE_MS). */
export const ACK_HOLD_MS = 15 * 60_000;

export interface InteractionIntake {
  /**
   * Stores an interaction held. `duplicate`: already stored (a replay). `late`: not stored within the budget;
   * the caller must not acknowledge it (if the store lands later, the row is marked done unrun). Rejects when
   * the database refused.
   */
  store(key: string, payload: JsonValue): Promise<'stored' | 'duplicate' | 'late'>;
  /** The deferral went out: the row may run now. */
  acknowledged(key: string): Promise<void>;
  /** The deferral did not go out, or may not have: the row is done, unrun, with the reason. */
  notAcknowledged(key: string, reason: string): Promise<void>;
}

export function createInteractionIntake(deps: {
  db: Db;
  log: Log;
  /** Called with the key of each admitted row. */
  onAdmitted?: (key: string) => void;
  budgetMs?: number;
}): InteractionIntake {
  const { db, log } = deps;
  const budgetMs = deps.budgetMs ?? STORE_BUDGET_MS;
  const receive = createReceiver(db, { holdMs: ACK_HOLD_MS });
  const admit = createAdmitter(db);

  async function notAcknowledged(key: string, reason: string): Promise<void> {
    log.warn({ key, reason }, 'discord: interaction not acknowledged; not run');
    try {
      await markDone(db, key, `not acknowledged (${reason}); not run`);
    } catch (err) {
      // Still held: it lapses after ACK_HOLD_MS and is refused as too old.
      log.error({ err, key }, 'discord: could not mark an unacknowledged interaction');
    }
  }

  return {
    async store(key, payload) {
      const storing = receive({ key, platform: 'discord', payload }).then(({ stored }) =>
        stored ? ('stored' as const) : ('duplicate' as const),
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), budgetMs)));
      try {
        const outcome = await Promise.race([storing, late]);
        if (outcome === 'late') {
          storing.then(
            (stored) => (stored === 'stored' ? notAcknowledged(key, `stored after ${budgetMs} ms`) : undefined),
            () => undefined,
          );
        }
        return outcome;
      } finally {
        clearTimeout(timer);
      }
    },
    async acknowledged(key) {
      try {
        if (await admit(key)) deps.onAdmitted?.(key);
      } catch (err) {
        // Still held: it lapses after ACK_HOLD_MS and is refused as too old; the user saw "thinking…" end badly.
        log.error({ err, key }, 'discord: could not admit an acknowledged interaction');
      }
    },
    notAcknowledged,
  };
}
