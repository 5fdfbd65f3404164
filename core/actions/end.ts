/**
 * The end of a single-use button's time. A button nobody pressed before its deadline can no longer be used, so the
 * message carrying it is edited to its final state (`view`: the text without the hint, no buttons), through
 * core/live's edit job: the domain that creates the action schedules `action.end` at its deadline
 * (`scheduleButtonEnd`), and the job (declared by that domain, core/payments/jobs.ts) runs `endButton`. A button
 * pressed in time is left alone: the press already edited its message to the outcome.
 */
import type { Executor, Tx } from '../db/executor.js';
import { date, textOrNull } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import type { Json } from '../db/wire.js';
import { adoptLive } from '../live/service.js';
import { readLiveView, viewJson, type LiveView } from '../live/model.js';
import { schedule } from '../outbox/service.js';
import { InvalidJobPayload } from '../outbox/jobs.js';
import type { Platform } from '../platform.js';

/** The outbox kind that ends a button at its deadline. */
export const ACTION_END_KIND = 'action.end';

/** The live ref of a message whose button `ref` ended. */
export const endedRef = (ref: string): string => `ended:${ref}`;

/** In the transaction that creates the action `ref` (expiring at `at`): at `at`, its message shows `view`. */
export async function scheduleButtonEnd(
  exec: Executor,
  input: { ref: string; at: Date; view: LiveView },
): Promise<void> {
  await schedule(exec, {
    key: `${ACTION_END_KIND}:${input.ref}`,
    kind: ACTION_END_KIND,
    dueAt: input.at,
    payload: { ref: input.ref, view: viewJson(input.view) },
  });
}

export type ButtonEndOutcome =
  { type: 'ended'; edited: boolean } | { type: 'noop'; reason: 'NotDue' | 'Resolved' | 'Unknown'; dueAt: Date | null };

/**
 * Expires the action `ref` when its deadline has passed by the database clock and nobody pressed it, and has the
 * message its button was bound to show `view`. Pressed: nothing (its message shows the outcome). Not bound to a
 * message (a private notification, a bind that failed): expired, nothing to edit.
 */
export function endButton(exec: Executor, ref: string, view: LiveView): Promise<ButtonEndOutcome> {
  return inTx(exec, async (tx: Tx): Promise<ButtonEndOutcome> => {
    const r = await tx.query(
      `UPDATE actions SET state = 'expired' WHERE ref = $1 AND state <> 'consumed' AND expires_at <= now()
       RETURNING platform, chat_id, message_id`,
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
    const [platform, chatId, messageId] = [
      textOrNull(row.platform),
      textOrNull(row.chat_id),
      textOrNull(row.message_id),
    ];
    if (platform === null || chatId === null || messageId === null) return { type: 'ended', edited: false };
    // Adopted before (a job run again): its edit is already scheduled or made.
    const { scheduled } = await adoptLive(tx, {
      ref: endedRef(ref),
      view,
      place: { platform: platform as Platform, chatId, messageId },
    });
    return { type: 'ended', edited: scheduled };
  });
}

/** The `action.end` job's payload: the action's ref and the view its message ends with. */
export function buttonEndOf(payload: Json, key: string): { ref: string; view: LiveView } {
  const fields = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : {};
  const { ref } = fields;
  const view = readLiveView(fields.view);
  if (typeof ref !== 'string' || ref === '' || !view) throw new InvalidJobPayload(`${key}: not a button end`);
  return { ref, view };
}
