/**
 * The end of a single-use button's time. A button nobody pressed before its deadline can no longer be used, so the
 * message carrying it is edited to its final state (the action's `endsAs` view: the text without the hint, no
 * buttons), through core/live's edit job. Binding the button to its message schedules `action.end` at the deadline
 * (service.ts bindMessages; the job is declared by the domain whose buttons end, core/payments/jobs.ts), and the job
 * runs `endButton`. A button pressed in time is left alone: the press already edited its message to the outcome.
 */
import type { Executor, Tx } from '../db/executor.js';
import { date, textOrNull } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import type { Json } from '../db/wire.js';
import { adoptLive } from '../live/service.js';
import { readLiveView } from '../live/model.js';
import { InvalidJobPayload } from '../outbox/jobs.js';
import type { Platform } from '../platform.js';

export { ACTION_END_KIND } from './model.js';

/** The live ref of a message whose button `ref` ended. */
export const endedRef = (ref: string): string => `ended:${ref}`;

export type ButtonEndOutcome =
  { type: 'ended'; edited: boolean } | { type: 'noop'; reason: 'NotDue' | 'Resolved' | 'Unknown'; dueAt: Date | null };

/**
 * Expires the action `ref` when its deadline has passed by the database clock and nobody pressed it, and has the
 * message its button was bound to show its end view. Pressed: nothing (its message shows the outcome). Run again:
 * nothing more (the message was adopted once).
 */
export function endButton(exec: Executor, ref: string): Promise<ButtonEndOutcome> {
  return inTx(exec, async (tx: Tx): Promise<ButtonEndOutcome> => {
    const r = await tx.query(
      `UPDATE actions SET state = 'expired' WHERE ref = $1 AND state <> 'consumed' AND expires_at <= now()
       RETURNING platform, chat_id, message_id, end_view`,
      [ref],
    );
    const row = r.rows[0];
    if (!row) {
      const seen = await tx.query(`SELECT state, expires_at FROM actions WHERE ref = $1`, [ref]);
      const found = seen.rows[0];
      if (!found) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (found.state === 'pending') return { type: 'noop', reason: 'NotDue', dueAt: date(found.expires_at) };
      return { type: 'noop', reason: 'Resolved', dueAt: null };
    }
    const view = row.end_view === null ? undefined : readLiveView(row.end_view);
    const [platform, chatId, messageId] = [
      textOrNull(row.platform),
      textOrNull(row.chat_id),
      textOrNull(row.message_id),
    ];
    if (!view || platform === null || chatId === null || messageId === null) return { type: 'ended', edited: false };
    const { scheduled } = await adoptLive(tx, {
      ref: endedRef(ref),
      view,
      place: { platform: platform as Platform, chatId, messageId },
    });
    return { type: 'ended', edited: scheduled };
  });
}

/** The `action.end` job's payload: the action's ref. */
export function buttonEndOf(payload: Json, key: string): string {
  const ref = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload.ref : undefined;
  if (typeof ref !== 'string' || ref === '') throw new InvalidJobPayload(`${key}: not a button end`);
  return ref;
}
