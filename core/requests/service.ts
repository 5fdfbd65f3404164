import { REQUEST_DECLINE, REQUEST_PAY, REQUEST_REASK, ttlHours } from './model.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import type { Action } from '../actions/model.js';
import { createAction, expireActionsByRef, findActionByRef, reopenAction } from '../actions/service.js';
import { big, date, dbNow, textOrNull } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import { notifyPerson, withNote } from '../outbox/notify.js';
import { REQUEST_TEMPLATES } from './templates.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { isCurrency } from '../money/currencies.js';
import { formatAmount } from '../money/format.js';
import { cancel, schedule } from '../outbox/index.js';
import { adoptLive, readLive, touchLive } from '../live/service.js';
import type { LiveTemplate } from '../live/model.js';
import type { Locale, Person, Platform } from '../people/model.js';
import { pickLocale } from '../people/settings.js';
import type { People } from '../people/service.js';
import { outsideQuietHours } from '../people/quiet.js';
import { isMuted, muteButton } from '../reminders/mute.js';
import { nextReminder } from '../reminders/policy.js';
import type { ChatScope } from '../payments/model.js';
import type { Payments } from '../payments/service.js';
import { storedNote } from '../text/clean.js';
import {
  MAX_REQUEST_TTL_MS,
  type DeclineOutcome,
  type ExpireOutcome,
  type NudgeOutcome,
  type PayRequestOutcome,
  type ReaskOutcome,
  type RequestError,
  type RequestOutcome,
  type RequestPayer,
  type RequestStateError,
} from './model.js';

export interface RequestsDeps {
  people: People;
  payments: Payments;
  config: { requestTtlMs: number };
  log?: Log;
}

export interface RequestInput {
  key: string;
  requester: Person;
  payer: RequestPayer;
  amount: Amount;
  note?: string | null;
  /** The requester's "by 8pm", already resolved in their time zone; default now + REQUEST_TTL. */
  dueAt?: Date | null;
  chat: ChatScope;
  /** How the requester reads the chat's card (the command's reader). Default: the requester's settings. */
  reader?: { locale: Locale; timeZone: string };
}

export interface Requests {
  /** The handlers of this domain's buttons (createCore dispatches presses to them by kind). */
  readonly actions: readonly ActionHandler[];
  /** /request: the payer gets Pay / Decline (privately and on the chat reply), a nudge at half-time, expiry at the deadline. */
  request(tx: Tx, input: RequestInput): Promise<RequestOutcome>;
  /** `request.pay` tap (payer): a payment with ref `act:<action id>`; the request becomes paid. */
  payRequest(tx: Tx, action: Action): Promise<PayRequestOutcome>;
  /** `request.decline` tap (payer). */
  declineRequest(tx: Tx, action: Action): Promise<DeclineOutcome>;
  /** `request.reask` tap (requester, after expiry): the amount and note to ask someone else for. */
  reaskRequest(tx: Tx, action: Action): Promise<ReaskOutcome>;
  /** Timed `request.nudge`: reminds the payer, only while the request is open (and outside their quiet hours). Tx or own transaction. */
  nudge(exec: Executor, requestId: bigint): Promise<NudgeOutcome>;
  /** Timed `request.expire`: an open request past its deadline expires; both sides are told. Tx or own transaction. */
  expire(exec: Executor, requestId: bigint): Promise<ExpireOutcome>;
}

export const requestNudgeKey = (id: bigint): string => `request.nudge:${id}:1`;
export const requestExpireKey = (id: bigint): string => `request.expire:${id}:1`;
export const requestThread = (id: bigint): string => `request:${id}`;
const actionRef = (id: bigint, kind: 'pay' | 'decline' | 'reask'): string => `request:${id}:${kind}`;
/** The live ref of the request's card in the chat. */
export const requestCardRef = (id: bigint): string => `request:${id}`;
/** The payer's private copies of the card (Pay / Decline): the first notice and the half-time nudge. */
const PRIVATE_COPIES = ['asked', 'nudge'] as const;
const copyKey = (id: bigint, copy: (typeof PRIVATE_COPIES)[number]): string => `notify:request:${id}:${copy}`;

interface RequestRow {
  id: bigint;
  requester: bigint;
  payer: bigint;
  amount: Amount;
  note: string | null;
  platform: Platform;
  chatId: string;
  dueAt: Date;
  createdAt: Date;
  state: 'open' | 'paid' | 'declined' | 'expired';
  /** By the database clock. */
  overdue: boolean;
}

function toRequest(r: Row): RequestRow {
  return {
    id: big(r.id),
    requester: big(r.requester),
    payer: big(r.payer),
    amount: { minor: big(r.amount), currency: String(r.currency).trim() },
    note: textOrNull(r.note),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    dueAt: date(r.due_at),
    createdAt: date(r.created_at),
    state: r.state as RequestRow['state'],
    overdue: r.overdue === true,
  };
}

async function lockRequest(tx: Tx, id: bigint): Promise<RequestRow | undefined> {
  const r = await tx.query(`SELECT *, due_at <= now() AS overdue FROM requests WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0] ? toRequest(r.rows[0]) : undefined;
}

function requestIdOf(action: Action): bigint {
  const id = action.payload.requestId;
  if (typeof id !== 'string' || !/^[0-9]{1,19}$/.test(id)) throw new Error(`action ${action.id} has no request id`);
  return BigInt(id);
}

const stateError = (state: RequestRow['state']): RequestStateError =>
  state === 'paid' ? 'RequestPaid' : state === 'declined' ? 'RequestDeclined' : 'RequestExpired';

export function createRequests(deps: RequestsDeps): Requests {
  const { people, payments } = deps;
  const log = deps.log ?? silentLog;
  const rejected = (error: RequestError): RequestOutcome => ({ type: 'rejected', error });

  // Asking is harmless (the payer decides), so the current holder of a username is asked directly.
  async function resolvePayer(tx: Tx, payer: RequestPayer): Promise<Person | RequestError> {
    const found = await people.resolve(tx, payer);
    return typeof found === 'string' ? found : found.person;
  }

  async function buttons(
    tx: Tx,
    id: bigint,
  ): Promise<Array<Array<{ labelKey: 'button.pay' | 'button.decline'; actionId: string }>>> {
    const pay = await findActionByRef(tx, actionRef(id, 'pay'));
    const decline = await findActionByRef(tx, actionRef(id, 'decline'));
    if (!pay || !decline) throw new Error(`request ${id} has no buttons`);
    return [
      [
        { labelKey: 'button.pay', actionId: pay.id },
        { labelKey: 'button.decline', actionId: decline.id },
      ],
    ];
  }

  async function request(tx: Tx, input: RequestInput): Promise<RequestOutcome> {
    const { amount, requester } = input;
    if (typeof amount.minor !== 'bigint' || amount.minor <= 0n || !isCurrency(amount.currency))
      return rejected('InvalidAmount');
    const payer = await resolvePayer(tx, input.payer);
    if (typeof payer === 'string') return rejected(payer);
    if (payer.id === requester.id) return rejected('SelfRequest');
    const now = await dbNow(tx);
    const defaulted = input.dueAt == null;
    const dueAt = input.dueAt ?? new Date(now.getTime() + deps.config.requestTtlMs);
    if (dueAt.getTime() <= now.getTime()) return rejected('DeadlineInPast');
    if (dueAt.getTime() - now.getTime() > MAX_REQUEST_TTL_MS) return rejected('DeadlineTooFar');
    const note = storedNote(input.note);

    const created = await tx.query(
      `INSERT INTO requests (key, requester, payer, amount, currency, note, platform, chat_id, due_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        input.key,
        requester.id,
        payer.id,
        amount.minor,
        amount.currency,
        note,
        input.chat.platform,
        input.chat.chatId,
        dueAt.toISOString(),
        now.toISOString(),
      ],
    );
    const id = big(created.rows[0]?.id);
    const ttlMs = dueAt.getTime() - now.getTime();
    const payload = { requestId: id.toString() };
    const pay = await createAction(tx, {
      personId: payer.id,
      kind: REQUEST_PAY,
      payload,
      ttlMs,
      ref: actionRef(id, 'pay'),
    });
    const decline = await createAction(tx, {
      personId: payer.id,
      kind: REQUEST_DECLINE,
      payload,
      ttlMs,
      ref: actionRef(id, 'decline'),
    });
    const nudgeAt = nextReminder('request.nudge', { createdAt: now, dueAt, open: true, sent: 0 });
    if (nudgeAt) await schedule(tx, { key: requestNudgeKey(id), kind: 'request.nudge', dueAt: nudgeAt, payload });
    await schedule(tx, { key: requestExpireKey(id), kind: 'request.expire', dueAt, payload });
    // The payer's private card and the chat's card say the same, with the same Pay / Decline.
    const card = {
      amount: formatAmount(amount),
      dueAt: dueAt.toISOString(),
      ...withNote(note),
      ...(defaulted ? { reason: 'default' as const, hours: ttlHours(deps.config.requestTtlMs) } : {}),
    };
    const buttons = [
      [
        { labelKey: 'button.pay' as const, actionId: pay.id },
        { labelKey: 'button.decline' as const, actionId: decline.id },
      ],
    ];
    await notifyPerson(tx, {
      key: copyKey(id, 'asked'),
      personId: payer.id,
      template: REQUEST_TEMPLATES['request.incoming'],
      params: { ...card, from: requester.displayName },
      buttons,
    });
    const { version } = await touchLive(tx, requestCardRef(id), {
      template: {
        key: REQUEST_TEMPLATES['request.sent'].key,
        params: { ...card, name: payer.displayName },
        buttons,
      },
      locale: input.reader?.locale ?? pickLocale(requester.locale, null, people.defaults.locale),
      timeZone: input.reader?.timeZone ?? requester.timezone ?? people.defaults.timezone,
    });
    return {
      type: 'requested',
      card: { ref: requestCardRef(id), version },
      requestId: id,
      payActionId: pay.id,
      declineActionId: decline.id,
      dueAt,
      ...(defaulted ? { defaultTtlMs: deps.config.requestTtlMs } : {}),
      amount,
      note,
      payerPersonId: payer.id,
      payerName: payer.displayName,
    };
  }

  /**
   * The request is answered or expired: its timed jobs and buttons end, and every copy of its card shows how it
   * ended, without Pay / Decline (core/live edits them): the chat's card, and each private copy the payer got. A
   * private copy still waiting to go out is not sent; one that went out inside a digest is left as it is.
   */
  async function settled(
    tx: Tx,
    req: RequestRow,
    state: 'paid' | 'declined' | 'expired',
    end: { payer: Person; requester: Person; pressedIn?: Action['pressedIn'] },
  ): Promise<void> {
    // The message pressed shows the press's outcome already ("You paid …"): not edited twice.
    const pressed = (place: { platform: string; chatId: string; messageId: string } | undefined): boolean =>
      place !== undefined &&
      end.pressedIn !== undefined &&
      place.platform === end.pressedIn.platform &&
      place.chatId === end.pressedIn.chatId &&
      place.messageId === end.pressedIn.messageId;
    await cancel(tx, requestNudgeKey(req.id));
    await cancel(tx, requestExpireKey(req.id));
    await expireActionsByRef(tx, [actionRef(req.id, 'pay'), actionRef(req.id, 'decline')]);
    const template: LiveTemplate = {
      key: REQUEST_TEMPLATES[`request.card.${state}`].key,
      params: {
        payer: end.payer.displayName,
        requester: end.requester.displayName,
        amount: formatAmount(req.amount),
        ...withNote(req.note),
      },
    };
    const card = await readLive(tx, requestCardRef(req.id));
    if (card && !pressed(card.place))
      await touchLive(tx, requestCardRef(req.id), { ...card.view, template }, { delayMs: 0 });
    const view = {
      template,
      locale: pickLocale(end.payer.locale, null, people.defaults.locale),
      timeZone: end.payer.timezone ?? people.defaults.timezone,
    };
    for (const copy of PRIVATE_COPIES) {
      const key = copyKey(req.id, copy);
      if (await cancel(tx, key)) continue;
      const sent = await tx.query(
        `SELECT s.platform, s.chat_id, s.message_id,
                (SELECT count(*) FROM sent_messages o
                  WHERE o.platform = s.platform AND o.chat_id = s.chat_id AND o.message_id = s.message_id)::int AS shown
           FROM sent_messages s WHERE s.outbox_key = $1`,
        [key],
      );
      const row = sent.rows[0];
      if (!row || row.shown !== 1) continue;
      const place = {
        platform: row.platform as Platform,
        chatId: String(row.chat_id),
        messageId: String(row.message_id),
      };
      if (pressed(place)) continue;
      await adoptLive(tx, { ref: `${requestCardRef(req.id)}:${copy}`, view, place }, { delayMs: 0 });
    }
  }

  async function openRequestOf(tx: Tx, action: Action): Promise<RequestRow | RequestStateError> {
    const req = await lockRequest(tx, requestIdOf(action));
    if (!req || req.payer !== action.personId) return 'RequestNotFound';
    if (req.state !== 'open') return stateError(req.state);
    if (req.overdue) return 'RequestExpired';
    return req;
  }

  async function payRequest(tx: Tx, action: Action): Promise<PayRequestOutcome> {
    if (action.kind !== REQUEST_PAY.kind) throw new Error(`payRequest got a ${action.kind} action`);
    const req = await openRequestOf(tx, action);
    if (typeof req === 'string') return { type: 'rejected', error: req };
    const [payer, requester] = [await people.get(tx, req.payer), await people.get(tx, req.requester)];
    if (!payer || !requester) throw new Error(`request ${req.id} lost a person`);
    const paid = await payments.pay(tx, {
      key: `act:${action.id}`,
      from: payer,
      to: { personId: requester.id },
      amount: req.amount,
      note: req.note,
      chat: { platform: req.platform, chatId: req.chatId },
      // The Pay button sits on a card showing the amount and the requester: the tap is the confirmation.
      confirmed: true,
      undo: false,
      notifyRecipient: false,
    });
    if (paid.type === 'rejected') {
      // Short of money: the button stays usable until the deadline, so a top-up and a second tap work.
      if (paid.error === 'InsufficientFunds') await reopenAction(tx, action.id);
      return { type: 'rejected', error: paid.error };
    }
    if (paid.type !== 'paid') throw new Error(`paying request ${req.id} did not pay (${paid.type})`);
    await tx.query(`UPDATE requests SET state = 'paid', transfer_id = $2, resolved_at = now() WHERE id = $1`, [
      req.id,
      paid.transferId,
    ]);
    await settled(tx, req, 'paid', { payer, requester, pressedIn: action.pressedIn });
    await notifyPerson(tx, {
      key: `notify:request:${req.id}:paid`,
      personId: requester.id,
      template: REQUEST_TEMPLATES['request.paid'],
      params: { amount: formatAmount(req.amount), payer: payer.displayName, ...withNote(req.note) },
    });
    log.info({ requestId: req.id, transferId: paid.transferId }, 'request paid');
    return {
      type: 'paid',
      requestId: req.id,
      transferId: paid.transferId,
      amount: req.amount,
      note: req.note,
      requesterPersonId: requester.id,
      requesterName: requester.displayName,
    };
  }

  async function declineRequest(tx: Tx, action: Action): Promise<DeclineOutcome> {
    if (action.kind !== REQUEST_DECLINE.kind) throw new Error(`declineRequest got a ${action.kind} action`);
    const req = await openRequestOf(tx, action);
    if (typeof req === 'string') return { type: 'rejected', error: req };
    const [payer, requester] = [await people.get(tx, req.payer), await people.get(tx, req.requester)];
    if (!payer || !requester) throw new Error(`request ${req.id} lost a person`);
    await tx.query(`UPDATE requests SET state = 'declined', resolved_at = now() WHERE id = $1`, [req.id]);
    await settled(tx, req, 'declined', { payer, requester, pressedIn: action.pressedIn });
    await notifyPerson(tx, {
      key: `notify:request:${req.id}:declined`,
      personId: requester.id,
      template: REQUEST_TEMPLATES['request.declined'],
      params: { amount: formatAmount(req.amount), payer: payer.displayName, ...withNote(req.note) },
    });
    return {
      type: 'declined',
      requestId: req.id,
      amount: req.amount,
      note: req.note,
      requesterPersonId: requester.id,
      requesterName: requester.displayName,
    };
  }

  async function reaskRequest(tx: Tx, action: Action): Promise<ReaskOutcome> {
    if (action.kind !== REQUEST_REASK.kind) throw new Error(`reaskRequest got a ${action.kind} action`);
    const r = await tx.query(`SELECT * FROM requests WHERE id = $1`, [requestIdOf(action)]);
    const req = r.rows[0] ? toRequest(r.rows[0]) : undefined;
    if (!req || req.requester !== action.personId) return { type: 'rejected', error: 'RequestNotFound' };
    const payer = await people.get(tx, req.payer);
    return {
      type: 'reask',
      requestId: req.id,
      amount: req.amount,
      note: req.note,
      previousPayerName: payer?.displayName ?? '?',
    };
  }

  function nudge(exec: Executor, requestId: bigint): Promise<NudgeOutcome> {
    return inTx(exec, async (tx): Promise<NudgeOutcome> => {
      const req = await lockRequest(tx, requestId);
      if (!req) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (req.state !== 'open' || req.overdue) return { type: 'noop', reason: 'Resolved', dueAt: null };
      const now = await dbNow(tx);
      const nudgeAt = nextReminder('request.nudge', {
        createdAt: req.createdAt,
        dueAt: req.dueAt,
        open: true,
        sent: 0,
      });
      if (!nudgeAt) return { type: 'noop', reason: 'Resolved', dueAt: null };
      if (nudgeAt.getTime() > now.getTime()) return { type: 'noop', reason: 'NotDue', dueAt: nudgeAt };
      const thread = requestThread(req.id);
      if (await isMuted(tx, req.payer, thread)) return { type: 'skipped', reason: 'Muted' };
      const [payer, requester] = [await people.get(tx, req.payer), await people.get(tx, req.requester)];
      if (!payer || !requester) throw new Error(`request ${req.id} lost a person`);
      const at = outsideQuietHours(now, payer.quietHours, payer.timezone ?? people.defaults.timezone);
      if (at.getTime() >= req.dueAt.getTime()) return { type: 'skipped', reason: 'QuietUntilDeadline' };
      await notifyPerson(tx, {
        key: copyKey(req.id, 'nudge'),
        personId: payer.id,
        template: REQUEST_TEMPLATES['request.nudge'],
        params: {
          amount: formatAmount(req.amount),
          from: requester.displayName,
          dueAt: req.dueAt.toISOString(),
          ...withNote(req.note),
        },
        buttons: [...(await buttons(tx, req.id)), [await muteButton(tx, payer.id, thread)]],
        dueAt: at,
        thread,
      });
      return { type: 'nudged', requestId: req.id, at };
    });
  }

  function expire(exec: Executor, requestId: bigint): Promise<ExpireOutcome> {
    return inTx(exec, async (tx): Promise<ExpireOutcome> => {
      const req = await lockRequest(tx, requestId);
      if (!req) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (req.state !== 'open') return { type: 'noop', reason: 'Resolved', dueAt: null };
      if (!req.overdue) return { type: 'noop', reason: 'NotDue', dueAt: req.dueAt };
      const [payer, requester] = [await people.get(tx, req.payer), await people.get(tx, req.requester)];
      if (!payer || !requester) throw new Error(`request ${req.id} lost a person`);
      await tx.query(`UPDATE requests SET state = 'expired', resolved_at = now() WHERE id = $1`, [req.id]);
      await settled(tx, req, 'expired', { payer, requester });
      const amount = formatAmount(req.amount);
      await notifyPerson(tx, {
        key: `notify:request:${req.id}:expired:payer`,
        personId: payer.id,
        template: REQUEST_TEMPLATES['request.expired.payer'],
        params: { amount, from: requester.displayName, ...withNote(req.note) },
      });
      const reask = await createAction(tx, {
        personId: requester.id,
        kind: REQUEST_REASK,
        payload: { requestId: req.id.toString() },
        ttlMs: deps.config.requestTtlMs,
        ref: actionRef(req.id, 'reask'),
      });
      await notifyPerson(tx, {
        key: `notify:request:${req.id}:expired:requester`,
        personId: requester.id,
        template: REQUEST_TEMPLATES['request.expired.requester'],
        params: { amount, payer: payer.displayName, ...withNote(req.note) },
        buttons: [[{ labelKey: 'button.askSomeoneElse', actionId: reask.id }]],
      });
      log.info({ requestId: req.id }, 'request expired');
      return { type: 'expired', requestId: req.id };
    });
  }

  return {
    actions: [
      handles(REQUEST_PAY, payRequest),
      handles(REQUEST_DECLINE, declineRequest),
      handles(REQUEST_REASK, reaskRequest),
    ],
    request,
    payRequest,
    declineRequest,
    reaskRequest,
    nudge,
    expire,
  };
}
