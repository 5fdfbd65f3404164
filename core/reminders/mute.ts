/**
 * "Stop reminding me": a reminder carries a button (a single-use `reminder.mute` action bound to its
 * person) that mutes its thread (`request:<id>`, `schedule:<id>`…) for that person. Muting cancels the
 * thread's reminders still waiting in the outbox for them, and the reminder handlers check
 * `isMuted` before scheduling the next one. Other messages of the thread (money received) still go.
 */
import { actionKind } from '../actions/model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import type { Action } from '../actions/model.js';
import { createAction } from '../actions/service.js';
import type { Executor, Tx } from '../db/executor.js';

/** How long a "Stop reminding me" button works. */
export const MUTE_BUTTON_TTL_MS = 90 * 24 * 3_600_000;

export type MuteOutcome = { type: 'muted'; thread: string } | { type: 'rejected'; error: 'UnknownThread' };

export async function isMuted(exec: Executor, personId: bigint, thread: string): Promise<boolean> {
  const r = await exec.query(`SELECT 1 FROM reminder_mutes WHERE person_id = $1 AND thread = $2`, [personId, thread]);
  return r.rows.length > 0;
}

/** The "Stop reminding me" button for `personId` on `thread` (the same action every time: idempotent by ref). */
export async function muteButton(
  tx: Tx,
  personId: bigint,
  thread: string,
): Promise<{ labelKey: 'button.stopReminding'; actionId: string }> {
  const action = await createAction(tx, {
    personId,
    kind: REMINDER_MUTE,
    payload: { thread },
    ttlMs: MUTE_BUTTON_TTL_MS,
    ref: `mute:${personId}:${thread}`,
  });
  return { labelKey: 'button.stopReminding', actionId: action.id };
}

/** Mutes a thread for a person and cancels its reminders already waiting for them. */
export async function muteThread(tx: Tx, personId: bigint, thread: string): Promise<number> {
  await tx.query(`INSERT INTO reminder_mutes (person_id, thread) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
    personId,
    thread,
  ]);
  const r = await tx.query(
    `UPDATE outbox SET state = 'cancelled', done_at = now(), last_error = 'muted'
      WHERE kind = 'notify' AND state = 'pending' AND payload ->> 'personId' = $1
        AND payload -> 'template' ->> 'thread' = $2`,
    [personId.toString(), thread],
  );
  return r.rowCount;
}

/** Anyone reminded: stop the reminders of a thread (payload: thread). */
export const REMINDER_MUTE = actionKind<MuteOutcome>()('reminder.mute');

/** The reminders' one button. */
export const muteActions: readonly ActionHandler[] = [handles(REMINDER_MUTE, (tx, action) => pressMute(tx, action))];

/** A `reminder.mute` tap. */
export async function pressMute(tx: Tx, action: Action): Promise<MuteOutcome> {
  if (action.kind !== REMINDER_MUTE.kind) throw new Error(`pressMute got a ${action.kind} action`);
  const thread = action.payload.thread;
  if (typeof thread !== 'string' || thread === '') return { type: 'rejected', error: 'UnknownThread' };
  await muteThread(tx, action.personId, thread);
  return { type: 'muted', thread };
}
