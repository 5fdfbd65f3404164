/**
 * The idempotency key of a Telegram update (SPEC §5), unique over time. Update ids are unique only within an epoch:
 * after a week without updates Telegram picks the next id at random, so an old id can come back while the payment
 * keyed by it stays in the ledger for ever (and a replayed key answers "paid" and moves nothing). The key carries its
 * bot's epoch: `tg:<bot id>:<update_id>` in the first, `tg:<bot id>:<update_id>~<epoch>` after each quiet week. A
 * redelivery never straddles two epochs: Telegram keeps an undelivered update 24 h, and the epoch moves only after 7
 * days without any update. The epoch lives in Postgres (`telegram_epochs`), shared by every intake process; each
 * process reads it when it has not seen an update for a while and refreshes `last_seen_at` at most hourly, so the
 * usual update costs no database round trip.
 */
import type { Db } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';

/** Telegram's quiet week. */
export const QUIET_MS = 7 * 24 * 3_600_000;
/** How often an active intake tells the others (and its own next start) that the bot is not quiet. */
const HEARTBEAT_MS = 3_600_000;

export const updateKey = (botId: string, updateId: number, epoch = 0): string =>
  epoch === 0 ? `tg:${botId}:${updateId}` : `tg:${botId}:${updateId}~${epoch}`;

export interface UpdateKeys {
  keyOf(updateId: number): Promise<string>;
}

export function createUpdateKeys(deps: { db: Db; botId: string; log: Log; now?: () => number }): UpdateKeys {
  const { db, botId, log } = deps;
  const now = deps.now ?? Date.now;
  let epoch: number | undefined;
  let seenAt = 0;
  let writtenAt = 0;
  let reading: Promise<number> | undefined;

  /** The bot's epoch, moved on when its last update is older than a quiet week; marks the bot seen now. */
  async function read(): Promise<number> {
    const r = await db.query<{ epoch: number }>(
      `INSERT INTO telegram_epochs AS e (bot_id) VALUES ($1)
       ON CONFLICT (bot_id) DO UPDATE
         SET epoch = e.epoch + CASE WHEN e.last_seen_at < now() - $2::bigint * interval '1 millisecond' THEN 1 ELSE 0 END,
             last_seen_at = now()
       RETURNING epoch`,
      [botId, QUIET_MS],
    );
    const value = Number(r.rows[0]?.epoch ?? 0);
    if (epoch !== undefined && value !== epoch) log.info({ botId, epoch: value }, 'telegram: a new update-id epoch');
    return value;
  }

  return {
    async keyOf(updateId) {
      const at = now();
      if (epoch === undefined || at - seenAt >= QUIET_MS) {
        // One read however many updates arrive together after a quiet spell.
        reading ??= read().finally(() => {
          reading = undefined;
        });
        epoch = await reading;
        writtenAt = at;
      } else if (at - writtenAt >= HEARTBEAT_MS) {
        writtenAt = at;
        db.query(`UPDATE telegram_epochs SET last_seen_at = now() WHERE bot_id = $1`, [botId]).catch((err: unknown) =>
          log.warn({ err, botId }, 'telegram: could not refresh the update-id epoch'),
        );
      }
      seenAt = at;
      return updateKey(botId, updateId, epoch);
    },
  };
}
