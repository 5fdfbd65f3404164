/**
 * Recurring transfers (/every, /schedules, /cancel). A schedule is created awaiting the payer's tap on
 * Activate (the card shows the payee's name and id and the next three runs). Activation anchors the
 * rule on the payer's wall clock and writes the first run to the outbox; each run, in the worker's
 * transaction, pays with ledger ref `schedule:<id>:<n>` (so an occurrence moves money at most once),
 * records it in `schedule_runs` and writes the next occurrence, all in one commit. Too little money:
 * the payer is told and the run is tried again after `retryDelayMs`, up to `maxTries`, never past the
 * next run; then it is skipped with a notice. A notice goes to the payer the day before each run.
 *
 * Shared schedules (`/every @mum 600 monthly on 1 from parents shares @ann:1 @ben:1 @chen:2`): the payers are
 * members of one of the chat's funds, each with a weight. Each gets an Accept button of their own (a single-person
 * action: only they can press it, and a second tap finds it used); the schedule starts when the last one accepts.
 * Each run splits the amount by weight in minor units and moves every share in one ledger unit (ref
 * `schedule:<id>:<n>`, legs `schedule:<id>:<n>#<position>`): one payer short and nothing moves, every payer is told
 * who is short, and the run is retried exactly like a single payer's. Any payer can cancel; the others are told.
 */
import { SCHEDULE_ACCEPT, SCHEDULE_ACTIVATE } from './model.js';
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
import type { People, Someone } from '../people/service.js';
import type { ChatScope } from '../payments/model.js';
import type { Payments } from '../payments/service.js';
import { storedNote } from '../text/clean.js';
import { whereSeen } from '../groups/service.js';
import type { Funds } from '../funds/service.js';
import type { Ledger } from '../ledger/service.js';
import { openAccounts, balancesOf } from '../ledger/queries.js';
import { allocate } from '../money/allocate.js';
import { walletOwner } from '../people/model.js';
import { isMuted, muteButton } from '../reminders/mute.js';
import { nextReminder } from '../reminders/policy.js';
import type { ScheduleSpec } from './grammar.js';
import type {
  ScheduleAcceptOutcome,
  ScheduleActivateOutcome,
  ScheduleCancelOutcome,
  ScheduleCreateError,
  ScheduleCreateOutcome,
  ScheduleNoticeOutcome,
  ScheduleRunOutcome,
  ScheduleShareView,
  ScheduleState,
  SchedulePayee,
  ScheduleStateError,
  ScheduleView,
} from './model.js';
import { checkRule, occurrence, occurrences, wallClockAt, type WallClock } from './rule.js';

/** Whom a schedule pays, as resolved for its card. */
interface Payee {
  person: Person;
  userId: string | null;
  username: string | null;
}

export interface SchedulesConfig {
  /** How long after a run short of money it is tried again (default 24 h). */
  retryDelayMs?: number;
  /** Tries of one run, the first included (default 3). */
  maxTries?: number;
  /** How long the Activate button works (default 15 minutes). */
  confirmTtlMs?: number;
  /** How long each payer's Accept button on a shared schedule works (default 7 days: siblings are not all online). */
  acceptTtlMs?: number;
}

export interface SchedulesDeps {
  people: People;
  payments: Payments;
  /** Shared runs move every payer's share in one unit. */
  ledger: Pick<Ledger, 'apply'>;
  /** Shared schedules are paid by the members of one of the chat's funds. */
  funds: Pick<Funds, 'show'>;
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
  /**
   * A shared schedule: the chat's fund whose active members pay it and each payer's weight (positive integers; the
   * typer must be one of them). Absent: the typer pays alone.
   */
  /** Payers may also be named by a bare platform user id (a Discord `<@id>` typed into the shares text). */
  shares?: { fund: string; payers: ReadonlyArray<{ payer: Someone; weight: number }> };
}

export interface Schedules {
  /** The handlers of this domain's buttons (createCore dispatches presses to them by kind). */
  readonly actions: readonly ActionHandler[];
  /** /every: a schedule awaiting the payer's Activate tap. */
  create(tx: Tx, input: ScheduleCreateInput): Promise<ScheduleCreateOutcome>;
  /** A `schedule.activate` tap (payer): anchored now, first run written to the outbox. */
  activate(tx: Tx, action: Action): Promise<ScheduleActivateOutcome>;
  /** A `schedule.accept` tap (one payer of a shared schedule): the last one starts it. */
  accept(tx: Tx, action: Action): Promise<ScheduleAcceptOutcome>;
  /** /schedules: the person's schedules as payer or as one of the payers of a shared one, newest first. */
  list(exec: Executor, personId: bigint, limit?: number): Promise<ScheduleView[]>;
  /** /cancel: only the payer (any payer of a shared one); future runs and notices are cancelled in the same transaction. */
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
const acceptRef = (id: bigint, personId: bigint): string => `schedule:${id}:accept:${personId}`;

/** The largest weight one payer can have, and the most payers of one schedule. */
export const MAX_SHARE_WEIGHT = 1000;
export const MAX_SHARERS = 20;

/** Each payer's part of `total` by weight, in minor units: remainders one unit at a time (sums exactly). Pure. */
export function splitShares(total: Amount, weights: readonly number[]): Amount[] {
  return allocate(
    total,
    weights.map((w) => BigInt(w)),
  );
}

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
  /** Shared schedules: the fund whose members pay it. */
  fundId: bigint | null;
}

interface ShareRow {
  personId: bigint;
  name: string;
  position: number;
  weight: number;
  accepted: boolean;
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
    fundId: r.fund_id === null || r.fund_id === undefined ? null : big(r.fund_id),
  };
}

async function sharesOf(exec: Executor, scheduleId: bigint): Promise<ShareRow[]> {
  const r = await exec.query(
    `SELECT sh.person_id, sh.position, sh.weight, sh.accepted_at, p.display_name
       FROM schedule_shares sh JOIN people p ON p.id = sh.person_id
      WHERE sh.schedule_id = $1 ORDER BY sh.position`,
    [scheduleId],
  );
  return r.rows.map((row) => ({
    personId: big(row.person_id),
    name: String(row.display_name),
    position: Number(row.position),
    weight: Number(row.weight),
    accepted: row.accepted_at !== null && row.accepted_at !== undefined,
  }));
}

async function fundName(exec: Executor, fundId: bigint): Promise<string> {
  const r = await exec.query(`SELECT name FROM funds WHERE id = $1`, [fundId]);
  const name = r.rows[0]?.name;
  if (typeof name !== 'string') throw new Error(`fund ${fundId} of a shared schedule is gone`);
  return name;
}

/** The Accept buttons still pressable, by payer. */
async function pendingAccepts(
  exec: Executor,
  scheduleId: bigint,
  rows: readonly ShareRow[],
): Promise<Map<bigint, string>> {
  const r = await exec.query(
    `SELECT id, person_id FROM actions WHERE ref = ANY($1::text[]) AND state = 'pending' AND expires_at > now()`,
    [rows.map((row) => acceptRef(scheduleId, row.personId))],
  );
  return new Map(r.rows.map((row) => [big(row.person_id), String(row.id)]));
}

function shareViews(
  amount: Amount,
  rows: readonly ShareRow[],
  buttons: ReadonlyMap<bigint, string>,
): ScheduleShareView[] {
  const parts = splitShares(
    amount,
    rows.map((r) => r.weight),
  );
  return rows.map((r, i) => ({
    personId: r.personId,
    name: r.name,
    weight: r.weight,
    amount: parts[i] ?? { minor: 0n, currency: amount.currency },
    accepted: r.accepted,
    actionId: r.accepted ? null : (buttons.get(r.personId) ?? null),
  }));
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
  const { people, payments, ledger, funds } = deps;
  const log = deps.log ?? silentLog;
  const retryDelayMs = deps.config?.retryDelayMs ?? SCHEDULE_RETRY_DELAY_MS;
  const maxTries = deps.config?.maxTries ?? SCHEDULE_MAX_TRIES;
  const confirmTtlMs = deps.config?.confirmTtlMs ?? 15 * 60_000;
  const acceptTtlMs = deps.config?.acceptTtlMs ?? 7 * 86_400_000;
  const rejected = (error: ScheduleCreateError): ScheduleCreateOutcome => ({ type: 'rejected', error });

  async function resolvePayee(tx: Tx, payee: Someone): Promise<Payee | ScheduleCreateError> {
    // The Activate card shows who holds a username now (name, @username, where seen): the tap confirms them.
    const found = await people.resolve(tx, payee);
    if (typeof found === 'string') return found;
    const identity = found.identity ?? (await people.identityOf(tx, found.person.id));
    return { person: found.person, userId: identity?.userId ?? null, username: identity?.username ?? null };
  }

  /** The card's view of the payee: who, and where the bot has seen them. */
  async function payeeOnCard(tx: Tx, chat: ChatScope, payee: Payee) {
    return {
      toName: payee.person.displayName,
      toUserId: payee.userId,
      toUsername: payee.username,
      seen: await whereSeen(tx, chat, payee.person.id),
    };
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
    if (input.shares) return createShared(tx, input, input.shares, { payee, timezone, next, note });

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
      ...(await payeeOnCard(tx, input.chat, payee)),
      next,
      timezone,
    };
  }

  async function createShared(
    tx: Tx,
    input: ScheduleCreateInput,
    shares: NonNullable<ScheduleCreateInput['shares']>,
    found: { payee: Payee; timezone: string; next: Date[]; note: string | null },
  ): Promise<ScheduleCreateOutcome> {
    const { amount, payer } = input;
    const fund = await funds.show(tx, { ...input.chat, kind: 'group' }, shares.fund);
    if (!fund) return rejected('UnknownFund');
    if (shares.payers.length === 0 || shares.payers.length > MAX_SHARERS) return rejected('NotASharer');
    const payers: Array<{ person: Person; weight: number }> = [];
    for (const p of shares.payers) {
      if (!Number.isInteger(p.weight) || p.weight < 1 || p.weight > MAX_SHARE_WEIGHT) return rejected('InvalidAmount');
      const resolved = await resolvePayee(tx, p.payer);
      if (typeof resolved === 'string') return rejected(resolved);
      if (payers.some((x) => x.person.id === resolved.person.id)) return rejected('DuplicateSharer');
      payers.push({ person: resolved.person, weight: p.weight });
    }
    if (payers.some((p) => p.person.id === found.payee.person.id)) return rejected('PayeeIsSharer');
    if (!payers.some((p) => p.person.id === payer.id)) return rejected('NotASharer');
    const members = new Set(fund.members.map((m) => m.personId));
    if (payers.some((p) => !members.has(p.person.id))) return rejected('NotAFundMember');

    const inserted = await tx.query(
      `INSERT INTO schedules (key, payer, payee, amount, currency, note, spec, timezone, platform, chat_id, fund_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [
        input.key,
        payer.id,
        found.payee.person.id,
        amount.minor,
        amount.currency,
        found.note,
        JSON.stringify(input.spec),
        found.timezone,
        input.chat.platform,
        input.chat.chatId,
        fund.fund.id,
      ],
    );
    const newId = inserted.rows[0]?.id;
    const id = big(newId ?? (await tx.query(`SELECT id FROM schedules WHERE key = $1`, [input.key])).rows[0]?.id);
    // A replayed command finds its shares already written: the first delivery's are the agreement.
    if (newId !== undefined)
      await tx.query(
        `INSERT INTO schedule_shares (schedule_id, person_id, position, weight)
         SELECT $1, person_id, position, weight FROM unnest($2::bigint[], $3::int[], $4::int[]) AS t(person_id, position, weight)`,
        [id, payers.map((p) => p.person.id), payers.map((_, i) => i), payers.map((p) => p.weight)],
      );
    const rows = await sharesOf(tx, id);
    const buttons = new Map<bigint, string>();
    for (const row of rows) {
      const action = await createAction(tx, {
        personId: row.personId,
        platform: input.chat.platform,
        chatId: input.chat.chatId,
        kind: SCHEDULE_ACCEPT,
        payload: { scheduleId: id.toString() },
        ttlMs: acceptTtlMs,
        ref: acceptRef(id, row.personId),
      });
      buttons.set(row.personId, action.id);
    }
    return {
      type: 'shared',
      scheduleId: id,
      amount,
      note: found.note,
      spec: input.spec,
      ...(await payeeOnCard(tx, input.chat, found.payee)),
      next: found.next,
      timezone: found.timezone,
      fund: fund.fund.name,
      shares: shareViews(amount, rows, buttons),
    };
  }

  /** Anchors the rule now and writes the first run: the next three runs, or undefined when it never runs. */
  async function start(tx: Tx, s: ScheduleRow): Promise<Date[] | undefined> {
    const anchor = wallClockAt(await dbNow(tx), s.timezone);
    const next = occurrences(s.spec, anchor, s.timezone, 1, 3).map((o) => o.at);
    const first = next[0];
    if (!first) return undefined;
    await tx.query(
      `UPDATE schedules SET state = 'active', anchor = $2, next_n = 1, next_at = $3, tries = 0 WHERE id = $1`,
      [s.id, anchor, first.toISOString()],
    );
    await plan(tx, { ...s, anchor, state: 'active' }, 1, first, 1);
    return next;
  }

  async function accept(tx: Tx, action: Action): Promise<ScheduleAcceptOutcome> {
    if (action.kind !== SCHEDULE_ACCEPT.kind) throw new Error(`accept got a ${action.kind} action`);
    const refuse = (error: ScheduleStateError): ScheduleAcceptOutcome => ({ type: 'rejected', error });
    // The schedule's row lock serializes payers accepting at once: exactly one of them sees the last acceptance.
    const s = await lockSchedule(tx, scheduleIdOf(action));
    if (!s || s.fundId === null) return refuse('ScheduleNotFound');
    if (!(await sharesOf(tx, s.id)).some((r) => r.personId === action.personId)) return refuse('ScheduleNotFound');
    if (s.state !== 'awaiting') return refuse('ScheduleEnded');
    await tx.query(
      `UPDATE schedule_shares SET accepted_at = now() WHERE schedule_id = $1 AND person_id = $2 AND accepted_at IS NULL`,
      [s.id, action.personId],
    );
    const rows = await sharesOf(tx, s.id);
    const active = rows.every((r) => r.accepted);
    let next: Date[] = [];
    if (active) {
      const started = await start(tx, s);
      if (!started) return refuse('NeverRuns');
      next = started;
      log.info({ scheduleId: s.id }, 'shared schedule accepted by every payer: active');
    }
    const { payee } = await names(tx, s);
    return {
      type: 'accepted',
      scheduleId: s.id,
      amount: s.amount,
      toName: payee.displayName,
      fund: await fundName(tx, s.fundId),
      shares: shareViews(s.amount, rows, await pendingAccepts(tx, s.id, rows)),
      active,
      next,
    };
  }

  async function activate(tx: Tx, action: Action): Promise<ScheduleActivateOutcome> {
    if (action.kind !== SCHEDULE_ACTIVATE.kind) throw new Error(`activate got a ${action.kind} action`);
    const s = await lockSchedule(tx, scheduleIdOf(action));
    if (!s || s.payer !== action.personId) return { type: 'rejected', error: 'ScheduleNotFound' };
    if (s.state !== 'awaiting') return { type: 'rejected', error: 'ScheduleEnded' };
    const next = await start(tx, s);
    if (!next) return { type: 'rejected', error: 'NeverRuns' };
    const { payee } = await names(tx, s);
    log.info({ scheduleId: s.id }, 'schedule activated');
    return { type: 'activated', scheduleId: s.id, amount: s.amount, toName: payee.displayName, next };
  }

  async function list(exec: Executor, personId: bigint, limit = 20): Promise<ScheduleView[]> {
    const r = await exec.query(
      `SELECT s.*, p.display_name AS payee_name,
              (SELECT count(*) FROM schedule_runs WHERE schedule_id = s.id AND state = 'paid')::int AS paid_runs
         FROM schedules s JOIN people p ON p.id = s.payee
        WHERE (s.payer = $1 OR EXISTS (SELECT 1 FROM schedule_shares sh WHERE sh.schedule_id = s.id AND sh.person_id = $1))
          -- A card nobody tapped in time is not a schedule: leave it out once its button has expired.
          AND NOT (s.state = 'awaiting' AND s.fund_id IS NULL AND NOT EXISTS (
                SELECT 1 FROM actions a WHERE a.ref = 'schedule:' || s.id || ':activate'
                   AND a.state = 'pending' AND a.expires_at > now()))
          -- Nor a shared one that a payer can no longer accept (their button expired untapped).
          AND NOT (s.state = 'awaiting' AND s.fund_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM schedule_shares sh WHERE sh.schedule_id = s.id AND sh.accepted_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.ref = 'schedule:' || s.id || ':accept:' || sh.person_id
                                      AND a.state = 'pending' AND a.expires_at > now())))
        ORDER BY s.id DESC LIMIT $2`,
      [personId, limit],
    );
    const views: ScheduleView[] = [];
    for (const row of r.rows) {
      const s = toSchedule(row);
      let shared: ScheduleView['shared'] = null;
      if (s.fundId !== null) {
        const rows = await sharesOf(exec, s.id);
        shared = { fund: await fundName(exec, s.fundId), shares: shareViews(s.amount, rows, new Map()) };
      }
      views.push({
        id: s.id,
        state: s.state,
        amount: s.amount,
        note: s.note,
        spec: s.spec,
        toName: String(row.payee_name),
        nextAt: s.state === 'active' ? s.nextAt : null,
        paidRuns: Number(row.paid_runs),
        shared,
      });
    }
    return views;
  }

  async function cancelSchedule(
    tx: Tx,
    input: { personId: bigint; scheduleId: bigint },
  ): Promise<ScheduleCancelOutcome> {
    const s = await lockSchedule(tx, input.scheduleId);
    const refuse = (error: ScheduleStateError): ScheduleCancelOutcome => ({ type: 'rejected', error });
    if (!s) return refuse('ScheduleNotFound');
    const sharers = s.fundId === null ? [] : await sharesOf(tx, s.id);
    if (s.payer !== input.personId && !sharers.some((r) => r.personId === input.personId))
      return refuse('NotYourSchedule');
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
    await expireActionsByRef(tx, [activateRef(s.id), ...sharers.map((r) => acceptRef(s.id, r.personId))]);
    const { payee } = await names(tx, s);
    const by = sharers.find((r) => r.personId === input.personId)?.name ?? '';
    for (const other of sharers.filter((r) => r.personId !== input.personId))
      await notifyPerson(tx, {
        key: `notify:schedule:${s.id}:cancelled:${other.personId}`,
        personId: other.personId,
        template: SCHEDULE_TEMPLATES['schedule.cancelled_shared'],
        params: { id: s.id.toString(), amount: formatAmount(s.amount), to: payee.displayName, by },
      });
    log.info({ scheduleId: s.id }, 'schedule cancelled');
    return { type: 'cancelled', scheduleId: s.id, amount: s.amount, toName: payee.displayName };
  }

  /**
   * Try `attempt` of occurrence `n` found too little money: tried again after `retryDelayMs` (up to `maxTries`, never
   * past the next run), else skipped and the schedule moves on. `tell` writes the notices (before moving on). Single
   * and shared schedules follow this same policy.
   */
  async function retryOrSkip(
    tx: Tx,
    s: ScheduleRow,
    n: number,
    attempt: number,
    now: Date,
    tell: (what: { type: 'short'; retryAt: Date } | { type: 'skipped' }) => Promise<void>,
  ): Promise<ScheduleRunOutcome> {
    const retryAt = new Date(now.getTime() + retryDelayMs);
    const following = s.anchor ? occurrence(s.spec, s.anchor, s.timezone, n + 1) : null;
    if (attempt < maxTries && (!following || retryAt.getTime() < following.getTime())) {
      await tx.query(`UPDATE schedules SET tries = $2, next_at = $3 WHERE id = $1`, [
        s.id,
        attempt,
        retryAt.toISOString(),
      ]);
      await plan(tx, s, n, retryAt, attempt + 1);
      await tell({ type: 'short', retryAt });
      return { type: 'short', scheduleId: s.id, n, retryAt };
    }
    await tx.query(`INSERT INTO schedule_runs (schedule_id, n, state, tries) VALUES ($1, $2, 'skipped', $3)`, [
      s.id,
      n,
      attempt,
    ]);
    await tell({ type: 'skipped' });
    await advance(tx, s, n);
    return { type: 'skipped', scheduleId: s.id, n };
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
      if (s.fundId !== null) return runShared(tx, s, n, attempt, now);
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
      return retryOrSkip(tx, s, n, attempt, now, async (what) => {
        if (what.type === 'short')
          await notifyPerson(tx, {
            key: `notify:schedule:${s.id}:${n}:short:${attempt}`,
            personId: payer.id,
            template: SCHEDULE_TEMPLATES['schedule.short'],
            params: { amount, to: payee.displayName, retryAt: what.retryAt.toISOString() },
          });
        else
          await notifyPerson(tx, {
            key: `notify:schedule:${s.id}:${n}:skipped`,
            personId: payer.id,
            template: SCHEDULE_TEMPLATES['schedule.skipped'],
            params: { amount, to: payee.displayName, tries: String(attempt) },
          });
      });
    });
  }

  /** A shared run: every payer's share to the payee in one ledger unit, or nothing at all. */
  async function runShared(tx: Tx, s: ScheduleRow, n: number, attempt: number, now: Date): Promise<ScheduleRunOutcome> {
    const { payee } = await names(tx, s);
    const rows = await sharesOf(tx, s.id);
    const parts = splitShares(
      s.amount,
      rows.map((r) => r.weight),
    );
    const ref = scheduleRef(s.id, n);
    const currency = s.amount.currency;
    const accounts = await openAccounts(tx, [
      ...rows.map((r) => ({ kind: 'wallet' as const, owner: walletOwner(r.personId), currency })),
      { kind: 'wallet' as const, owner: walletOwner(payee.id), currency },
    ]);
    const to = accounts[rows.length];
    if (!to) throw new Error(`schedule ${s.id}: the payee's wallet was not opened`);
    const meta = { schedule: s.id.toString(), n: String(n), ...(s.note ? { note: s.note } : {}) };
    const legs = rows.flatMap((r, i) => {
      const part = parts[i];
      const from = accounts[i];
      if (!part || !from) throw new Error(`schedule ${s.id}: no share or wallet for payer ${r.personId}`);
      // A weight too small for a tiny amount can round to nothing: no leg (the ledger refuses zero amounts).
      return part.minor > 0n
        ? [
            {
              op: 'transfer' as const,
              ref: `${ref}#${r.position}`,
              debit: from.id,
              credit: to.id,
              amount: part.minor,
              kind: 'schedule.share',
              meta,
            },
          ]
        : [];
    });
    // retry-safe: the unit's refs are the occurrence's, so a replayed run finds it applied rather than paying twice.
    const result = await ledger.apply(tx, { legs, batchRef: ref });
    const total = formatAmount(s.amount);
    if (result.ok) {
      const transferId = result.transfers[0]?.id;
      if (transferId === undefined) throw new Error(`schedule ${s.id}: a shared run wrote no transfer`);
      await tx.query(
        `INSERT INTO schedule_runs (schedule_id, n, state, transfer_id, tries) VALUES ($1, $2, 'paid', $3, $4)`,
        [s.id, n, transferId, attempt],
      );
      for (const [i, r] of rows.entries())
        await notifyPerson(tx, {
          key: `notify:schedule:${s.id}:${n}:paid:${r.personId}`,
          personId: r.personId,
          template: SCHEDULE_TEMPLATES['schedule.paid_share'],
          params: {
            share: formatAmount(parts[i] ?? s.amount),
            amount: total,
            to: payee.displayName,
            ...withNote(s.note),
          },
        });
      await notifyPerson(tx, {
        key: `notify:schedule:${s.id}:${n}:received`,
        personId: payee.id,
        template: SCHEDULE_TEMPLATES['schedule.received'],
        params: { amount: total, from: rows.map((r) => r.name).join(', '), ...withNote(s.note) },
      });
      await advance(tx, s, n);
      log.info({ scheduleId: s.id, n, transferId }, 'shared recurring transfer ran');
      return { type: 'paid', scheduleId: s.id, n, transferId };
    }
    if (result.error !== 'InsufficientFunds')
      throw new Error(`shared run of schedule ${s.id} refused by the ledger (${result.error})`);
    // The ledger locked every wallet of the unit in this transaction, so these balances are the ones it refused on.
    const short: string[] = [];
    for (const [i, r] of rows.entries()) {
      const [balance] = (await balancesOf(tx, walletOwner(r.personId))).filter((b) => b.currency === currency);
      if ((balance?.available ?? 0n) < (parts[i]?.minor ?? 0n)) short.push(r.name);
    }
    log.info({ scheduleId: s.id, n, attempt, short: short.length }, 'shared recurring transfer refused');
    return retryOrSkip(tx, s, n, attempt, now, async (what) => {
      for (const r of rows)
        if (what.type === 'short')
          await notifyPerson(tx, {
            key: `notify:schedule:${s.id}:${n}:short:${attempt}:${r.personId}`,
            personId: r.personId,
            template: SCHEDULE_TEMPLATES['schedule.short_shared'],
            params: {
              amount: total,
              to: payee.displayName,
              short: short.join(', '),
              retryAt: what.retryAt.toISOString(),
            },
          });
        else
          await notifyPerson(tx, {
            key: `notify:schedule:${s.id}:${n}:skipped:${r.personId}`,
            personId: r.personId,
            template: SCHEDULE_TEMPLATES['schedule.skipped_shared'],
            params: { amount: total, to: payee.displayName, tries: String(attempt) },
          });
    });
  }

  function notice(exec: Executor, scheduleId: bigint, n: number): Promise<ScheduleNoticeOutcome> {
    return inTx(exec, async (tx): Promise<ScheduleNoticeOutcome> => {
      const r = await tx.query(`SELECT * FROM schedules WHERE id = $1`, [scheduleId]);
      const s = r.rows[0] ? toSchedule(r.rows[0]) : undefined;
      if (!s) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (s.state !== 'active' || s.nextN !== n || !s.nextAt) return { type: 'noop', reason: 'Resolved', dueAt: null };
      const thread = scheduleThread(s.id);
      if (s.fundId !== null) return noticeShared(tx, s, n, s.nextAt);
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

  /** The day-before notice of a shared run to each payer who has not muted it, with their share. */
  async function noticeShared(tx: Tx, s: ScheduleRow, n: number, runAt: Date): Promise<ScheduleNoticeOutcome> {
    const thread = scheduleThread(s.id);
    const { payee } = await names(tx, s);
    const rows = await sharesOf(tx, s.id);
    const parts = splitShares(
      s.amount,
      rows.map((r) => r.weight),
    );
    let sent = 0;
    for (const [i, r] of rows.entries()) {
      if (await isMuted(tx, r.personId, thread)) continue;
      await notifyPerson(tx, {
        key: `notify:schedule:${s.id}:${n}:notice:${r.personId}`,
        personId: r.personId,
        template: SCHEDULE_TEMPLATES['schedule.notice_shared'],
        params: {
          share: formatAmount(parts[i] ?? s.amount),
          amount: formatAmount(s.amount),
          to: payee.displayName,
          runAt: runAt.toISOString(),
          ...withNote(s.note),
        },
        buttons: [[await muteButton(tx, r.personId, thread)]],
        thread,
      });
      sent++;
    }
    return sent > 0 ? { type: 'noticed', scheduleId: s.id, n } : { type: 'muted' };
  }

  return {
    actions: [handles(SCHEDULE_ACTIVATE, activate), handles(SCHEDULE_ACCEPT, accept)],
    create,
    activate,
    accept,
    list,
    cancel: cancelSchedule,
    run,
    notice,
  };
}
