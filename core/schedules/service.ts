/**
 * Recurring transfers (/every, /schedules, /cancel). A schedule is created awaiting the payer's tap on
 * Activate (the card shows the payee's name and id and the next three runs). Activation anchors the
 * rule on the payer's wall clock and writes the first run to the outbox; each run, in the worker's
 * transaction, pays with ledger ref `schedule:<id>:<n>` (so an occurrence moves money at most once),
 * records it in `schedule_runs` and writes the next occurrence, all in one commit. Too little money:
 * the payer is told and the run is tried again after `retryDelayMs`, up to `maxTries`, never past the
 * next run; then it is skipped with a notice. A notice goes to the payer the day before each run.
 */
import { SCHEDULE_ACTIVATE } from './model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import type { Action } from '../actions/model.js';
import { createAction, expireActionsByRef } from '../actions/service.js';
import { big, date, dbNow, json, textOrNull } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import { notifyPerson, withNote } from '../outbox/notify.js';
import { SCHEDULE_TEMPLATES } from './templates.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { cancel, schedule } from '../outbox/index.js';
import type { Person, Platform } from '../people/model.js';
import { normalizeUsername, type People } from '../people/service.js';
import type { ChatScope } from '../payments/model.js';
import type { Payments } from '../payments/service.js';
import { storedNote } from '../text/clean.js';
import { isMuted, muteButton } from '../reminders/mute.js';
import { nextReminder } from '../reminders/policy.js';
import type { ScheduleSpec } from './grammar.js';
import type {
  ScheduleActivateOutcome,
  ScheduleCancelOutcome,
  ScheduleCreateError,
  ScheduleCreateOutcome,
  ScheduleNoticeOutcome,
  ScheduleRunOutcome,
  ScheduleState,
  SchedulePayee,
  ScheduleStateError,
  ScheduleView,
} from './model.js';
import { checkRule, occurrence, occurrences, wallClockAt, type WallClock } from './rule.js';

export interface SchedulesConfig {
  /** How long after a run short of money it is tried again (default 24 h). */
  retryDelayMs?: number;
  /** Tries of one run, the first included (default 3). */
  maxTries?: number;
  /** How long the Activate button works (default 15 minutes). */
  confirmTtlMs?: number;
}

export interface SchedulesDeps {
  people: People;
  payments: Payments;
  config?: SchedulesConfig;
  log?: Log;
}

export interface ScheduleCreateInput {
  /** Idempotency key of the command. */
  key: string;
  payer: Person;
  payee: SchedulePayee;
  amount: Amount;
  note?: string | null;
  /** From `parseSchedule`, or an internal rule (`{ unit: 'rule', rule: 'FREQ=SECONDLY;INTERVAL=2' }`). */
  spec: ScheduleSpec;
  chat: ChatScope;
}

export interface Schedules {
  /** The handlers of this domain's buttons (createCore dispatches presses to them by kind). */
  readonly actions: readonly ActionHandler[];
  /** /every: a schedule awaiting the payer's Activate tap. */
  create(tx: Tx, input: ScheduleCreateInput): Promise<ScheduleCreateOutcome>;
  /** A `schedule.activate` tap (payer): anchored now, first run written to the outbox. */
  activate(tx: Tx, action: Action): Promise<ScheduleActivateOutcome>;
  /** /schedules: the person's schedules as payer, newest first. */
  list(exec: Executor, personId: bigint, limit?: number): Promise<ScheduleView[]>;
  /** /cancel: only the payer; future runs and notices are cancelled in the same transaction. */
  cancel(tx: Tx, input: { personId: bigint; scheduleId: bigint }): Promise<ScheduleCancelOutcome>;
  /** Timed `schedule.run` (try `attempt` of occurrence `n`). Tx or own transaction. */
  run(exec: Executor, scheduleId: bigint, n: number, attempt: number): Promise<ScheduleRunOutcome>;
  /** Timed `schedule.notice`: the day-before notice of occurrence `n`, unless the payer muted it. */
  notice(exec: Executor, scheduleId: bigint, n: number): Promise<ScheduleNoticeOutcome>;
}

export const SCHEDULE_RETRY_DELAY_MS = 24 * 3_600_000;
export const SCHEDULE_MAX_TRIES = 3;

/** Outbox key of try `attempt` of occurrence `n`: `schedule.run:<id>:<n>`, retries `schedule.run:<id>:<n>.<try>`. */
export const scheduleRunKey = (id: bigint, n: number, attempt = 1): string =>
  attempt <= 1 ? `schedule.run:${id}:${n}` : `schedule.run:${id}:${n}.${attempt}`;
export const scheduleNoticeKey = (id: bigint, n: number): string => `schedule.notice:${id}:${n}`;
/** Ledger ref of occurrence `n`: the same for every try, so it is paid at most once. */
export const scheduleRef = (id: bigint, n: number): string => `schedule:${id}:${n}`;
export const scheduleThread = (id: bigint): string => `schedule:${id}`;
const activateRef = (id: bigint): string => `schedule:${id}:activate`;

interface ScheduleRow {
  id: bigint;
  payer: bigint;
  payee: bigint;
  amount: Amount;
  note: string | null;
  spec: ScheduleSpec;
  timezone: string;
  anchor: WallClock | null;
  platform: Platform;
  chatId: string;
  state: ScheduleState;
  nextN: number | null;
  nextAt: Date | null;
  tries: number;
}

function toSchedule(r: Row): ScheduleRow {
  return {
    id: big(r.id),
    payer: big(r.payer),
    payee: big(r.payee),
    amount: { minor: big(r.amount), currency: String(r.currency).trim() },
    note: textOrNull(r.note),
    spec: json<ScheduleSpec>(r.spec),
    timezone: String(r.timezone),
    anchor: textOrNull(r.anchor),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    state: r.state as ScheduleState,
    nextN: r.next_n === null || r.next_n === undefined ? null : Number(r.next_n),
    nextAt: r.next_at === null || r.next_at === undefined ? null : date(r.next_at),
    tries: Number(r.tries),
  };
}

async function lockSchedule(tx: Tx, id: bigint): Promise<ScheduleRow | undefined> {
  const r = await tx.query(`SELECT * FROM schedules WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0] ? toSchedule(r.rows[0]) : undefined;
}

function scheduleIdOf(action: Action): bigint {
  const id = action.payload.scheduleId;
  if (typeof id !== 'string' || !/^[0-9]{1,19}$/.test(id)) throw new Error(`action ${action.id} has no schedule id`);
  return BigInt(id);
}

export function createSchedules(deps: SchedulesDeps): Schedules {
  const { people, payments } = deps;
  const log = deps.log ?? silentLog;
  const retryDelayMs = deps.config?.retryDelayMs ?? SCHEDULE_RETRY_DELAY_MS;
  const maxTries = deps.config?.maxTries ?? SCHEDULE_MAX_TRIES;
  const confirmTtlMs = deps.config?.confirmTtlMs ?? 15 * 60_000;
  const rejected = (error: ScheduleCreateError): ScheduleCreateOutcome => ({ type: 'rejected', error });

  async function resolvePayee(
    tx: Tx,
    payee: SchedulePayee,
  ): Promise<{ person: Person; userId: string | null } | ScheduleCreateError> {
    if ('personId' in payee) {
      const person = await people.get(tx, payee.personId);
      return person ? { person, userId: (await people.identityOf(tx, person.id))?.userId ?? null } : 'UnknownRecipient';
    }
    if ('actor' in payee) {
      const touched = await people.touch(tx, payee.actor);
      if (touched.ok) return { person: touched.person, userId: touched.identity.userId };
      return touched.error === 'InvalidUserId' ? 'UnknownRecipient' : 'RecipientIsBot';
    }
    const username = normalizeUsername(payee.username);
    if (!username) return 'InvalidUsername';
    // The Activate card shows who holds the username now (name and id): the tap confirms them.
    const holder = await people.findByUsername(tx, payee.platform, username);
    return holder ? { person: holder.person, userId: holder.identity.userId } : 'UnknownRecipient';
  }

  const timezoneOf = (person: Person): string => person.timezone ?? people.defaults.timezone;

  /** Writes the run (try `attempt`) of occurrence `n` at `at`, and its day-before notice for a first try. */
  async function plan(tx: Tx, s: ScheduleRow, n: number, at: Date, attempt: number): Promise<void> {
    const payload = { scheduleId: s.id.toString(), n: String(n), try: String(attempt) };
    await schedule(tx, { key: scheduleRunKey(s.id, n, attempt), kind: 'schedule.run', dueAt: at, payload });
    if (attempt > 1) return;
    const noticeAt = nextReminder('schedule.notice', { runAt: at, now: await dbNow(tx) });
    if (noticeAt)
      await schedule(tx, {
        key: scheduleNoticeKey(s.id, n),
        kind: 'schedule.notice',
        dueAt: noticeAt,
        payload: { scheduleId: s.id.toString(), n: String(n) },
      });
  }

  /** Moves on to occurrence n + 1, or finishes the schedule when its rule has ended. */
  async function advance(tx: Tx, s: ScheduleRow, n: number): Promise<void> {
    if (!s.anchor) throw new Error(`schedule ${s.id} is active without an anchor`);
    const at = occurrence(s.spec, s.anchor, s.timezone, n + 1);
    if (!at) {
      await tx.query(
        `UPDATE schedules SET state = 'finished', ended_at = now(), next_n = NULL, next_at = NULL, tries = 0 WHERE id = $1`,
        [s.id],
      );
      return;
    }
    await tx.query(`UPDATE schedules SET next_n = $2, next_at = $3, tries = 0 WHERE id = $1`, [
      s.id,
      n + 1,
      at.toISOString(),
    ]);
    await plan(tx, s, n + 1, at, 1);
  }

  async function names(tx: Executor, s: ScheduleRow): Promise<{ payer: Person; payee: Person }> {
    const [payer, payee] = [await people.get(tx, s.payer), await people.get(tx, s.payee)];
    if (!payer || !payee) throw new Error(`schedule ${s.id} lost a person`);
    return { payer, payee };
  }

  async function create(tx: Tx, input: ScheduleCreateInput): Promise<ScheduleCreateOutcome> {
    const { amount, payer, spec } = input;
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return rejected('InvalidAmount');
    const payee = await resolvePayee(tx, input.payee);
    if (typeof payee === 'string') return rejected(payee);
    if (payee.person.id === payer.id) return rejected('SelfSchedule');
    const timezone = timezoneOf(payer);
    const anchor = wallClockAt(await dbNow(tx), timezone);
    if (spec.cadence.unit === 'rule' && checkRule(spec, anchor) !== undefined) return rejected('BadRule');
    const next = occurrences(spec, anchor, timezone, 1, 3).map((o) => o.at);
    if (next.length === 0) return rejected('NeverRuns');
    const note = storedNote(input.note);

    const inserted = await tx.query(
      `INSERT INTO schedules (key, payer, payee, amount, currency, note, spec, timezone, platform, chat_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [
        input.key,
        payer.id,
        payee.person.id,
        amount.minor,
        amount.currency,
        note,
        JSON.stringify(spec),
        timezone,
        input.chat.platform,
        input.chat.chatId,
      ],
    );
    const id = big(
      inserted.rows[0]?.id ?? (await tx.query(`SELECT id FROM schedules WHERE key = $1`, [input.key])).rows[0]?.id,
    );
    const action = await createAction(tx, {
      personId: payer.id,
      platform: input.chat.platform,
      chatId: input.chat.chatId,
      kind: SCHEDULE_ACTIVATE,
      payload: { scheduleId: id.toString() },
      ttlMs: confirmTtlMs,
      ref: activateRef(id),
    });
    return {
      type: 'confirm',
      scheduleId: id,
      actionId: action.id,
      amount,
      note,
      spec,
      toName: payee.person.displayName,
      toUserId: payee.userId,
      next,
      timezone,
    };
  }

  async function activate(tx: Tx, action: Action): Promise<ScheduleActivateOutcome> {
    if (action.kind !== SCHEDULE_ACTIVATE.kind) throw new Error(`activate got a ${action.kind} action`);
    const s = await lockSchedule(tx, scheduleIdOf(action));
    if (!s || s.payer !== action.personId) return { type: 'rejected', error: 'ScheduleNotFound' };
    if (s.state !== 'awaiting') return { type: 'rejected', error: 'ScheduleEnded' };
    const anchor = wallClockAt(await dbNow(tx), s.timezone);
    const next = occurrences(s.spec, anchor, s.timezone, 1, 3).map((o) => o.at);
    const first = next[0];
    if (!first) return { type: 'rejected', error: 'NeverRuns' };
    await tx.query(
      `UPDATE schedules SET state = 'active', anchor = $2, next_n = 1, next_at = $3, tries = 0 WHERE id = $1`,
      [s.id, anchor, first.toISOString()],
    );
    await plan(tx, { ...s, anchor, state: 'active' }, 1, first, 1);
    const { payee } = await names(tx, s);
    log.info({ scheduleId: s.id }, 'schedule activated');
    return { type: 'activated', scheduleId: s.id, amount: s.amount, toName: payee.displayName, next };
  }

  async function list(exec: Executor, personId: bigint, limit = 20): Promise<ScheduleView[]> {
    const r = await exec.query(
      `SELECT s.*, p.display_name AS payee_name,
              (SELECT count(*) FROM schedule_runs WHERE schedule_id = s.id AND state = 'paid')::int AS paid_runs
         FROM schedules s JOIN people p ON p.id = s.payee
        WHERE s.payer = $1
          -- A card nobody tapped in time is not a schedule: leave it out once its button has expired.
          AND NOT (s.state = 'awaiting' AND NOT EXISTS (
                SELECT 1 FROM actions a WHERE a.ref = 'schedule:' || s.id || ':activate'
                   AND a.state = 'pending' AND a.expires_at > now()))
        ORDER BY s.id DESC LIMIT $2`,
      [personId, limit],
    );
    return r.rows.map((row) => {
      const s = toSchedule(row);
      return {
        id: s.id,
        state: s.state,
        amount: s.amount,
        note: s.note,
        spec: s.spec,
        toName: String(row.payee_name),
        nextAt: s.state === 'active' ? s.nextAt : null,
        paidRuns: Number(row.paid_runs),
      };
    });
  }

  async function cancelSchedule(
    tx: Tx,
    input: { personId: bigint; scheduleId: bigint },
  ): Promise<ScheduleCancelOutcome> {
    const s = await lockSchedule(tx, input.scheduleId);
    const refuse = (error: ScheduleStateError): ScheduleCancelOutcome => ({ type: 'rejected', error });
    if (!s) return refuse('ScheduleNotFound');
    if (s.payer !== input.personId) return refuse('NotYourSchedule');
    if (s.state === 'finished' || s.state === 'cancelled') return refuse('ScheduleEnded');
    await tx.query(
      `UPDATE schedules SET state = 'cancelled', ended_at = now(), next_n = NULL, next_at = NULL WHERE id = $1`,
      [s.id],
    );
    // The only pending rows of a schedule are the next occurrence's run (its current try) and notice.
    if (s.nextN !== null) {
      await cancel(tx, scheduleRunKey(s.id, s.nextN, s.tries + 1));
      await cancel(tx, scheduleNoticeKey(s.id, s.nextN));
    }
    await expireActionsByRef(tx, [activateRef(s.id)]);
    const { payee } = await names(tx, s);
    log.info({ scheduleId: s.id }, 'schedule cancelled');
    return { type: 'cancelled', scheduleId: s.id, amount: s.amount, toName: payee.displayName };
  }

  function run(exec: Executor, scheduleId: bigint, n: number, attempt: number): Promise<ScheduleRunOutcome> {
    return inTx(exec, async (tx): Promise<ScheduleRunOutcome> => {
      const s = await lockSchedule(tx, scheduleId);
      if (!s) return { type: 'noop', reason: 'Unknown', dueAt: null };
      // Not this occurrence's current try any more (cancelled, finished, paid, or moved on): a duplicate.
      if (s.state !== 'active' || s.nextN !== n || s.tries + 1 !== attempt || !s.nextAt)
        return { type: 'noop', reason: 'Resolved', dueAt: null };
      const now = await dbNow(tx);
      if (s.nextAt.getTime() > now.getTime()) return { type: 'noop', reason: 'NotDue', dueAt: s.nextAt };
      const { payer, payee } = await names(tx, s);
      const amount = formatAmount(s.amount);
      const paid = await payments.pay(tx, {
        key: scheduleRef(s.id, n),
        from: payer,
        to: { personId: payee.id },
        amount: s.amount,
        note: s.note,
        chat: { platform: s.platform, chatId: s.chatId },
        // Activated on a card showing payee, amount and schedule: each run is confirmed by it.
        confirmed: true,
        undo: false,
        notifyRecipient: false,
      });
      if (paid.type === 'paid') {
        await tx.query(
          `INSERT INTO schedule_runs (schedule_id, n, state, transfer_id, tries) VALUES ($1, $2, 'paid', $3, $4)`,
          [s.id, n, paid.transferId, attempt],
        );
        const params = { amount, ...withNote(s.note) };
        await notifyPerson(tx, {
          key: `notify:schedule:${s.id}:${n}:paid`,
          personId: payer.id,
          template: SCHEDULE_TEMPLATES['schedule.paid'],
          params: { ...params, to: payee.displayName },
        });
        await notifyPerson(tx, {
          key: `notify:schedule:${s.id}:${n}:received`,
          personId: payee.id,
          template: SCHEDULE_TEMPLATES['schedule.received'],
          params: { ...params, from: payer.displayName },
        });
        await advance(tx, s, n);
        log.info({ scheduleId: s.id, n, transferId: paid.transferId }, 'recurring transfer ran');
        return { type: 'paid', scheduleId: s.id, n, transferId: paid.transferId };
      }
      if (paid.type !== 'rejected') throw new Error(`recurring run of schedule ${s.id} did not pay (${paid.type})`);
      log.info({ scheduleId: s.id, n, attempt, error: paid.error }, 'recurring transfer refused');
      const retryAt = new Date(now.getTime() + retryDelayMs);
      const following = s.anchor ? occurrence(s.spec, s.anchor, s.timezone, n + 1) : null;
      if (attempt < maxTries && (!following || retryAt.getTime() < following.getTime())) {
        await tx.query(`UPDATE schedules SET tries = $2, next_at = $3 WHERE id = $1`, [
          s.id,
          attempt,
          retryAt.toISOString(),
        ]);
        await plan(tx, s, n, retryAt, attempt + 1);
        await notifyPerson(tx, {
          key: `notify:schedule:${s.id}:${n}:short:${attempt}`,
          personId: payer.id,
          template: SCHEDULE_TEMPLATES['schedule.short'],
          params: { amount, to: payee.displayName, retryAt: retryAt.toISOString() },
        });
        return { type: 'short', scheduleId: s.id, n, retryAt };
      }
      await tx.query(`INSERT INTO schedule_runs (schedule_id, n, state, tries) VALUES ($1, $2, 'skipped', $3)`, [
        s.id,
        n,
        attempt,
      ]);
      await notifyPerson(tx, {
        key: `notify:schedule:${s.id}:${n}:skipped`,
        personId: payer.id,
        template: SCHEDULE_TEMPLATES['schedule.skipped'],
        params: { amount, to: payee.displayName, tries: String(attempt) },
      });
      await advance(tx, s, n);
      return { type: 'skipped', scheduleId: s.id, n };
    });
  }

  function notice(exec: Executor, scheduleId: bigint, n: number): Promise<ScheduleNoticeOutcome> {
    return inTx(exec, async (tx): Promise<ScheduleNoticeOutcome> => {
      const r = await tx.query(`SELECT * FROM schedules WHERE id = $1`, [scheduleId]);
      const s = r.rows[0] ? toSchedule(r.rows[0]) : undefined;
      if (!s) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (s.state !== 'active' || s.nextN !== n || !s.nextAt) return { type: 'noop', reason: 'Resolved', dueAt: null };
      const thread = scheduleThread(s.id);
      if (await isMuted(tx, s.payer, thread)) return { type: 'muted' };
      const { payee } = await names(tx, s);
      await notifyPerson(tx, {
        key: `notify:schedule:${s.id}:${n}:notice`,
        personId: s.payer,
        template: SCHEDULE_TEMPLATES['schedule.notice'],
        params: {
          amount: formatAmount(s.amount),
          to: payee.displayName,
          runAt: s.nextAt.toISOString(),
          ...withNote(s.note),
        },
        buttons: [[await muteButton(tx, s.payer, thread)]],
        thread,
      });
      return { type: 'noticed', scheduleId: s.id, n };
    });
  }

  return {
    actions: [handles(SCHEDULE_ACTIVATE, activate)],
    create,
    activate,
    list,
    cancel: cancelSchedule,
    run,
    notice,
  };
}
