/**
 * The processor of the live queue: one `live.edit` outbox row per job (or a `live.poll_stop`: stop a closed vote's
 * native poll). The edit is started in a short transaction that claims the row and clears the message's waiting
 * mark (core/live takeLiveEdit), the platform
 * is called after that commit, and the row is marked done with the shown version in a second transaction. So no
 * database lock is held while the edit waits for the platform's rate (a group's budget can take a minute), and a
 * change made meanwhile schedules the next edit. A crash between the two leaves the row pending: the sweeper
 * runs it again, and an edit repeated is harmless (the platform reports "not modified").
 *
 * A `live.post` row posts a live message no command reply carried (core/live postLive) through the editor's `post`,
 * then binds it, so later changes edit it. A crash between the post and the bind posts it again on the retry (at
 * least once, like notifications); a message already bound is not posted again.
 */
import { UnrecoverableError } from 'bullmq';
import { JobRejected, claimDue, inspect, markDone } from '../../core/outbox/index.js';
import type { Db } from '../../core/db/executor.js';
import { POLL_STOP_KIND } from '../../core/actions/index.js';
import { PLATFORMS, type Platform } from '../../core/platform.js';
import {
  bindLive,
  LIVE_POST_KIND,
  readLive,
  recordShown,
  takeLiveEdit,
  type LiveEdit,
  type LiveView,
} from '../../core/live/index.js';
import type { Log } from '../../core/log.js';
import type { WorkerMetrics } from '../metrics.js';
import { isTick, type QueueName } from '../queues.js';
import { failAttempt, later, LOCKED_RECHECK_MS, type Processor } from '../timed.js';
import { MessageGone, type Editors, type LiveRenderer } from './ports.js';

export interface LivePorts {
  editors: Editors;
  renderer: LiveRenderer;
  /** Delay of an edit scheduled after this one (a change arrived meanwhile). Default core/live's. */
  delayMs?: number;
}

export interface LiveProcessorDeps extends LivePorts {
  db: Db;
  log: Log;
  metrics: WorkerMetrics;
  queue: QueueName;
}

interface PollStop {
  platform: Platform;
  chatId: string;
  messageId: string;
}

interface Post {
  ref: string;
  platform: Platform;
  chatId: string;
  view: LiveView;
  version: bigint;
}

interface Started {
  id: string;
  kind: string;
  dueAt: Date;
  edit: LiveEdit | undefined;
  /** A native poll to stop (its vote closed). */
  stop?: PollStop;
  /** A live message to post (then bind). */
  post?: Post;
}

function chatOf(key: string, payload: Record<string, unknown>): { platform: Platform; chatId: string } {
  const { platform, chatId } = payload;
  if (
    typeof platform !== 'string' ||
    !(PLATFORMS as readonly string[]).includes(platform) ||
    typeof chatId !== 'string'
  )
    throw new JobRejected(`${key}: no chat to post in`);
  return { platform: platform as Platform, chatId };
}

function pollStopOf(key: string, payload: Record<string, unknown>): PollStop {
  const { messageId } = payload;
  if (typeof messageId !== 'string') throw new JobRejected(`${key}: not a poll to stop`);
  return { ...chatOf(key, payload), messageId };
}

export function liveProcessor(deps: LiveProcessorDeps): Processor {
  const { db, log } = deps;
  const schedule = deps.delayMs !== undefined ? { delayMs: deps.delayMs } : {};

  async function show(edit: LiveEdit): Promise<void> {
    const editor = deps.editors[edit.place.platform];
    // Transient on purpose: another worker process may run that platform.
    if (!editor) throw new Error(`no editor for ${edit.place.platform} in this process`);
    const message = await Promise.resolve()
      .then(() => deps.renderer.render(edit.view))
      .catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : 'non-error thrown';
        throw new JobRejected(`cannot render live view ${edit.view.template.key}: ${reason}`);
      });
    await editor.edit(edit.place.chatId, edit.place.messageId, message);
  }

  /** Stops a closed vote's native poll; a platform without native polls (or a message gone) has nothing to stop. */
  async function stopPoll(rowId: string, stop: PollStop): Promise<void> {
    const editor = deps.editors[stop.platform];
    if (!editor) throw new Error(`no editor for ${stop.platform} in this process`);
    try {
      await editor.stopPoll?.(stop.chatId, stop.messageId);
    } catch (err) {
      if (!(err instanceof MessageGone)) throw err;
    }
    await markDone(db, [rowId]);
  }

  /** Posts a live message and binds it; a chat that will never take it ends the row. */
  async function post(rowId: string, p: Post): Promise<void> {
    const editor = deps.editors[p.platform];
    if (!editor?.post) throw new Error(`no poster for ${p.platform} in this process`);
    let messageId: string;
    try {
      messageId = (await editor.post(p.chatId, await deps.renderer.render(p.view))).messageId;
    } catch (err) {
      if (!(err instanceof MessageGone)) throw err;
      log.info({ ref: p.ref, platform: p.platform, reason: err.message }, 'live message cannot be posted');
      await markDone(db, [rowId], `cannot post: ${err.message}`);
      return;
    }
    await db.transaction(async (tx) => {
      await bindLive(tx, {
        ref: p.ref,
        platform: p.platform,
        chatId: p.chatId,
        messageId,
        version: p.version,
        ...schedule,
      });
      await markDone(tx, [rowId]);
    });
  }

  /** Shows the edit, then records it and ends the row in one transaction; a message gone for good ends the row. */
  async function deliver(rowId: string, edit: LiveEdit): Promise<void> {
    try {
      await show(edit);
    } catch (err) {
      if (!(err instanceof MessageGone)) throw err;
      log.info({ ref: edit.ref, platform: edit.place.platform, reason: err.message }, 'live message gone');
      await markDone(db, [rowId], `message gone: ${err.message}`);
      return;
    }
    await db.transaction(async (tx) => {
      await recordShown(tx, edit, schedule);
      await markDone(tx, [rowId]);
    });
  }

  return async (job, token) => {
    const data = job.data;
    if (isTick(data)) throw new UnrecoverableError(`a notifications tick on the ${deps.queue} queue`);
    let started: Started | undefined;
    try {
      started = await db.transaction(async (tx) => {
        const row = await claimDue(tx, data.outboxId);
        if (!row) return undefined;
        if (row.kind === POLL_STOP_KIND)
          return {
            id: row.id,
            kind: row.kind,
            dueAt: row.dueAt,
            edit: undefined,
            stop: pollStopOf(row.key, row.payload),
          };
        const ref = row.payload.ref;
        if (typeof ref !== 'string') throw new JobRejected(`${row.key}: payload.ref is not a string`);
        if (row.kind === LIVE_POST_KIND) {
          const { platform, chatId } = chatOf(row.key, row.payload);
          const live = await readLive(tx, ref);
          if (!live) throw new JobRejected(`${row.key}: no live message ${ref}`);
          // Already posted (a retry after the bind): nothing to do.
          if (live.place) {
            await markDone(tx, [row.id]);
            return { id: row.id, kind: row.kind, dueAt: row.dueAt, edit: undefined };
          }
          const post = { ref, platform, chatId, view: live.view, version: live.version };
          return { id: row.id, kind: row.kind, dueAt: row.dueAt, edit: undefined, post };
        }
        const edit = await takeLiveEdit(tx, ref, row.key);
        // Nothing to show (already shown, not posted): done in this transaction.
        if (!edit) await markDone(tx, [row.id]);
        return { id: row.id, kind: row.kind, dueAt: row.dueAt, edit };
      });
      if (started?.edit) await deliver(started.id, started.edit);
      if (started?.stop) await stopPoll(started.id, started.stop);
      if (started?.post) await post(started.id, started.post);
    } catch (err) {
      return failAttempt(deps, job, token, data, err);
    }
    if (started) {
      deps.metrics.finished(deps.queue, started.kind, (Date.now() - started.dueAt.getTime()) / 1000);
      return;
    }
    // Not claimed: done (a duplicate job), not due yet, or held by another run.
    const [row] = await inspect(db, [data.outboxId]);
    if (!row || row.state !== 'pending') return;
    return later(job, token, row.dueInMs > 0 ? row.dueInMs : LOCKED_RECHECK_MS);
  };
}
