/**
 * Live messages in Postgres. Every write takes the caller's executor: `touchLive` runs in the feature's own
 * transaction, so the object's change and the message's new view commit together (or not at all).
 *
 * Coalescing: a change schedules an edit (`live.edit:<ref>:<version>`, due `delayMs` later) only when none is
 * waiting (`edit_key` is NULL). The change locks the row, so concurrent changes see each other's edit_key and
 * one burst schedules one edit. The edit job clears `edit_key` when it starts (`takeLiveEdit`), before it talks
 * to the platform: a change made while the edit is in flight schedules the next one, which shows it.
 */
import type { Executor, Row, Tx } from '../db/executor.js';
import { schedule } from '../outbox/index.js';
import type { Platform } from '../platform.js';
import {
  LIVE_EDIT_DELAY_MS,
  LIVE_EDIT_KIND,
  LIVE_POST_KIND,
  MAX_REF_LENGTH,
  readLiveView,
  type LiveEdit,
  type LiveError,
  type LiveMessage,
  type LivePlace,
  type LiveView,
} from './model.js';

/** The outbox key of the edit that brings the message to `version`. */
export const liveEditKey = (ref: string, version: bigint): string => `${LIVE_EDIT_KIND}:${ref}:${version}`;

export interface ScheduleOptions {
  /** Delay of a newly scheduled edit. Default LIVE_EDIT_DELAY_MS. */
  delayMs?: number;
}

function checkRef(ref: string): void {
  if (ref.length < 1 || ref.length > MAX_REF_LENGTH) throw new RangeError(`live ref must be 1-${MAX_REF_LENGTH} chars`);
}

const toMessage = (r: Row): LiveMessage => {
  const view = readLiveView(r.view);
  if (!view) throw new Error(`live message ${String(r.ref)}: stored view is malformed`);
  return {
    ref: String(r.ref),
    view,
    version: BigInt(String(r.version)),
    shownVersion: BigInt(String(r.shown_version)),
    place:
      typeof r.message_id === 'string' && typeof r.chat_id === 'string'
        ? { platform: r.platform as Platform, chatId: r.chat_id, messageId: r.message_id }
        : undefined,
    editKey: typeof r.edit_key === 'string' ? r.edit_key : null,
  };
};

const COLUMNS = 'ref, view, version, shown_version, platform, chat_id, message_id, edit_key';

/**
 * Schedules the edit of a posted message that shows less than its latest version, unless one is waiting.
 * The caller holds the row lock (its statement just updated the row), so two callers never both schedule.
 */
async function scheduleEdit(exec: Executor, live: LiveMessage, options: ScheduleOptions): Promise<boolean> {
  if (!live.place || live.shownVersion >= live.version) return false;
  if (live.editKey !== null) {
    // Normally the waiting edit covers this change. A job that ended without starting (cancelled by hand, dead
    // before its first run) would leave the key set forever: look at its row with a fresh snapshot.
    const r = await exec.query(`SELECT 1 FROM outbox WHERE key = $1 AND state = 'pending'`, [live.editKey]);
    if (r.rowCount > 0) return false;
  }
  const key = liveEditKey(live.ref, live.version);
  await exec.query(`UPDATE live_messages SET edit_key = $2 WHERE ref = $1`, [live.ref, key]);
  await schedule(exec, {
    key,
    kind: LIVE_EDIT_KIND,
    dueAt: new Date(Date.now() + (options.delayMs ?? LIVE_EDIT_DELAY_MS)),
    payload: { ref: live.ref },
  });
  return true;
}

/**
 * Records that the object behind `ref` now shows as `view` (creating the live row on first use), in the caller's
 * transaction. Returns the new version (give it to the `live` effect that posts the message) and whether this
 * change scheduled an edit (false: the message is not posted yet, or an edit is already waiting).
 */
export async function touchLive(
  exec: Executor,
  ref: string,
  view: LiveView,
  options: ScheduleOptions = {},
): Promise<{ version: bigint; scheduled: boolean }> {
  checkRef(ref);
  const r = await exec.query(
    `INSERT INTO live_messages AS l (ref, view) VALUES ($1, $2::jsonb)
     ON CONFLICT (ref) DO UPDATE SET view = excluded.view, version = l.version + 1, updated_at = now()
     RETURNING ${COLUMNS}`,
    [ref, JSON.stringify(view)],
  );
  const live = toMessage(r.rows[0]!);
  return { version: live.version, scheduled: await scheduleEdit(exec, live, options) };
}

export interface LiveBinding extends ScheduleOptions {
  ref: string;
  platform: Platform;
  chatId: string;
  messageId: string;
  /** The version the posted message shows (what `touchLive` returned when it was rendered). */
  version: bigint;
}

/**
 * Binds a posted message to its live row: later changes edit it. A message posted again (a replayed command)
 * takes over: the newest message is the one kept up to date. A change made between the render and the post is
 * caught up by an edit scheduled here.
 */
export async function bindLive(
  exec: Executor,
  binding: LiveBinding,
): Promise<{ type: 'bound'; scheduled: boolean } | { type: 'refused'; error: LiveError }> {
  const r = await exec.query(
    `UPDATE live_messages
        SET platform = $2, chat_id = $3, message_id = $4, shown_version = LEAST($5::bigint, version), updated_at = now()
      WHERE ref = $1
      RETURNING ${COLUMNS}`,
    [binding.ref, binding.platform, binding.chatId, binding.messageId, binding.version],
  );
  const row = r.rows[0];
  if (!row) return { type: 'refused', error: 'UnknownLive' };
  return { type: 'bound', scheduled: await scheduleEdit(exec, toMessage(row), binding) };
}

/** The live row as it stands (no lock). */
export async function readLive(exec: Executor, ref: string): Promise<LiveMessage | undefined> {
  const r = await exec.query(`SELECT ${COLUMNS} FROM live_messages WHERE ref = $1`, [ref]);
  return r.rows[0] ? toMessage(r.rows[0]) : undefined;
}

/**
 * Starts the edit job `key`: clears the waiting mark when it is this job's (the next change schedules a new
 * edit), and returns what to show, or undefined when there is nothing to do (not posted, already shown,
 * unknown ref). Run in the transaction that claims the job's outbox row, and talk to the platform after it.
 */
export async function takeLiveEdit(tx: Tx, ref: string, key: string): Promise<LiveEdit | undefined> {
  const r = await tx.query(
    `UPDATE live_messages SET edit_key = CASE WHEN edit_key = $2 THEN NULL ELSE edit_key END
      WHERE ref = $1 RETURNING ${COLUMNS}`,
    [ref, key],
  );
  const live = r.rows[0] ? toMessage(r.rows[0]) : undefined;
  if (!live?.place || live.shownVersion >= live.version) return undefined;
  return { ref: live.ref, version: live.version, view: live.view, place: live.place };
}

/**
 * Records that the message shows `edit.version` now. The last edit to finish is what the platform shows, so the
 * version is set, not maxed; when a newer change exists and no edit waits for it (two edits of one message
 * overlapped and the older finished last), another edit is scheduled. A message replaced meanwhile (bound
 * again) is left alone.
 */
export async function recordShown(
  exec: Executor,
  edit: Pick<LiveEdit, 'ref' | 'version' | 'place'>,
  options: ScheduleOptions = {},
): Promise<{ scheduled: boolean }> {
  const r = await exec.query(
    `UPDATE live_messages SET shown_version = $2, updated_at = now()
      WHERE ref = $1 AND platform = $3 AND chat_id = $4 AND message_id = $5
      RETURNING ${COLUMNS}`,
    [edit.ref, edit.version, edit.place.platform, edit.place.chatId, edit.place.messageId],
  );
  const row = r.rows[0];
  return { scheduled: row ? await scheduleEdit(exec, toMessage(row), options) : false };
}

/**
 * Shows `view` as the live message `ref` and has a worker post it to a chat (`live.post`), in the caller's
 * transaction: for a message no command reply carries (a card re-posted after a tap in a DM, a reminder in the
 * chat from a timed job). Once posted and bound, later `touchLive` changes edit it as usual. Posting the same ref
 * twice is a no-op (the job's key is the ref).
 */
export async function postLive(
  exec: Executor,
  input: { ref: string; view: LiveView; platform: Platform; chatId: string },
): Promise<{ version: bigint }> {
  const { version } = await touchLive(exec, input.ref, input.view);
  await schedule(exec, {
    key: `${LIVE_POST_KIND}:${input.ref}`,
    kind: LIVE_POST_KIND,
    dueAt: new Date(),
    payload: { ref: input.ref, platform: input.platform, chatId: input.chatId },
  });
  return { version };
}

/**
 * Makes a message the bot posted without a live row (a command reply, a notification, found where its buttons were
 * bound or where the notifier recorded it) the live message `ref`, showing `view`: its edit is scheduled (`delayMs`,
 * default at once) through the same `live.edit` job as every live message, in one statement. For a message whose
 * buttons can no longer be used: the edit shows its final state. Run in the transaction that ends the buttons; a ref
 * adopted before is left as it is (a job run again adopts nothing).
 */
export async function adoptLive(
  exec: Executor,
  input: { ref: string; view: LiveView; place: LivePlace },
  options: ScheduleOptions = {},
): Promise<{ scheduled: boolean }> {
  checkRef(input.ref);
  // Version 1, shown 0 (the column defaults): the message shows nothing of this row yet, and this edit brings it.
  const key = liveEditKey(input.ref, 1n);
  const r = await exec.query(
    `WITH adopted AS (
       INSERT INTO live_messages (ref, view, platform, chat_id, message_id, edit_key)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6)
       ON CONFLICT (ref) DO NOTHING
       RETURNING ref
     )
     INSERT INTO outbox (key, kind, payload, due_at)
     SELECT $6, $7, jsonb_build_object('ref', ref), now() + $8::bigint * interval '1 millisecond' FROM adopted
     ON CONFLICT (key) DO NOTHING`,
    [
      input.ref,
      JSON.stringify(input.view),
      input.place.platform,
      input.place.chatId,
      input.place.messageId,
      key,
      LIVE_EDIT_KIND,
      Math.max(0, Math.trunc(options.delayMs ?? 0)),
    ],
  );
  return { scheduled: r.rowCount === 1 };
}
