/**
 * Delivers `notify` outbox rows. The notifications queue carries ticks, not rows: a tick drains every
 * due row in batches (group commit, as the ledger does). Each batch is one transaction that locks the
 * oldest due rows with their digest companions, hands one message per person to the platform, records
 * each message in `sent_messages` and marks the rows done; the record commits before the tick ends, so
 * a re-run finds its rows done. Only a crash between the platform call and the commit can repeat a
 * message (platforms do not deduplicate). The ledger never waits on any of this.
 *
 * Per person, in order: unreachable (no private chat, no sender for the platform) → done, undelivered;
 * inside quiet hours → the deferrable rows (reminders, non-urgent notices) move to the end of the quiet
 * hours, the others go on; the chat's turn used up → the rows move to when it frees; the bot's rate used
 * up → the rows stay due, untouched, the drain stops and its tick comes back when the rate frees; else
 * every due notification of that person goes out as one message (a digest when several). A row that is
 * moved goes back to the relay, which arms a tick for its new time.
 */
import pLimit from 'p-limit';
import type { OutMessage } from '../../bots/commands/types.js';
import type { Db, Tx } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';
import {
  claimDueNotifications,
  deferNotifications,
  failNotifications,
  alreadySent,
  markDone,
  noteSent,
  readNotifyPayload,
  recordSent,
  type ClaimedRow,
  type NotifyPayload,
  type SentMessage,
} from '../../core/outbox/index.js';
import { quietUntil } from '../../core/people/index.js';
import type { WorkerMetrics } from '../metrics.js';
import { NOTIFY_KIND, type RetryPolicy } from '../queues.js';
import { describeError } from '../timed.js';
import { OVER_CAP, type ReminderCap } from './cap.js';
import type { NotifyLimits } from './limits.js';
import { Blocked, RateLimited, type Directory, type Recipient, type Renderer, type Senders } from './ports.js';

export interface NotifierOptions {
  /** Due rows claimed per batch (their digest companions come on top). */
  batch: number;
  /**
   * Batches in flight at once in this process, whatever the number of ticks draining: each holds a pooled
   * connection while it sends, so the notifications never take more of the pool than this.
   */
  inFlight: number;
  /** Most notifications in one digest message. */
  digestMax: number;
  /** A digest stops growing past this many characters (Telegram's limit is 4096, Discord's 2000). */
  digestChars: number;
  /**
   * How long a message may wait to be handed to the platform (queued behind other sends, then withdrawn unsent), and
   * how long more a call on its way may take (a timeout then is a transient failure: the message may have gone).
   */
  sendTimeoutMs: number;
}

export const DEFAULT_NOTIFIER: NotifierOptions = {
  batch: 256,
  inFlight: 2,
  digestMax: 10,
  digestChars: 1_900,
  sendTimeoutMs: 15_000,
};

export interface NotifierDeps {
  db: Db;
  directory: Directory;
  renderer: Renderer;
  senders: Senders;
  /** Null: no rate limits (benchmarks). */
  limits: NotifyLimits | null;
  /** Reminders (deferrable notices) per person and UTC day; omitted: no cap. */
  cap?: ReminderCap;
  /** Attempts per row and the first backoff, doubled per attempt (the notifications queue's policy). */
  retry: RetryPolicy;
  log: Log;
  metrics: WorkerMetrics;
  options?: Partial<NotifierOptions>;
}

export interface Drained {
  /** Rows the batches claimed. */
  claimed: number;
  /**
   * Set when the drain stopped because the bot's rate was used up: the rows it could not send are untouched
   * (still due), and the tick should come back this many ms later.
   */
  busyMs: number | null;
}

export interface Notifier {
  /** Delivers due rows batch by batch until none is left or the bot's rate is used up. */
  drain(): Promise<Drained>;
  /**
   * The process is stopping: no drain starts another batch, and messages still waiting for their turn are withdrawn
   * unsent (their rows stay due, for the next process), so that running drains end at once.
   */
  stop(): void;
}

class SendTimeout extends Error {
  override name = 'SendTimeout';
}

/** The message waited its whole time for its turn (the bot's pace was taken by other sends) and was withdrawn unsent. */
class NotHandedOver extends Error {
  override name = 'NotHandedOver';
}

/** How long a withdrawn message's rows wait before they are due again. */
const WITHDRAWN_RETRY_MS = 5_000;

/**
 * `send`, given `ms` to be handed to the platform: then its signal is aborted, and a sender that queues (Telegram's
 * paced outbound, behind a burst of replies) withdraws a message still waiting for its turn — it rejects with
 * NotHandedOver and is never sent, so its rows simply wait (and cannot make it a second message). A message already
 * on its way is awaited up to `ms` more: one that did go out is then recorded as sent. Past that the batch stops
 * waiting for it.
 */
function sendWithin<T>(ms: number, stopping: AbortSignal, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort(new NotHandedOver('the process is stopping'));
  if (stopping.aborted) stop();
  else stopping.addEventListener('abort', stop, { once: true });
  const abort = setTimeout(() => controller.abort(new NotHandedOver(`not handed to the platform within ${ms} ms`)), ms);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(`no answer from the platform within ${2 * ms} ms`)), 2 * ms);
  });
  return Promise.race([send(controller.signal), timeout]).finally(() => {
    stopping.removeEventListener('abort', stop);
    clearTimeout(abort);
    clearTimeout(timer);
  });
}

const joinDigest = (messages: readonly OutMessage[]): OutMessage => {
  const buttons = messages[0]?.buttons;
  return { text: messages.map((m) => m.text).join('\n\n'), ...(buttons ? { buttons } : {}) };
};

const byDue = (a: ClaimedRow, b: ClaimedRow) => a.dueAt.getTime() - b.dueAt.getTime() || Number(a.id) - Number(b.id);

/** What one batch decided for its rows; written in the batch's transaction. */
class Outcomes {
  readonly sent: SentMessage[] = [];
  /** Done without a message, by reason. */
  readonly dropped = new Map<string, string[]>();
  /** Moved to a later time (epoch ms). */
  readonly deferred = new Map<number, string[]>();
  readonly failed: Array<{ rows: ClaimedRow[]; error: unknown; permanent: boolean }> = [];
  /** The bot's rate refused a send: its rows are left as they are, due, for this many ms. */
  busyMs: number | null = null;

  drop(reason: string, rows: readonly ClaimedRow[]): void {
    this.dropped.set(reason, [...(this.dropped.get(reason) ?? []), ...rows.map((r) => r.id)]);
  }

  defer(atMs: number, rows: readonly ClaimedRow[]): void {
    this.deferred.set(atMs, [...(this.deferred.get(atMs) ?? []), ...rows.map((r) => r.id)]);
  }
}

interface Person {
  rows: ClaimedRow[];
  payloads: Map<string, NotifyPayload>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const options = { ...DEFAULT_NOTIFIER, ...deps.options };
  const { db, log, metrics } = deps;
  const batches = pLimit(Math.max(1, options.inFlight));
  // One claim at a time in this process: a claim locks a person's due rows together (the digest), and two claims
  // racing could split them between two batches, i.e. two messages.
  const claims = pLimit(1);
  const stopping = new AbortController();

  /**
   * Prepares one message (or none) for the due rows of one person and takes its turn under the rate limits;
   * returns its send, or null when nothing is to be sent now (the rows' outcome is already in `out`).
   */
  async function prepare(
    recipient: Recipient,
    personId: bigint,
    person: Person,
    nowMs: number,
    out: Outcomes,
  ): Promise<(() => Promise<void>) | null> {
    const { rows } = person;
    const sender = deps.senders[recipient.platform];
    if (!sender) {
      // This deployment does not run that platform (no token): retrying cannot deliver it.
      log.warn(
        { platform: recipient.platform, rows: rows.length },
        'notification undeliverable: no sender for the platform',
      );
      out.drop(`undeliverable: no ${recipient.platform} sender`, rows);
      return null;
    }
    // Quiet hours hold reminders and other deferrable notices; "you received money" goes at once.
    const until = recipient.quietHours ? quietUntil(nowMs, recipient.timezone, recipient.quietHours) : null;
    const isReminder = (r: ClaimedRow) => person.payloads.get(r.id)?.template.deferrable !== false;
    let ready = rows;
    if (until !== null) {
      const held = rows.filter(isReminder);
      out.defer(until, held);
      ready = rows.filter((r) => !held.includes(r));
    }
    // The daily cap: reminders past it are skipped for good (done, with the reason), the oldest kept.
    const reminders = ready.filter(isReminder);
    const left = reminders.length > 0 && deps.cap ? await deps.cap.left(personId, nowMs) : null;
    if (left !== null && reminders.length > left) {
      const over = reminders.slice(left);
      log.info({ personId: personId.toString(), skipped: over.length }, 'reminders over the daily cap: skipped');
      metrics.skipped('reminder_cap', over.length);
      out.drop(OVER_CAP, over);
      ready = ready.filter((r) => !over.includes(r));
    }
    if (ready.length === 0) return null;

    const rendered: Array<{ row: ClaimedRow; message: OutMessage }> = [];
    let chars = 0;
    const picked = ready.slice(0, options.digestMax);
    for (const row of picked) {
      const payload = person.payloads.get(row.id);
      if (!payload) continue;
      let message: OutMessage;
      try {
        message = await deps.renderer.render(recipient.locale, payload.template, { timeZone: recipient.timezone });
      } catch (err) {
        out.failed.push({ rows: [row], error: err, permanent: true });
        continue;
      }
      if (rendered.length > 0 && chars + message.text.length > options.digestChars) break;
      chars += message.text.length + 2;
      rendered.push({ row, message });
    }
    const included = rendered.map((r) => r.row);
    // What did not fit in this digest goes to the relay again, and out in the chat's next turn.
    const rest = ready.filter((r) => !included.includes(r) && !out.failed.some((f) => f.rows.includes(r)));
    if (rest.length > 0) out.defer(nowMs, rest);
    if (rendered.length === 0) return null;
    const message =
      rendered.length === 1
        ? (rendered[0] as { message: OutMessage }).message
        : await (deps.renderer.digest?.(
            recipient.locale,
            rendered.map((r) => r.message),
          ) ?? joinDigest(rendered.map((r) => r.message)));

    const refusal = deps.limits ? await deps.limits.take(recipient.platform, recipient.chatId) : null;
    if (refusal?.scope === 'bot') {
      // Rewriting rows that only wait for the bot's next second would cost more than sending them: they stay
      // due, untouched, and the tick comes back when the rate frees.
      out.busyMs = Math.max(out.busyMs ?? 0, refusal.waitMs);
      return null;
    }
    if (refusal) {
      out.defer(Date.now() + refusal.waitMs, included);
      return null;
    }
    return async () => {
      const context = { platform: recipient.platform, outboxKeys: included.map((r) => r.key) };
      let freeAfterMs: number | undefined;
      try {
        const handedAt = Date.now();
        // The rows' keys name the message: a retry after a lost answer is the same message (Discord drops it).
        const key = included.map((r) => r.key).join('\n');
        const { messageId, chatId: landedIn } = await sendWithin(options.sendTimeoutMs, stopping.signal, (signal) =>
          sender.send(recipient.chatId, message, key, signal),
        );
        metrics.sent(recipient.platform, 1);
        const sent = included.map((row) => ({
          outboxKey: row.key,
          platform: recipient.platform,
          // Where the message is (a Discord DM channel rather than the user): a later edit finds it there.
          chatId: landedIn ?? recipient.chatId,
          messageId,
        }));
        out.sent.push(...sent);
        // Kept at once, outside the batch: a kill before the batch commits must not send this again. (PGlite runs
        // one transaction at a time, the batch's: there, one process holds everything and the batch's record is it.)
        if (db.engine === 'postgres')
          await noteSent(db, sent).catch((err: unknown) =>
            log.warn({ ...context, err }, 'could not record a sent message before its batch commits'),
          );
        await deps.cap?.spent(personId, nowMs, included.filter(isReminder).length);
        for (const row of included)
          metrics.finished('notifications', NOTIFY_KIND, (handedAt - row.dueAt.getTime()) / 1000);
      } catch (err) {
        if (err instanceof RateLimited) {
          metrics.rateLimited(recipient.platform);
          log.warn({ ...context, retryAfterMs: err.retryAfterMs, scope: err.scope }, 'platform rate limit: waiting');
          if (err.scope === 'chat') freeAfterMs = err.retryAfterMs;
          else await deps.limits?.throttle(recipient.platform, err.retryAfterMs);
          out.defer(Date.now() + err.retryAfterMs, included);
        } else if (err instanceof NotHandedOver) {
          // Nothing went out: the rows are due again a little later, like a rate limit, without counting a failure.
          log.info({ ...context, retryInMs: WITHDRAWN_RETRY_MS }, 'notification waited too long for its turn');
          out.defer(Date.now() + WITHDRAWN_RETRY_MS, included);
        } else if (err instanceof Blocked) {
          log.info({ ...context, reason: err.message }, 'notification undeliverable: chat refuses messages');
          out.drop('undeliverable: the chat refuses messages', included);
        } else {
          out.failed.push({ rows: included, error: err, permanent: false });
        }
      } finally {
        // Whatever happened (a failed call may still have reached the platform), the next message waits its turn.
        await deps.limits?.release(recipient.platform, recipient.chatId, freeAfterMs);
      }
    };
  }

  /** Writes what the batch decided, in its transaction. */
  async function record(tx: Tx, out: Outcomes): Promise<void> {
    await recordSent(tx, out.sent);
    for (const [reason, ids] of out.dropped) await markDone(tx, ids, reason);
    for (const [atMs, ids] of out.deferred) await deferNotifications(tx, ids, new Date(atMs));
    for (const { rows, error, permanent } of out.failed) {
      const results = await failNotifications(
        tx,
        rows.map((r) => r.id),
        { error: describeError(error), permanent, ...deps.retry },
      );
      for (const { key, attempts, dead } of results) {
        const context = { err: error, key, kind: NOTIFY_KIND, queue: 'notifications', attempt: attempts };
        metrics.failed('notifications', NOTIFY_KIND);
        if (dead) {
          metrics.dead('notifications', NOTIFY_KIND);
          log.error(
            context,
            permanent ? 'outbox job rejected: dead letter' : 'outbox job failed for good: dead letter',
          );
        } else {
          log.warn(context, 'outbox job failed; will retry');
        }
      }
    }
  }

  // With a bot-wide rate, a batch claims no more rows than a second of it can send.
  const limit = Math.max(1, Math.min(options.batch, deps.limits?.perSecond ?? options.batch));

  async function deliverBatch(): Promise<{ claimed: number; busyMs: number | null }> {
    return db.transaction(async (tx) => {
      const { rows, nowMs } = await claims(() => claimDueNotifications(tx, { limit, companions: limit }));
      if (rows.length === 0) return { claimed: 0, busyMs: null };
      const out = new Outcomes();
      const people = new Map<string, Person>();
      // Sent by a batch that was killed before it committed: done, not sent again.
      const sent = await alreadySent(tx, rows);
      out.drop(
        'sent before its batch was interrupted',
        rows.filter((row) => sent.has(row.key)),
      );
      for (const row of rows.filter((r) => !sent.has(r.key)).sort(byDue)) {
        const payload = readNotifyPayload(row.payload);
        if (!payload) {
          out.failed.push({ rows: [row], error: new Error('malformed notify payload'), permanent: true });
          continue;
        }
        const personId = payload.personId.toString();
        const person: Person = people.get(personId) ?? { rows: [], payloads: new Map() };
        person.rows.push(row);
        person.payloads.set(row.id, payload);
        people.set(personId, person);
      }
      // Person by person: the recipient read through this transaction (a batch never waits for a second pooled
      // connection), the message prepared, its turn taken, its send started. Once the bot's rate is used up the
      // people left are not even looked up: their rows stay due, untouched. A failed read fails the batch (its
      // rows go back to pending, the tick is retried); messages it had already handed over may then go again,
      // as after a crash between a send and the commit.
      const sends: Array<Promise<void>> = [];
      try {
        for (const [personId, person] of people) {
          if (out.busyMs !== null) break;
          const recipient = await deps.directory.resolve(tx, BigInt(personId));
          if (!recipient) {
            out.drop('undeliverable: no private chat', person.rows);
            continue;
          }
          const send = await prepare(recipient, BigInt(personId), person, nowMs, out);
          if (send) sends.push(send());
        }
      } finally {
        // No send outlives its batch, even a failed one.
        await Promise.allSettled(sends);
      }
      await Promise.all(sends); // settled: this surfaces a send's own failure (its limits could not be released)
      await record(tx, out);
      return { claimed: rows.length, busyMs: out.busyMs };
    });
  }

  return {
    async drain() {
      const drained: Drained = { claimed: 0, busyMs: null };
      const loop = async (): Promise<void> => {
        while (drained.busyMs === null && !stopping.signal.aborted) {
          const batch = await batches(deliverBatch);
          drained.claimed += batch.claimed;
          if (batch.busyMs !== null) drained.busyMs = Math.max(drained.busyMs ?? 0, batch.busyMs);
          if (batch.claimed < limit) return;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, options.inFlight) }, loop));
      return drained;
    },
    stop() {
      stopping.abort();
    },
  };
}
