/**
 * Group funds: money a group chat holds together in a ledger account of its own (kind 'fund', owner `fund:<id>`).
 * Anyone may add; only a spend the members pass by vote takes money out, paid by the job that closes the vote, in
 * the transaction that closes it — so of a last vote and the deadline arriving together exactly one decides.
 */
import { closeVote } from '../actions/poll.js';
import {
  createGroupAction,
  lockGroupAction,
  tally as tallyOf,
  type GroupAction,
  type GroupActionHandler,
  type Tally,
} from '../actions/group.js';
import { createAction } from '../actions/service.js';
import { handles, type ActionHandler } from '../actions/registry.js';
import type { Action } from '../actions/model.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, textOrNull } from '../db/rows.js';
import { transferRefusalOf, type LedgerError } from '../ledger/errors.js';
import { balancesOf, openAccount, openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import { silentLog, type Log } from '../log.js';
import { allocate } from '../money/allocate.js';
import type { Amount } from '../money/amount.js';
import { formatAmount } from '../money/format.js';
import { touchLive } from '../live/service.js';
import type { LiveView } from '../live/model.js';
import { idFrom } from '../outbox/jobs.js';
import { schedule } from '../outbox/service.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner, type Identity, type Person } from '../people/model.js';
import { normalizeUsername, type People } from '../people/service.js';
import type { Platform } from '../platform.js';
import { storedNote } from '../text/clean.js';
import type {
  CloseDecision,
  Fund,
  FundAddOutcome,
  FundCloseOutcome,
  FundCreateOutcome,
  FundError,
  FundMember,
  FundMembersOutcome,
  FundMovement,
  FundSpendOutcome,
  FundRejected,
  FundView,
  MatureDecision,
  PotBindOutcome,
  SpendDecision,
} from './model.js';
import { FUND_POT_BIND } from './model.js';
import { FUND_TEMPLATES } from './templates.js';
import { YES, count, decide } from './vote.js';

/** The group action kind of a spending vote (choice 0 = yes, 1 = no). */
export const FUND_SPEND_VOTE = 'fund.spend';
/** The group action kind of a vote to close a fund (choice 0 = yes, 1 = no). */
export const FUND_CLOSE_VOTE = 'fund.close';
export const fundOwner = (id: bigint): string => `fund:${id}`;
/**
 * The decision jobs of a vote: one at its deadline, and a check after each vote. A vote's own transaction cannot
 * see votes cast beside it that have not committed yet (two members voting at once would each count one yes and
 * neither would see the pass), so the check runs after the commit, on what is committed; its key is the card's
 * version, which that vote's transaction bumped (a retried transaction reuses it).
 */
const closeKey = (spendId: bigint, why: 'deadline' | `check:${bigint}`): string => `fund.vote.close:${spendId}:${why}`;
const decideCloseKey = (closeId: bigint, why: 'deadline' | `check:${bigint}`): string =>
  `fund.close.decide:${closeId}:${why}`;
export const matureKey = (fundId: bigint): string => `fund.mature:${fundId}`;
/** How long the creator's "it is them" button stays valid. */
const BIND_TTL_MS = 30 * 24 * 3_600_000;

export interface Chat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

export interface FundsDeps {
  ledger: Pick<Ledger, 'apply'>;
  people: Pick<People, 'get' | 'defaults'>;
  config: { voteTtlMs: number };
  log?: Log;
}

export interface Funds {
  /** The spending vote's rules: only members vote; a vote that passes is decided at once. */
  readonly groupActions: readonly GroupActionHandler[];
  /** The creator's "it is them" button of a pot waiting for an @username. */
  readonly actions: readonly ActionHandler[];
  create(
    tx: Tx,
    input: {
      key: string;
      creator: Person;
      chat: Chat;
      name: string;
      currency: string;
      target?: Amount;
      /** Percent of the members who must vote (1–100; default 50). */
      quorumPct?: number;
      /**
       * A locked pot: nothing leaves before `lockedUntil`, then all of it goes to `beneficiary` — a person, or the
       * @username of someone who has not started the bot (the pot waits for them).
       */
      pot?: { beneficiary: Person | { username: string }; lockedUntil: Date };
    },
  ): Promise<FundCreateOutcome>;
  list(exec: Executor, chat: Chat): Promise<Array<{ fund: Fund; balance: Amount }>>;
  show(exec: Executor, chat: Chat, name: string): Promise<FundView | undefined>;
  add(
    tx: Tx,
    input: { key: string; person: Person; chat: Chat; name: string; amount: Amount; note?: string },
  ): Promise<FundAddOutcome>;
  members(
    tx: Tx,
    input: { person: Person; chat: Chat; name: string; change?: { op: 'add' | 'remove'; member: Person } },
  ): Promise<FundMembersOutcome>;
  spend(
    tx: Tx,
    input: { key: string; requester: Person; chat: Chat; name: string; amount: Amount; payee: Person; reason?: string },
  ): Promise<FundSpendOutcome>;
  /** Decides a spend on its final tally: paid if passed, failed at the deadline, else nothing yet. */
  decideSpend(exec: Executor, spendId: bigint, options?: { check?: boolean }): Promise<SpendDecision>;
  /** Opens a vote to close the fund; when it passes, what is left goes back to the contributors. */
  close(tx: Tx, input: { key: string; requester: Person; chat: Chat; name: string }): Promise<FundCloseOutcome>;
  /** Decides a close vote on its final tally, like `decideSpend`. */
  decideClose(exec: Executor, closeId: bigint, options?: { check?: boolean }): Promise<CloseDecision>;
  /** A pot at its date: its whole balance to the beneficiary, exactly once. */
  mature(exec: Executor, fundId: bigint): Promise<MatureDecision>;
  /**
   * Someone holding the @username a pot waits for has shown up: asks each such pot's creator to confirm it is them
   * (core/people calls it, with the claims' matching, in the transaction that recorded the username).
   */
  matchPots(tx: Tx, claimant: Person, identity: Identity): Promise<void>;
}

const FUND_COLUMNS =
  'id, platform, chat_id, name, currency, created_by, target, quorum_pct, state, beneficiary, beneficiary_username, locked_until, created_at';

function toFund(r: Row): Fund {
  return {
    id: big(r.id),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    name: String(r.name),
    currency: String(r.currency).trim(),
    createdBy: big(r.created_by),
    target: r.target === null || r.target === undefined ? null : big(r.target),
    quorumPct: Number(r.quorum_pct),
    state: r.state as Fund['state'],
    beneficiary: r.beneficiary === null || r.beneficiary === undefined ? null : big(r.beneficiary),
    beneficiaryUsername: textOrNull(r.beneficiary_username),
    lockedUntil: r.locked_until === null || r.locked_until === undefined ? null : date(r.locked_until),
    createdAt: date(r.created_at),
  };
}

const nameKey = (name: string): string => name.normalize('NFKC').toLowerCase();
const rejected = (error: FundError): FundRejected => ({ type: 'rejected', error });
const locked = (until: Date): FundRejected => ({ type: 'rejected', error: 'Locked', until });

const fundErrorOf = (error: LedgerError): FundError => transferRefusalOf(error, 'a fund');

export function createFunds(deps: FundsDeps): Funds {
  const { ledger, people, config } = deps;
  const log = deps.log ?? silentLog;

  const cardRef = (spendId: bigint): string => `fund.spend:${spendId}`;

  /** The vote card as it stands: rendered in the requester's language and time zone. */
  async function showCard(tx: Tx, spendId: bigint, t?: Tally): Promise<{ version: bigint; view: LiveView }> {
    const r = await tx.query(
      `SELECT s.*, f.name, f.currency, f.quorum_pct, g.expires_at, g.id AS vote_id
         FROM fund_spends s JOIN funds f ON f.id = s.fund_id JOIN group_actions g ON g.id = s.action_id
        WHERE s.id = $1`,
      [spendId],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`fund spend ${spendId} vanished`);
    const requester = await people.get(tx, big(row.requester));
    const payee = await people.get(tx, big(row.payee));
    const members = await membersOf(tx, big(row.fund_id));
    const counted = t ?? (await tallyOf(tx, String(row.vote_id)));
    const c = count(ballots(members, counted, big(row.requester)), { quorumPct: Number(row.quorum_pct) });
    const reason =
      row.state === 'passed'
        ? 'passed'
        : row.state === 'failed'
          ? row.failure === 'funds'
            ? 'funds'
            : 'failed'
          : null;
    const note = textOrNull(row.reason);
    const view: LiveView = {
      template: {
        key: FUND_TEMPLATES['fund.vote_card'].key,
        params: {
          name: String(row.name),
          amount: formatAmount({ minor: big(row.amount), currency: String(row.currency).trim() }),
          payee: payee?.displayName ?? '—',
          yes: String(c.yes),
          no: String(c.no),
          needed: String(c.needed),
          members: String(c.members),
          closesAt: date(row.expires_at).toISOString(),
          ...(note ? { note } : {}),
          ...(reason ? { reason } : {}),
        },
      },
      locale: requester?.locale ?? people.defaults.locale,
      timeZone: requester?.timezone ?? people.defaults.timezone,
    };
    const { version } = await touchLive(tx, cardRef(spendId), view);
    return { version, view };
  }

  /**
   * A fund by name. `share` is for writes that move money in or out while the fund stays open (an add, a spend):
   * they run side by side, and a maturity or a close, which lock the row for update, waits for them and they for
   * it — so no money lands in a fund after its balance was paid out.
   */
  async function find(exec: Executor, chat: Chat, name: string, lock?: 'share'): Promise<Fund | undefined> {
    const r = await exec.query(
      `SELECT ${FUND_COLUMNS} FROM funds WHERE platform = $1 AND chat_id = $2 AND name_key = $3${lock ? ' FOR SHARE' : ''}`,
      [chat.platform, chat.chatId, nameKey(name)],
    );
    return r.rows[0] ? toFund(r.rows[0]) : undefined;
  }

  const account = (exec: Executor, fund: Fund) =>
    openAccount(exec, { kind: 'fund', owner: fundOwner(fund.id), currency: fund.currency });

  async function balanceOf(exec: Executor, fund: Fund): Promise<Amount> {
    const [balance] = (await balancesOf(exec, fundOwner(fund.id))).filter((b) => b.currency === fund.currency);
    return { minor: balance?.available ?? 0n, currency: fund.currency };
  }

  async function membersOf(exec: Executor, fundId: bigint): Promise<FundMember[]> {
    const r = await exec.query(
      `SELECT m.person_id, m.role, p.display_name FROM fund_members m JOIN people p ON p.id = m.person_id
        WHERE m.fund_id = $1 AND m.removed_at IS NULL ORDER BY m.joined_at, m.person_id`,
      [fundId],
    );
    return r.rows.map((row) => ({
      personId: big(row.person_id),
      displayName: String(row.display_name),
      role: row.role as FundMember['role'],
    }));
  }

  async function isMember(exec: Executor, fundId: bigint, personId: bigint): Promise<boolean> {
    const r = await exec.query(
      `SELECT 1 FROM fund_members WHERE fund_id = $1 AND person_id = $2 AND removed_at IS NULL`,
      [fundId, personId],
    );
    return r.rows.length > 0;
  }

  /** A member from now on (again, if they had been removed); a creator stays a creator. */
  async function join(tx: Tx, fundId: bigint, personId: bigint, role: FundMember['role']): Promise<boolean> {
    const r = await tx.query(
      `INSERT INTO fund_members (fund_id, person_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (fund_id, person_id) DO UPDATE SET removed_at = NULL WHERE fund_members.removed_at IS NOT NULL
       RETURNING person_id`,
      [fundId, personId, role],
    );
    return r.rows.length > 0;
  }

  async function spendOfAction(exec: Executor, actionId: string) {
    const r = await exec.query(`SELECT id, fund_id, requester FROM fund_spends WHERE action_id = $1`, [actionId]);
    const row = r.rows[0];
    return row ? { id: big(row.id), fundId: big(row.fund_id), requester: big(row.requester) } : undefined;
  }

  const quorumOf = async (exec: Executor, fundId: bigint): Promise<number> => {
    const r = await exec.query(`SELECT quorum_pct FROM funds WHERE id = $1`, [fundId]);
    return Number(r.rows[0]?.quorum_pct ?? 50);
  };

  const ballots = (members: FundMember[], t: Tally, requester: bigint) => ({
    members: members.map((m) => m.personId),
    votes: new Map(t.pressers.map((p) => [p.personId, p.choice])),
    requester,
  });

  /** Who a pot is for, by name: the person, or the @username it waits for; null for a fund that is no pot. */
  async function beneficiaryNameOf(exec: Executor, fund: Fund): Promise<string | null> {
    if (fund.beneficiary !== null) return (await people.get(exec, fund.beneficiary))?.displayName ?? '—';
    return fund.beneficiaryUsername === null ? null : `@${fund.beneficiaryUsername}`;
  }

  /** Whether a pot's date is still ahead, by the database clock (the one the maturity job goes by). */
  async function lockedNow(exec: Executor, fund: Fund): Promise<boolean> {
    if (fund.lockedUntil === null) return false;
    const r = await exec.query(`SELECT $1::timestamptz > now() AS locked`, [fund.lockedUntil.toISOString()]);
    return r.rows[0]?.locked === true;
  }

  /** Tells a non-member privately why their answer to a vote did not count (a native poll gets no reply). */
  async function notMember(tx: Tx, actionId: string, personId: bigint, fund: string, amount: Amount): Promise<void> {
    await notifyPerson(tx, {
      key: `notify:fund.vote:${actionId}:${personId}:not-member`,
      personId,
      template: FUND_TEMPLATES['fund.not_member'],
      params: { fund, amount: formatAmount(amount) },
    });
  }

  const closeCardRef = (closeId: bigint): string => `fund.close:${closeId}`;

  async function closeOfAction(exec: Executor, actionId: string) {
    const r = await exec.query(`SELECT id, fund_id, requester FROM fund_closes WHERE action_id = $1`, [actionId]);
    const row = r.rows[0];
    return row ? { id: big(row.id), fundId: big(row.fund_id), requester: big(row.requester) } : undefined;
  }

  /** The close vote's card as it stands, in the requester's language and time zone. */
  async function showCloseCard(tx: Tx, closeId: bigint, t?: Tally): Promise<{ version: bigint; view: LiveView }> {
    const r = await tx.query(
      `SELECT c.*, g.expires_at FROM fund_closes c JOIN group_actions g ON g.id = c.action_id WHERE c.id = $1`,
      [closeId],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`fund close ${closeId} vanished`);
    const fundRow = await tx.query(`SELECT ${FUND_COLUMNS} FROM funds WHERE id = $1`, [row.fund_id]);
    const fund = toFund(fundRow.rows[0] ?? {});
    const requester = await people.get(tx, big(row.requester));
    const members = await membersOf(tx, fund.id);
    const counted = t ?? (await tallyOf(tx, String(row.action_id)));
    const c = count(ballots(members, counted, big(row.requester)), { quorumPct: fund.quorumPct });
    const reason = row.state === 'passed' ? 'passed' : row.state === 'failed' ? 'failed' : null;
    const view: LiveView = {
      template: {
        key: FUND_TEMPLATES['fund.close_card'].key,
        params: {
          name: fund.name,
          balance: formatAmount(await balanceOf(tx, fund)),
          yes: String(c.yes),
          no: String(c.no),
          needed: String(c.needed),
          members: String(c.members),
          closesAt: date(row.expires_at).toISOString(),
          ...(reason ? { reason } : {}),
        },
      },
      locale: requester?.locale ?? people.defaults.locale,
      timeZone: requester?.timezone ?? people.defaults.timezone,
    };
    const { version } = await touchLive(tx, closeCardRef(closeId), view);
    return { version, view };
  }

  const closingVote: GroupActionHandler = {
    kind: FUND_CLOSE_VOTE,
    async eligible(tx, action, personId) {
      const close = await closeOfAction(tx, action.id);
      if (!close) return false;
      if (await isMember(tx, close.fundId, personId)) return true;
      const fundRow = await tx.query(`SELECT ${FUND_COLUMNS} FROM funds WHERE id = $1`, [close.fundId]);
      const fund = toFund(fundRow.rows[0] ?? {});
      await notMember(tx, action.id, personId, fund.name, await balanceOf(tx, fund));
      return false;
    },
    // As with a spend: every vote asks for a check, which decides at once when the committed votes pass it.
    async pressed(tx, action: GroupAction, t: Tally | null) {
      const close = await closeOfAction(tx, action.id);
      if (!close) return;
      const { version } = await showCloseCard(tx, close.id, t ?? undefined);
      await schedule(tx, {
        key: decideCloseKey(close.id, `check:${version}`),
        kind: 'fund.close.decide',
        dueAt: new Date(0),
        payload: { closeId: close.id.toString(), check: true },
      });
    },
  };

  const spendVote: GroupActionHandler = {
    kind: FUND_SPEND_VOTE,
    async eligible(tx, action, personId) {
      const spend = await spendOfAction(tx, action.id);
      if (!spend) return false;
      if (await isMember(tx, spend.fundId, personId)) return true;
      // A native poll's answer gets no reply in the chat: the person hears privately why it did not count.
      const about = await tx.query(
        `SELECT f.name, f.currency, s.amount FROM funds f JOIN fund_spends s ON s.fund_id = f.id WHERE s.id = $1`,
        [spend.id],
      );
      const row = about.rows[0];
      await notifyPerson(tx, {
        key: `notify:fund.vote:${action.id}:${personId}:not-member`,
        personId,
        template: FUND_TEMPLATES['fund.not_member'],
        params: {
          fund: textOrNull(row?.name) ?? '',
          amount: formatAmount({ minor: big(row?.amount ?? 0), currency: (textOrNull(row?.currency) ?? 'XXX').trim() }),
        },
      });
      return false;
    },
    // Every vote asks for a check after it commits; the check decides at once when the committed votes pass it.
    async pressed(tx, action: GroupAction, t: Tally | null) {
      const spend = await spendOfAction(tx, action.id);
      if (!spend) return;
      const { version } = await showCard(tx, spend.id, t ?? undefined);
      await schedule(tx, {
        key: closeKey(spend.id, `check:${version}`),
        kind: 'fund.vote.close',
        dueAt: new Date(0),
        payload: { spendId: spend.id.toString(), check: true },
      });
    },
  };

  async function movements(exec: Executor, fund: Fund): Promise<FundMovement[]> {
    const r = await exec.query(
      `SELECT t.created_at, t.amount, t.kind, t.meta,
              CASE WHEN t.credit_account = a.id THEN 'in' ELSE 'out' END AS direction,
              p.display_name AS name, s.id AS spend_id, s.action_id
         FROM accounts a
         JOIN transfers t ON t.credit_account = a.id OR t.debit_account = a.id
         JOIN accounts o ON o.id = CASE WHEN t.credit_account = a.id THEN t.debit_account ELSE t.credit_account END
         LEFT JOIN people p ON o.owner = 'person:' || p.id
         LEFT JOIN fund_spends s ON s.transfer_id = t.id
        WHERE a.owner = $1 AND t.state = 'posted'
        ORDER BY t.id DESC LIMIT 50`,
      [fundOwner(fund.id)],
    );
    const out: FundMovement[] = [];
    for (const row of r.rows) {
      const meta = (typeof row.meta === 'string' ? JSON.parse(row.meta) : (row.meta ?? {})) as { note?: string };
      let approvedBy: string[] = [];
      if (row.action_id) {
        const voters = await exec.query(
          `SELECT p.display_name FROM group_action_presses v JOIN people p ON p.id = v.person_id
            WHERE v.action_id = $1 AND v.choice = $2 ORDER BY v.created_at`,
          [row.action_id, YES],
        );
        approvedBy = voters.rows.map((v) => String(v.display_name));
      }
      out.push({
        at: date(row.created_at),
        direction: row.direction === 'in' ? 'in' : 'out',
        amount: { minor: big(row.amount), currency: fund.currency },
        name: textOrNull(row.name) ?? '—',
        note: typeof meta.note === 'string' ? meta.note : null,
        approvedBy,
      });
    }
    return out;
  }

  /**
   * The common part of deciding a spend's or a close's vote: lock the vote exclusively (presses in flight commit
   * first, new ones wait), read its final tally, and close it when it has passed or its deadline is over. A noop
   * says why nothing was decided: unknown, decided already, still open (a check) or not due (the deadline job).
   */
  async function settleVote(
    tx: Tx,
    table: 'fund_spends' | 'fund_closes',
    id: bigint,
    check: boolean,
  ): Promise<
    | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'Open' | 'NotDue'; dueAt?: Date }
    | { type: 'decided'; request: Row; fundId: bigint; requester: bigint; decision: 'passed' | 'failed' }
  > {
    const found = await tx.query(`SELECT * FROM ${table} WHERE id = $1`, [id]);
    const request = found.rows[0];
    if (!request) return { type: 'noop', reason: 'Unknown' };
    const actionId = String(request.action_id);
    await lockGroupAction(tx, actionId);
    const again = await tx.query(
      `SELECT r.state, g.expires_at, g.expires_at <= now() AS past
         FROM ${table} r JOIN group_actions g ON g.id = r.action_id WHERE r.id = $1 FOR UPDATE OF r`,
      [id],
    );
    const row = again.rows[0];
    if (!row || row.state !== 'open') return { type: 'noop', reason: 'Decided' };
    const fundId = big(request.fund_id);
    const requester = big(request.requester);
    const members = await membersOf(tx, fundId);
    const t = await tallyOf(tx, actionId);
    const decision = decide(
      ballots(members, t, requester),
      { quorumPct: await quorumOf(tx, fundId) },
      row.past === true,
    );
    if (decision === 'open')
      // A check finds it still open: nothing to do (the deadline job decides the rest).
      return check ? { type: 'noop', reason: 'Open' } : { type: 'noop', reason: 'NotDue', dueAt: date(row.expires_at) };
    await closeVote(tx, actionId);
    return { type: 'decided', request, fundId, requester, decision };
  }

  const mature = (exec: Executor, fundId: bigint): Promise<MatureDecision> =>
    inTx(exec, async (tx): Promise<MatureDecision> => {
      // The fund row is locked first: of two runs (or a run and a close) one pays, the other sees it decided.
      const r = await tx.query(
        `SELECT ${FUND_COLUMNS}, locked_until <= now() AS due FROM funds WHERE id = $1 FOR UPDATE`,
        [fundId],
      );
      const row = r.rows[0];
      if (!row) return { type: 'noop', reason: 'Unknown' };
      const fund = toFund(row);
      if (fund.lockedUntil === null) return { type: 'noop', reason: 'NotAPot' };
      if (fund.state !== 'open') return { type: 'noop', reason: 'Decided' };
      if (row.due !== true) return { type: 'noop', reason: 'NotDue', dueAt: fund.lockedUntil };
      const balance = await balanceOf(tx, fund);
      if (fund.beneficiary === null) {
        // Nobody holding the @username has been confirmed yet: the pot keeps the money and waits (the creator
        // confirms who it is for when they show up, and it pays then).
        await notifyPerson(tx, {
          key: `notify:fund.mature:${fund.id}:waiting`,
          personId: fund.createdBy,
          template: FUND_TEMPLATES['fund.pot_waiting'],
          params: { fund: fund.name, amount: formatAmount(balance), username: fund.beneficiaryUsername ?? '—' },
        });
        return { type: 'noop', reason: 'Waiting' };
      }
      const beneficiaryId = fund.beneficiary;
      let transferId: bigint | null = null;
      if (balance.minor > 0n) {
        const [pot, wallet] = await openAccounts(tx, [
          { kind: 'fund', owner: fundOwner(fund.id), currency: fund.currency },
          { kind: 'wallet', owner: walletOwner(beneficiaryId), currency: fund.currency },
        ]);
        if (!pot || !wallet) throw new Error('fund accounts were not opened');
        // retry-safe: one maturity ref per fund, so a replay cannot pay twice.
        const paid = await ledger.apply(tx, {
          legs: [
            {
              op: 'transfer',
              ref: matureKey(fund.id),
              debit: pot.id,
              credit: wallet.id,
              amount: balance.minor,
              kind: 'fund.mature',
              meta: { fund: fund.id.toString() },
            },
          ],
        });
        if (!paid.ok) throw new Error(`fund ${fund.id} maturity refused: ${paid.error}`);
        transferId = paid.transfers[0]?.id ?? null;
      }
      await tx.query(`UPDATE funds SET state = 'matured' WHERE id = $1`, [fund.id]);
      const beneficiary = await people.get(tx, beneficiaryId);
      const params = { fund: fund.name, amount: formatAmount(balance) };
      await notifyPerson(tx, {
        key: `notify:fund.mature:${fund.id}:beneficiary`,
        personId: beneficiaryId,
        template: FUND_TEMPLATES['fund.matured'],
        params,
      });
      await notifyPerson(tx, {
        key: `notify:fund.mature:${fund.id}:creator`,
        personId: fund.createdBy,
        template: FUND_TEMPLATES['fund.matured_creator'],
        params: { ...params, beneficiary: beneficiary?.displayName ?? '—' },
      });
      log.info({ fundId: fund.id.toString(), amount: balance.minor.toString() }, 'pot matured');
      return { type: 'matured', fundId: fund.id, amount: balance, transferId };
    });

  /** Pots waiting for the @username `identity` now holds: their creators are asked whether it is them. */
  async function matchPots(tx: Tx, claimant: Person, identity: Identity): Promise<void> {
    if (!identity.username) return;
    const r = await tx.query(
      `UPDATE funds SET beneficiary_asked = $3
        WHERE platform = $1 AND beneficiary_username = $2 AND beneficiary IS NULL AND state = 'open'
          AND beneficiary_asked IS DISTINCT FROM $3 AND created_by <> $3
        RETURNING ${FUND_COLUMNS}`,
      [identity.platform, identity.username, claimant.id],
    );
    for (const fund of r.rows.map(toFund)) {
      // retry-safe: one button and one message per (pot, person) asked about.
      const bind = await createAction(tx, {
        personId: fund.createdBy,
        kind: FUND_POT_BIND,
        payload: { fundId: fund.id.toString(), personId: claimant.id.toString() },
        ttlMs: BIND_TTL_MS,
        ref: `fund.pot.bind:${fund.id}:${claimant.id}`,
      });
      await notifyPerson(tx, {
        key: `notify:fund.pot.bind:${fund.id}:${claimant.id}`,
        personId: fund.createdBy,
        template: FUND_TEMPLATES['fund.pot_matched'],
        params: {
          fund: fund.name,
          amount: formatAmount(await balanceOf(tx, fund)),
          username: identity.username,
          claimantName: identity.displayName,
          claimantId: identity.userId,
          platform: identity.platform,
        },
        buttons: [[{ labelKey: 'button.pot_bind', actionId: bind.id }]],
      });
      log.info({ fundId: fund.id.toString(), personId: claimant.id.toString() }, 'pot beneficiary matched');
    }
  }

  /** The creator's "it is them": the pot is theirs; paid now when its date has passed. */
  async function bindPot(tx: Tx, action: Action): Promise<PotBindOutcome> {
    const fundId = idFrom(action.payload, 'fundId', action.kind);
    const personId = idFrom(action.payload, 'personId', action.kind);
    const r = await tx.query(
      `SELECT ${FUND_COLUMNS},
              EXISTS (SELECT 1 FROM identities i WHERE i.person_id = $2 AND i.platform = funds.platform
                         AND i.username = funds.beneficiary_username) AS holds
         FROM funds WHERE id = $1 FOR UPDATE`,
      [fundId, personId],
    );
    const row = r.rows[0];
    if (!row) return { type: 'rejected', error: 'UnknownFund' };
    const fund = toFund(row);
    if (fund.state !== 'open') return { type: 'rejected', error: 'FundClosed' };
    if (fund.beneficiary !== null) return { type: 'rejected', error: 'AlreadyBound' };
    // The username may have changed hands again since the creator was asked.
    if (row.holds !== true) return { type: 'rejected', error: 'UsernameMoved' };
    await tx.query(`UPDATE funds SET beneficiary = $2 WHERE id = $1`, [fundId, personId]);
    const bound = { ...fund, beneficiary: personId };
    const matured = (await lockedNow(tx, bound)) ? undefined : await mature(tx, fundId);
    return {
      type: 'bound',
      fund: bound,
      beneficiaryName: (await beneficiaryNameOf(tx, bound)) ?? '—',
      paid: matured?.type === 'matured' ? matured.amount : null,
    };
  }

  return {
    groupActions: [spendVote, closingVote],
    actions: [handles(FUND_POT_BIND, bindPot)],

    async create(tx, input) {
      if (input.chat.kind !== 'group') return rejected('NotInGroup');
      if (input.target && input.target.currency !== input.currency) return rejected('CurrencyMismatch');
      const quorumPct = input.quorumPct ?? 50;
      if (!Number.isInteger(quorumPct) || quorumPct < 1 || quorumPct > 100) return rejected('BadQuorum');
      const pot = input.pot;
      const waitingFor = pot && 'username' in pot.beneficiary ? normalizeUsername(pot.beneficiary.username) : null;
      if (pot && 'username' in pot.beneficiary && waitingFor === null) return rejected('UnknownRecipient');
      const r = await tx.query(
        `INSERT INTO funds (key, platform, chat_id, name, name_key, currency, created_by, target, quorum_pct,
                            beneficiary, beneficiary_username, locked_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT DO NOTHING
         RETURNING ${FUND_COLUMNS}`,
        [
          input.key,
          input.chat.platform,
          input.chat.chatId,
          input.name,
          nameKey(input.name),
          input.currency,
          input.creator.id,
          input.target?.minor ?? null,
          quorumPct,
          pot && 'id' in pot.beneficiary ? pot.beneficiary.id : null,
          waitingFor,
          pot?.lockedUntil.toISOString() ?? null,
        ],
      );
      let row = r.rows[0];
      if (!row) {
        // The same delivery again returns its fund; another fund of that name in this chat is a refusal.
        const again = await tx.query(`SELECT ${FUND_COLUMNS} FROM funds WHERE key = $1`, [input.key]);
        row = again.rows[0];
        if (!row) return rejected('FundExists');
      }
      const fund = toFund(row);
      await account(tx, fund);
      await join(tx, fund.id, input.creator.id, 'creator');
      if (fund.lockedUntil !== null)
        // retry-safe: the outbox key is unique per fund.
        await schedule(tx, {
          key: matureKey(fund.id),
          kind: 'fund.mature',
          dueAt: fund.lockedUntil,
          payload: { fundId: fund.id.toString() },
        });
      return {
        type: 'created',
        fund,
        creatorName: input.creator.displayName,
        beneficiaryName: await beneficiaryNameOf(tx, fund),
      };
    },

    async list(exec, chat) {
      const r = await exec.query(
        `SELECT ${FUND_COLUMNS} FROM funds WHERE platform = $1 AND chat_id = $2 AND state = 'open' ORDER BY id`,
        [chat.platform, chat.chatId],
      );
      const funds = r.rows.map(toFund);
      return Promise.all(funds.map(async (fund) => ({ fund, balance: await balanceOf(exec, fund) })));
    },

    async show(exec, chat, name) {
      const fund = await find(exec, chat, name);
      if (!fund) return undefined;
      const open = await exec.query(
        `SELECT count(*)::int AS n FROM fund_spends WHERE fund_id = $1 AND state = 'open'`,
        [fund.id],
      );
      return {
        fund,
        balance: await balanceOf(exec, fund),
        members: await membersOf(exec, fund.id),
        movements: await movements(exec, fund),
        openSpends: Number(open.rows[0]?.n ?? 0),
        beneficiaryName: await beneficiaryNameOf(exec, fund),
      };
    },

    async add(tx, input) {
      const fund = await find(tx, input.chat, input.name, 'share');
      if (!fund) return rejected('UnknownFund');
      if (fund.state !== 'open') return rejected('FundClosed');
      if (input.amount.currency !== fund.currency) return rejected('CurrencyMismatch');
      const note = storedNote(input.note);
      const [wallet, pot] = await openAccounts(tx, [
        { kind: 'wallet', owner: walletOwner(input.person.id), currency: fund.currency },
        { kind: 'fund', owner: fundOwner(fund.id), currency: fund.currency },
      ]);
      if (!wallet || !pot) throw new Error('fund accounts were not opened');
      const r = await ledger.apply(tx, {
        legs: [
          {
            op: 'transfer',
            ref: input.key,
            debit: wallet.id,
            credit: pot.id,
            amount: input.amount.minor,
            kind: 'fund.add',
            meta: { fund: fund.id.toString(), ...(note ? { note } : {}) },
          },
        ],
      });
      if (!r.ok) return rejected(fundErrorOf(r.error));
      await join(tx, fund.id, input.person.id, 'contributor');
      const beneficiary = await beneficiaryNameOf(tx, fund);
      if (beneficiary !== null && fund.lockedUntil !== null) {
        await notifyPerson(tx, {
          key: `notify:fund.add:${input.key}:thanks`,
          personId: input.person.id,
          template: FUND_TEMPLATES['fund.thanks'],
          params: {
            fund: fund.name,
            amount: formatAmount(input.amount),
            beneficiary,
            unlocksAt: fund.lockedUntil.toISOString(),
          },
        });
      }
      return { type: 'added', fund, amount: input.amount, balance: await balanceOf(tx, fund), note };
    },

    async members(tx, input) {
      const fund = await find(tx, input.chat, input.name);
      if (!fund) return rejected('UnknownFund');
      const change = input.change;
      if (change) {
        if (input.person.id !== fund.createdBy) return rejected('NotFundCreator');
        if (change.op === 'add' && !(await join(tx, fund.id, change.member.id, 'added')))
          return rejected('AlreadyMember');
        if (change.op === 'remove') {
          // Someone paying a share of a recurring transfer from this fund stays until it is stopped: a run takes
          // every accepted share, and they agreed to theirs as a member.
          const sharing = await tx.query(
            `SELECT s.id FROM schedules s JOIN schedule_shares sh ON sh.schedule_id = s.id
              WHERE s.fund_id = $1 AND sh.person_id = $2 AND s.state IN ('awaiting', 'active')
              ORDER BY s.id LIMIT 1`,
            [fund.id, change.member.id],
          );
          const shared = sharing.rows[0];
          if (shared) return { type: 'rejected', error: 'SharesRecurring', scheduleId: big(shared.id) };
          // The creator stays: a fund always has someone who may manage it.
          const r = await tx.query(
            `UPDATE fund_members SET removed_at = now()
              WHERE fund_id = $1 AND person_id = $2 AND removed_at IS NULL AND role <> 'creator'`,
            [fund.id, change.member.id],
          );
          if (r.rowCount === 0) return rejected('NotAMember');
        }
      }
      return {
        type: 'members',
        fund,
        members: await membersOf(tx, fund.id),
        changed: change ? (change.op === 'add' ? 'added' : 'removed') : null,
        name: change ? change.member.displayName : null,
      };
    },

    async spend(tx, input) {
      const fund = await find(tx, input.chat, input.name);
      if (!fund) return rejected('UnknownFund');
      if (fund.state !== 'open') return rejected('FundClosed');
      // A pot's money goes only to its beneficiary, at its date (the maturity job): never by a spend.
      if (fund.lockedUntil !== null)
        return (await lockedNow(tx, fund))
          ? locked(fund.lockedUntil)
          : { type: 'rejected', error: 'Unlocked', until: fund.lockedUntil };
      if (input.amount.currency !== fund.currency) return rejected('CurrencyMismatch');
      if (!(await isMember(tx, fund.id, input.requester.id))) return rejected('NotAMember');
      if ((await balanceOf(tx, fund)).minor < input.amount.minor) return rejected('InsufficientFunds');
      const action = await createGroupAction(tx, {
        kind: FUND_SPEND_VOTE,
        payload: { fund: fund.id.toString() },
        platform: fund.platform,
        chatId: fund.chatId,
        createdBy: input.requester.id,
        ttlMs: config.voteTtlMs,
        ref: `fund.spend:${input.key}`,
        mode: 'vote',
        options: 2,
      });
      const reason = storedNote(input.reason);
      const r = await tx.query(
        `INSERT INTO fund_spends (key, fund_id, requester, payee, amount, reason, action_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
         RETURNING id`,
        [input.key, fund.id, input.requester.id, input.payee.id, input.amount.minor, reason, action.id],
      );
      const spendId = big(r.rows[0]?.id);
      await schedule(tx, {
        key: closeKey(spendId, 'deadline'),
        kind: 'fund.vote.close',
        dueAt: action.expiresAt,
        payload: { spendId: spendId.toString() },
      });
      const members = await membersOf(tx, fund.id);
      const c = count(ballots(members, { counts: [0, 0], pressers: [] }, input.requester.id), {
        quorumPct: fund.quorumPct,
      });
      const card = await showCard(tx, spendId);
      return {
        type: 'vote',
        fund,
        spendId,
        actionId: action.id,
        amount: input.amount,
        payeeName: input.payee.displayName,
        reason,
        members: c.members,
        needed: c.needed,
        closesAt: action.expiresAt,
        card: { ref: cardRef(spendId), ...card },
      };
    },

    decideSpend: (exec, spendId, options = {}) =>
      inTx(exec, async (tx): Promise<SpendDecision> => {
        const settled = await settleVote(tx, 'fund_spends', spendId, options.check === true);
        if (settled.type === 'noop') return settled;
        const { request: spend, fundId, requester, decision } = settled;

        // Shared, like an add: a close refunding this fund waits for this payment (or this for the close).
        const fundRow = await tx.query(`SELECT ${FUND_COLUMNS} FROM funds WHERE id = $1 FOR SHARE`, [fundId]);
        const fund = toFund(fundRow.rows[0] ?? {});
        const amount = { minor: big(spend.amount), currency: fund.currency };
        const payee = await people.get(tx, big(spend.payee));
        const payeeName = payee?.displayName ?? '—';
        const reason = textOrNull(spend.reason);
        const tell = async (outcome: 'passed' | 'vote' | 'funds') => {
          const key = `notify:fund.spend:${spendId}:decided`;
          const params = { amount: formatAmount(amount), fund: fund.name, payee: payeeName };
          if (outcome === 'passed')
            await notifyPerson(tx, { key, personId: requester, template: FUND_TEMPLATES['fund.spend_passed'], params });
          else
            await notifyPerson(tx, {
              key,
              personId: requester,
              template: FUND_TEMPLATES['fund.spend_failed'],
              params: { ...params, reason: outcome },
            });
        };
        const fail = async (why: 'vote' | 'funds'): Promise<SpendDecision> => {
          await tx.query(
            `UPDATE fund_spends SET state = 'failed', failure = $2, decided_at = now() WHERE id = $1 AND state = 'open'`,
            [spendId, why],
          );
          await tell(why);
          await showCard(tx, spendId);
          log.info({ spendId: spendId.toString(), why }, 'fund spend failed');
          return { type: 'failed', spendId, reason: why };
        };
        if (decision === 'failed') return fail('vote');

        const [pot, wallet] = await openAccounts(tx, [
          { kind: 'fund', owner: fundOwner(fund.id), currency: fund.currency },
          { kind: 'wallet', owner: walletOwner(big(spend.payee)), currency: fund.currency },
        ]);
        if (!pot || !wallet) throw new Error('fund accounts were not opened');
        const paid = await ledger.apply(tx, {
          legs: [
            {
              op: 'transfer',
              ref: `fund.spend:${spendId}`,
              debit: pot.id,
              credit: wallet.id,
              amount: amount.minor,
              kind: 'fund.spend',
              meta: { fund: fund.id.toString(), ...(reason ? { note: reason } : {}) },
            },
          ],
        });
        if (!paid.ok) {
          if (paid.error !== 'InsufficientFunds') throw new Error(`fund spend ${spendId} refused: ${paid.error}`);
          return fail('funds');
        }
        const transfer = paid.transfers[0];
        if (!transfer) throw new Error('ledger returned no transfer');
        await tx.query(
          `UPDATE fund_spends SET state = 'passed', transfer_id = $2, decided_at = now() WHERE id = $1 AND state = 'open'`,
          [spendId, transfer.id],
        );
        await notifyPerson(tx, {
          key: `notify:fund.spend:${spendId}:received`,
          personId: big(spend.payee),
          template: FUND_TEMPLATES['fund.received'],
          params: { amount: formatAmount(amount), fund: fund.name, ...(reason ? { note: reason } : {}) },
        });
        await tell('passed');
        await showCard(tx, spendId);
        log.info({ spendId: spendId.toString(), transferId: transfer.id.toString() }, 'fund spend paid');
        return { type: 'paid', spendId, transferId: transfer.id };
      }),

    async close(tx, input) {
      const fund = await find(tx, input.chat, input.name);
      if (!fund) return rejected('UnknownFund');
      if (fund.state !== 'open') return rejected('FundClosed');
      if (fund.lockedUntil !== null && (await lockedNow(tx, fund))) return locked(fund.lockedUntil);
      if (!(await isMember(tx, fund.id, input.requester.id))) return rejected('NotAMember');
      const action = await createGroupAction(tx, {
        kind: FUND_CLOSE_VOTE,
        payload: { fund: fund.id.toString() },
        platform: fund.platform,
        chatId: fund.chatId,
        createdBy: input.requester.id,
        ttlMs: config.voteTtlMs,
        ref: `fund.close:${input.key}`,
        mode: 'vote',
        options: 2,
      });
      const r = await tx.query(
        `INSERT INTO fund_closes (key, fund_id, requester, action_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
         RETURNING id`,
        [input.key, fund.id, input.requester.id, action.id],
      );
      const closeId = big(r.rows[0]?.id);
      await schedule(tx, {
        key: decideCloseKey(closeId, 'deadline'),
        kind: 'fund.close.decide',
        dueAt: action.expiresAt,
        payload: { closeId: closeId.toString() },
      });
      const members = await membersOf(tx, fund.id);
      const c = count(ballots(members, { counts: [0, 0], pressers: [] }, input.requester.id), {
        quorumPct: fund.quorumPct,
      });
      const card = await showCloseCard(tx, closeId);
      return {
        type: 'vote',
        fund,
        closeId,
        actionId: action.id,
        balance: await balanceOf(tx, fund),
        members: c.members,
        needed: c.needed,
        closesAt: action.expiresAt,
        card: { ref: closeCardRef(closeId), ...card },
      };
    },

    decideClose: (exec, closeId, options = {}) =>
      inTx(exec, async (tx): Promise<CloseDecision> => {
        const settled = await settleVote(tx, 'fund_closes', closeId, options.check === true);
        if (settled.type === 'noop') return settled;
        const { fundId, requester, decision } = settled;

        // The fund row is locked before its balance is read: a maturity run or another close waits, then sees
        // the fund no longer open.
        const fundRow = await tx.query(`SELECT ${FUND_COLUMNS} FROM funds WHERE id = $1 FOR UPDATE`, [fundId]);
        const fund = toFund(fundRow.rows[0] ?? {});
        const fail = async (why: 'vote' | 'gone'): Promise<CloseDecision> => {
          await tx.query(
            `UPDATE fund_closes SET state = 'failed', failure = $2, decided_at = now() WHERE id = $1 AND state = 'open'`,
            [closeId, why],
          );
          await showCloseCard(tx, closeId);
          await notifyPerson(tx, {
            key: `notify:fund.close:${closeId}:decided`,
            personId: requester,
            template: FUND_TEMPLATES['fund.close_failed'],
            params: { fund: fund.name, amount: formatAmount(await balanceOf(tx, fund)), reason: why },
          });
          log.info({ closeId: closeId.toString(), why }, 'fund close failed');
          return { type: 'failed', closeId, reason: why };
        };
        if (decision === 'failed') return fail('vote');
        if (fund.state !== 'open' || (await lockedNow(tx, fund))) return fail('gone');

        const pot = await account(tx, fund);
        const balance = await balanceOf(tx, fund);
        // What each wallet put in: the refund goes back to the account the money came from.
        const given = await tx.query(
          `SELECT t.debit_account, sum(t.amount) AS given, min(p.id) AS person_id
             FROM transfers t JOIN accounts w ON w.id = t.debit_account
             LEFT JOIN people p ON w.owner = 'person:' || p.id
            WHERE t.credit_account = $1 AND t.kind = 'fund.add' AND t.state = 'posted'
            GROUP BY t.debit_account ORDER BY t.debit_account`,
          [pot.id],
        );
        const givers = given.rows.map((g) => ({
          account: big(g.debit_account),
          given: big(g.given),
          personId: g.person_id === null || g.person_id === undefined ? null : big(g.person_id),
        }));
        const shares =
          balance.minor > 0n && givers.length > 0
            ? allocate(
                balance,
                givers.map((g) => g.given),
              )
            : [];
        const refunds = givers
          .map((g, i) => ({ ...g, amount: shares[i] ?? { minor: 0n, currency: fund.currency } }))
          .filter((g) => g.amount.minor > 0n);
        if (refunds.length > 0) {
          // One unit: every share or none; retry-safe: each leg's ref is unique per close and wallet.
          const paid = await ledger.apply(tx, {
            legs: refunds.map((g) => ({
              op: 'transfer' as const,
              ref: `fund.close:${closeId}:${g.account}`,
              debit: pot.id,
              credit: g.account,
              amount: g.amount.minor,
              kind: 'fund.refund',
              meta: { fund: fund.id.toString() },
            })),
          });
          if (!paid.ok) throw new Error(`fund close ${closeId} refused: ${paid.error}`);
        }
        await tx.query(`UPDATE funds SET state = 'closed' WHERE id = $1`, [fund.id]);
        await tx.query(`UPDATE fund_closes SET state = 'passed', decided_at = now() WHERE id = $1 AND state = 'open'`, [
          closeId,
        ]);
        for (const g of refunds)
          if (g.personId !== null)
            await notifyPerson(tx, {
              key: `notify:fund.close:${closeId}:${g.personId}`,
              personId: g.personId,
              template: FUND_TEMPLATES['fund.refunded'],
              params: { fund: fund.name, amount: formatAmount(g.amount) },
            });
        await showCloseCard(tx, closeId);
        log.info({ closeId: closeId.toString(), refunds: refunds.length }, 'fund closed by vote');
        return {
          type: 'closed',
          closeId,
          refunds: refunds.map((g) => ({ personId: g.personId, amount: g.amount })),
        };
      }),

    mature,

    async matchPots(tx, claimant, identity) {
      await matchPots(tx, claimant, identity);
    },
  };
}
