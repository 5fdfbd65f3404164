/**
 * Delivers `notify` outbox rows. Jobs in flight are gathered into batches (group commit, as the
 * ledger does): one read of their rows, then one transaction that locks the due rows with their
 * digest companions, hands one message per person to the platform, records each message in
 * `sent_messages` and marks the rows done. The record commits before any job reports success, so a
 * re-run finds its row done; only a crash between the platform call and the commit can repeat a
 * message (T17: platforms do not deduplicate). The ledger never waits on any of this.
 *
 * Per person, in order: unreachable (no private chat) → done, undelivered; inside quiet hours → the
 * deferrable rows (reminders, non-urgent notices) move to the end of the quiet hours, the others go on; the chat's pace slot busy → the job waits for it; else
 * every due notification of that person goes out as one message (a digest when several).
 */
import type { OutMessage } from '../../bots/commands/types.js';
import type { Db } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';
import {
  claimNotifications,
  inspectNotifications,
  markDone,
  postpone,
  readNotifyPayload,
  recordSent,
  type ClaimedRow,
  type NotifyRowState,
  type SentMessage,
} from '../../core/outbox/index.js';
import type { WorkerMetrics } from '../metrics.js';
import { NOTIFY_KIND } from '../queues.js';
import type { ChatPacer } from './limits.js';
import { Blocked, RateLimited, type Directory, type Recipient, type Renderer, type Senders } from './ports.js';
import { quietUntil } from '../../core/people/index.js';

/** What became of one row's job. */
export type Delivery =
  /** Not pending (done by a digest or a duplicate, cancelled, dead): nothing to do. */
  | { type: 'gone' }
  /** Handed to the platform (alone or in a digest). */
  | { type: 'sent' }
  /** Done without a message: the person cannot be reached (no private chat, no sender for their platform), or blocked the bot. */
  | { type: 'dropped'; reason: string }
  /** Not now: not due (database clock), quiet hours, the chat's pace, a 429 for this chat, or held by another run. */
  | { type: 'later'; waitMs: number }
  /** The platform said "too many requests" for the whole bot: pause the queue. */
  | { type: 'throttled'; waitMs: number }
  | { type: 'failed'; error: unknown; permanent: boolean };

export interface NotifierOptions {
  /** Most jobs in one batch. */
  batch: number;
  /** Batches in flight at once. */
  inFlight: number;
  /** Most notifications in one digest message. */
  digestMax: number;
  /** A digest stops growing past this many characters (Telegram's limit is 4096, Discord's 2000). */
  digestChars: number;
  /** How long one platform call may take; a timeout is a transient failure (the message may have gone). */
  sendTimeoutMs: number;
  /** How long a job waits before looking again at a row another batch holds. */
  recheckMs: number;
}

export const DEFAULT_NOTIFIER: NotifierOptions = {
  batch: 256,
  inFlight: 2,
  digestMax: 10,
  digestChars: 1_900,
  sendTimeoutMs: 15_000,
  recheckMs: 500,
};

export interface NotifierDeps {
  db: Db;
  directory: Directory;
  renderer: Renderer;
  senders: Senders;
  /** Null: no per-chat pacing (benchmarks). */
  pacer: ChatPacer | null;
  log: Log;
  metrics: WorkerMetrics;
  options?: Partial<NotifierOptions>;
}

export interface Notifier {
  deliver(outboxId: string): Promise<Delivery>;
}

interface Person {
  recipient: Recipient;
  /** Its rows in this batch. */
  rows: NotifyRowState[];
  /** Inside quiet hours: only non-deferrable rows go (and only such companions join them). */
  quiet: boolean;
}

class SendTimeout extends Error {
  override name = 'SendTimeout';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(`no answer from the platform within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const joinDigest = (messages: readonly OutMessage[]): OutMessage => {
  const buttons = messages[0]?.buttons;
  return { text: messages.map((m) => m.text).join('\n\n'), ...(buttons ? { buttons } : {}) };
};

export function createNotifier(deps: NotifierDeps): Notifier {
  const options = { ...DEFAULT_NOTIFIER, ...deps.options };
  const { db, log, metrics } = deps;
  type Waiter = { id: string; resolve: (d: Delivery) => void };
  let queue: Waiter[] = [];
  let inFlight = 0;
  let scheduled = false;

  /** Outcomes for the rows of one person whose message went (or did not go) out in the transaction. */
  async function sendTo(
    person: Person,
    claimed: readonly ClaimedRow[],
    own: ReadonlySet<string>,
    out: Map<string, Delivery>,
    done: { sent: SentMessage[]; blockedIds: string[] },
  ): Promise<void> {
    const { recipient } = person;
    const sender = deps.senders[recipient.platform];
    if (!sender) throw new Error(`no sender for ${recipient.platform}`); // filtered out before the transaction
    // The batch's own rows first, then the oldest companions, up to digestMax; shown in due order.
    const picked = [...claimed.filter((r) => own.has(r.id)), ...claimed.filter((r) => !own.has(r.id))].slice(
      0,
      options.digestMax,
    );
    const rendered: Array<{ row: ClaimedRow; message: OutMessage }> = [];
    let chars = 0;
    for (const row of picked.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || Number(a.id) - Number(b.id))) {
      const payload = readNotifyPayload(row.payload);
      if (!payload) {
        out.set(row.id, { type: 'failed', error: new Error('malformed notify payload'), permanent: true });
        continue;
      }
      let message: OutMessage;
      try {
        message = await deps.renderer.render(recipient.locale, payload.template, { timeZone: recipient.timezone });
      } catch (err) {
        out.set(row.id, { type: 'failed', error: err, permanent: true });
        continue;
      }
      if (rendered.length > 0 && chars + message.text.length > options.digestChars) break;
      chars += message.text.length + 2;
      rendered.push({ row, message });
    }
    if (rendered.length === 0) return;
    const included = rendered.map((r) => r.row);
    const message =
      rendered.length === 1
        ? (rendered[0] as { message: OutMessage }).message
        : await (deps.renderer.digest?.(
            recipient.locale,
            rendered.map((r) => r.message),
          ) ?? joinDigest(rendered.map((r) => r.message)));

    const wait = deps.pacer ? await deps.pacer.take(recipient.platform, recipient.chatId) : 0;
    if (wait > 0) {
      for (const row of included) out.set(row.id, { type: 'later', waitMs: wait });
      return;
    }
    const context = { platform: recipient.platform, outboxKeys: included.map((r) => r.key) };
    let freeAfterMs: number | undefined;
    try {
      const handedAt = Date.now();
      const { messageId } = await withTimeout(sender.send(recipient.chatId, message), options.sendTimeoutMs);
      metrics.sent(recipient.platform, 1);
      for (const row of included) {
        done.sent.push({ outboxKey: row.key, platform: recipient.platform, chatId: recipient.chatId, messageId });
        out.set(row.id, { type: 'sent' });
        metrics.finished('notifications', NOTIFY_KIND, (handedAt - row.dueAt.getTime()) / 1000);
      }
    } catch (err) {
      if (err instanceof RateLimited) {
        metrics.rateLimited(recipient.platform);
        log.warn({ ...context, retryAfterMs: err.retryAfterMs, scope: err.scope }, 'platform rate limit: waiting');
        if (err.scope === 'chat') freeAfterMs = err.retryAfterMs;
        const delivery: Delivery =
          err.scope === 'global'
            ? { type: 'throttled', waitMs: err.retryAfterMs }
            : { type: 'later', waitMs: err.retryAfterMs };
        for (const row of included) out.set(row.id, delivery);
      } else if (err instanceof Blocked) {
        log.info({ ...context, reason: err.message }, 'notification undeliverable: chat refuses messages');
        for (const row of included) {
          done.blockedIds.push(row.id);
          out.set(row.id, { type: 'dropped', reason: 'blocked' });
        }
      } else {
        for (const row of included) out.set(row.id, { type: 'failed', error: err, permanent: false });
      }
    } finally {
      // Whatever happened (a failed call may still have reached the platform), the next message waits its turn.
      await deps.pacer?.release(recipient.platform, recipient.chatId, freeAfterMs);
    }
  }

  async function deliverBatch(ids: readonly string[]): Promise<Map<string, Delivery>> {
    const out = new Map<string, Delivery>();
    const people = new Map<string, Person>();
    const pendingPeople = new Map<string, NotifyRowState[]>();

    for (const row of await inspectNotifications(db, ids)) {
      if (row.state !== 'pending') continue;
      if (row.kind !== NOTIFY_KIND) {
        out.set(row.id, { type: 'failed', error: new Error(`not a notify row: ${row.kind}`), permanent: true });
      } else if (row.dueInMs > 0) {
        out.set(row.id, { type: 'later', waitMs: row.dueInMs });
      } else if (row.personId === null || !/^\d{1,19}$/.test(row.personId)) {
        out.set(row.id, { type: 'failed', error: new Error('malformed notify payload'), permanent: true });
      } else {
        const rows = pendingPeople.get(row.personId);
        if (rows) rows.push(row);
        else pendingPeople.set(row.personId, [row]);
      }
    }

    // Outside any transaction: the directory reads through the pool.
    await Promise.all(
      [...pendingPeople].map(async ([personId, rows]) => {
        const ids = rows.map((r) => r.id);
        const fail = (error: unknown, permanent: boolean) => {
          for (const id of ids) out.set(id, { type: 'failed', error, permanent });
        };
        let recipient: Recipient | null;
        try {
          recipient = await deps.directory.resolve(BigInt(personId));
        } catch (err) {
          fail(err, false);
          return;
        }
        if (!recipient) {
          await markDone(db, ids, 'undeliverable: no private chat');
          for (const id of ids) out.set(id, { type: 'dropped', reason: 'no private chat' });
          return;
        }
        if (!deps.senders[recipient.platform]) {
          // This deployment does not run that platform (no token): retrying cannot deliver it.
          log.warn(
            { platform: recipient.platform, rows: ids.length },
            'notification undeliverable: no sender for the platform',
          );
          await markDone(db, ids, `undeliverable: no ${recipient.platform} sender`);
          for (const id of ids) out.set(id, { type: 'dropped', reason: `no ${recipient.platform} sender` });
          return;
        }
        const nowMs = Math.max(...rows.map((r) => r.nowMs));
        const until = recipient.quietHours ? quietUntil(nowMs, recipient.timezone, recipient.quietHours) : null;
        if (until === null) {
          people.set(personId, { recipient, rows, quiet: false });
          return;
        }
        // Quiet hours hold reminders and other deferrable notices; "you received money" goes at once.
        const held = rows.filter((r) => r.deferrable);
        const urgent = rows.filter((r) => !r.deferrable);
        if (held.length > 0) {
          await postpone(
            db,
            held.map((r) => r.id),
            new Date(until),
          );
          for (const r of held) out.set(r.id, { type: 'later', waitMs: until - nowMs });
        }
        if (urgent.length > 0) people.set(personId, { recipient, rows: urgent, quiet: true });
      }),
    );
    if (people.size === 0) return out;

    const own = new Set([...people.values()].flatMap((p) => p.rows.map((r) => r.id)));
    try {
      await db.transaction(async (tx) => {
        const claimed = await claimNotifications(tx, {
          ids: [...own],
          personIds: [...people.keys()],
          companions: people.size * (options.digestMax - 1),
          quietPersonIds: [...people].filter(([, p]) => p.quiet).map(([id]) => id),
        });
        const byPerson = new Map<string, ClaimedRow[]>();
        for (const row of claimed) {
          const personId = typeof row.payload.personId === 'string' ? row.payload.personId : '';
          const rows = byPerson.get(personId);
          if (rows) rows.push(row);
          else byPerson.set(personId, [row]);
        }
        const done = { sent: [] as SentMessage[], blockedIds: [] as string[] };
        await Promise.all(
          [...byPerson].map(async ([personId, rows]) => {
            const person = people.get(personId);
            if (person) await sendTo(person, rows, own, out, done);
          }),
        );
        await recordSent(tx, done.sent);
        await markDone(tx, done.blockedIds, 'undeliverable: the chat refuses messages');
      });
    } catch (err) {
      // Nothing was recorded: a message that went out may go again on retry (at least once).
      log.error({ err, rows: own.size }, 'notification batch failed');
      for (const id of own) {
        const d = out.get(id);
        if (d === undefined || d.type === 'sent' || d.type === 'dropped')
          out.set(id, { type: 'failed', error: err, permanent: false });
      }
    }
    // Own rows not claimed: another batch holds them, or they did not fit in this one.
    for (const id of own) if (!out.has(id)) out.set(id, { type: 'later', waitMs: options.recheckMs });
    return out;
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < options.inFlight && queue.length > 0) {
      const batch = queue.slice(0, options.batch);
      queue = queue.slice(batch.length);
      inFlight++;
      const ids = [...new Set(batch.map((w) => w.id))];
      void deliverBatch(ids)
        .then(
          (out) => {
            for (const w of batch) w.resolve(out.get(w.id) ?? { type: 'gone' });
          },
          (err: unknown) => {
            log.error({ err, rows: ids.length }, 'notification batch failed');
            for (const w of batch) w.resolve({ type: 'failed', error: err, permanent: false });
          },
        )
        .finally(() => {
          inFlight--;
          if (queue.length > 0) pump();
        });
    }
  }

  return {
    deliver(outboxId) {
      return new Promise<Delivery>((resolve) => {
        queue.push({ id: outboxId, resolve });
        // Gather every job that starts in this tick before the first batch.
        if (!scheduled && inFlight < options.inFlight) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
  };
}
