import type { LedgerError } from './errors.js';
import type { Account, Leg, Meta, Totals, Transfer, TransferState, Unit } from './model.js';

/** What the database said, read under the account locks of the transaction that will write. */
export interface LedgerState {
  now: Date;
  accounts: ReadonlyMap<bigint, Account>;
  /** Transfers referenced by post, void and reverse legs. */
  referenced: ReadonlyMap<bigint, Transfer>;
  existingByRef: ReadonlyMap<string, Transfer>;
  /** Pending ids that already have a post or void. */
  resolved: ReadonlySet<bigint>;
  /** Transfer id → amount already reversed. */
  reversed: ReadonlyMap<bigint, bigint>;
}

export interface PlannedRow {
  ref: string;
  debitAccount: bigint;
  creditAccount: bigint;
  amount: bigint;
  currency: string;
  state: TransferState;
  pendingId: bigint | null;
  reversesId: bigint | null;
  batchRef: string | null;
  kind: string;
  meta: Meta;
  expiresAt: Date | null;
  /** A reversal without an amount reverses whatever is left: resolved against the batch's state. */
  reverseRest?: true;
}

export type UnitPlan =
  | { type: 'apply'; rows: PlannedRow[] }
  | { type: 'replay'; transfers: Transfer[] }
  | { type: 'same-as'; unit: number }
  | { type: 'reject'; error: LedgerError; leg: number };

export interface Plan {
  units: UnitPlan[];
  /** Rows to insert, in unit order. */
  rows: PlannedRow[];
  /** New totals of every account that changed. */
  totals: Map<bigint, Totals>;
}

type Delta = { account: bigint; field: keyof Totals; by: bigint };

/**
 * Plans a batch of independent units against one consistent state. Pure: no I/O. A unit applies all
 * of its legs or none; a rejected unit leaves the state untouched, so it never fails its neighbours.
 */
export function planUnits(state: LedgerState, units: readonly Unit[]): Plan {
  const totals = new Map<bigint, Totals>();
  const resolved = new Set(state.resolved);
  const reversed = new Map(state.reversed);
  const batchRefs = new Map<string, { unit: number; row: PlannedRow }>();
  const plans: UnitPlan[] = [];
  const rows: PlannedRow[] = [];

  const current = (id: bigint): Totals => {
    const t = totals.get(id);
    if (t) return t;
    const a = state.accounts.get(id);
    if (!a) throw new Error(`account ${id} was not loaded`);
    return a;
  };

  units.forEach((unit, index) => {
    const plan = planUnit(state, unit, { current, resolved, reversed, batchRefs });
    plans.push(plan.result);
    if (plan.result.type !== 'apply') return;
    for (const [id, t] of plan.next) totals.set(id, t);
    for (const p of plan.resolvedNow) resolved.add(p);
    for (const [id, sum] of plan.reversedNow) reversed.set(id, sum);
    for (const row of plan.result.rows) {
      batchRefs.set(row.ref, { unit: index, row });
      rows.push(row);
    }
  });
  return { units: plans, rows, totals };
}

interface Scratch {
  current: (id: bigint) => Totals;
  resolved: ReadonlySet<bigint>;
  reversed: ReadonlyMap<bigint, bigint>;
  batchRefs: ReadonlyMap<string, { unit: number; row: PlannedRow }>;
}

interface UnitOutcome {
  result: UnitPlan;
  next: Map<bigint, Totals>;
  resolvedNow: bigint[];
  reversedNow: Map<bigint, bigint>;
}

function planUnit(state: LedgerState, unit: Unit, scratch: Scratch): UnitOutcome {
  const none = { next: new Map<bigint, Totals>(), resolvedNow: [], reversedNow: new Map<bigint, bigint>() };
  const reject = (error: LedgerError, leg: number): UnitOutcome => ({
    result: { type: 'reject', error, leg },
    ...none,
  });
  if (unit.legs.length === 0) return reject('EmptyUnit', 0);

  const shaped: PlannedRow[] = [];
  for (const [i, leg] of unit.legs.entries()) {
    const row = shape(state, leg, unit.batchRef ?? null);
    if (typeof row === 'string') return reject(row, i);
    shaped.push(row);
  }

  const replay = matchExisting(state, shaped, scratch);
  if (replay) return { result: replay, ...none };

  const next = new Map<bigint, Totals>();
  const resolvedNow: bigint[] = [];
  const reversedNow = new Map<bigint, bigint>();
  const totalsOf = (id: bigint): Totals => next.get(id) ?? { ...scratch.current(id) };
  const apply = (d: Delta): void => {
    const t = totalsOf(d.account);
    next.set(d.account, { ...t, [d.field]: t[d.field] + d.by });
  };

  for (let i = 0; i < shaped.length; i++) {
    let row = shaped[i] as PlannedRow;
    if (row.pendingId !== null) {
      if (scratch.resolved.has(row.pendingId) || resolvedNow.includes(row.pendingId)) {
        return reject('PendingAlreadyResolved', i);
      }
      const held = state.referenced.get(row.pendingId);
      if (row.state === 'posted' && held?.expiresAt && held.expiresAt <= state.now) return reject('PendingExpired', i);
      resolvedNow.push(row.pendingId);
    }
    const target = row.reversesId;
    if (target !== null) {
      const original = state.referenced.get(target);
      const sofar = reversedNow.get(target) ?? scratch.reversed.get(target) ?? 0n;
      if (!original) return reject('TransferNotFound', i);
      if (row.reverseRest) shaped[i] = row = { ...row, amount: original.amount - sofar };
      if (row.amount <= 0n || sofar + row.amount > original.amount) return reject('ReversalExceedsTransfer', i);
      reversedNow.set(target, sofar + row.amount);
    }
    for (const d of deltas(state, row)) apply(d);
    const debit = state.accounts.get(row.debitAccount);
    const t = totalsOf(row.debitAccount);
    if (debit?.guarded && t.debitsPending + t.debitsPosted > t.creditsPosted) return reject('InsufficientFunds', i);
  }
  return { result: { type: 'apply', rows: shaped }, next, resolvedNow, reversedNow };
}

/** The row a leg would insert, with every check that does not depend on balances or prior resolutions. */
function shape(state: LedgerState, leg: Leg, batchRef: string | null): PlannedRow | LedgerError {
  const base = { ref: leg.ref, batchRef, meta: leg.meta ?? {}, expiresAt: null, pendingId: null, reversesId: null };
  switch (leg.op) {
    case 'transfer': {
      if (leg.amount <= 0n) return 'InvalidAmount';
      if (leg.debit === leg.credit) return 'SameAccount';
      const debit = state.accounts.get(leg.debit);
      const credit = state.accounts.get(leg.credit);
      if (!debit || !credit) return 'AccountNotFound';
      if (debit.currency !== credit.currency) return 'CurrencyMismatch';
      return {
        ...base,
        debitAccount: leg.debit,
        creditAccount: leg.credit,
        amount: leg.amount,
        currency: debit.currency,
        state: leg.pending ? 'pending' : 'posted',
        kind: leg.kind,
        expiresAt: leg.pending?.expiresAt ?? null,
      };
    }
    case 'post':
    case 'void': {
      const held = state.referenced.get(leg.pendingId);
      if (!held || held.state !== 'pending') return 'PendingNotFound';
      const amount = leg.op === 'post' ? (leg.amount ?? held.amount) : held.amount;
      if (amount <= 0n) return 'InvalidAmount';
      if (amount > held.amount) return 'AmountExceedsPending';
      return {
        ...base,
        debitAccount: held.debitAccount,
        creditAccount: held.creditAccount,
        amount,
        currency: held.currency,
        state: leg.op === 'post' ? 'posted' : 'voided',
        pendingId: held.id,
        kind: leg.kind ?? held.kind,
      };
    }
    case 'reverse': {
      const original = state.referenced.get(leg.transferId);
      if (!original) return 'TransferNotFound';
      if (original.state !== 'posted' || original.reversesId !== null) return 'NotReversible';
      if (leg.amount !== undefined && leg.amount <= 0n) return 'InvalidAmount';
      return {
        ...base,
        debitAccount: original.creditAccount,
        creditAccount: original.debitAccount,
        amount: leg.amount ?? original.amount,
        currency: original.currency,
        state: 'posted',
        reversesId: original.id,
        kind: leg.kind ?? 'reversal',
        ...(leg.amount === undefined ? { reverseRest: true as const } : {}),
      };
    }
  }
}

/** How a row moves the cached totals. A post or void releases the whole hold, then posts its amount. */
function deltas(state: LedgerState, row: PlannedRow): Delta[] {
  const d = row.debitAccount;
  const c = row.creditAccount;
  const out: Delta[] = [];
  if (row.pendingId !== null) {
    const held = state.referenced.get(row.pendingId);
    if (!held) throw new Error(`pending ${row.pendingId} was not loaded`);
    out.push(
      { account: d, field: 'debitsPending', by: -held.amount },
      { account: c, field: 'creditsPending', by: -held.amount },
    );
  }
  if (row.state === 'pending') {
    out.push(
      { account: d, field: 'debitsPending', by: row.amount },
      { account: c, field: 'creditsPending', by: row.amount },
    );
  } else if (row.state === 'posted') {
    out.push(
      { account: d, field: 'debitsPosted', by: row.amount },
      { account: c, field: 'creditsPosted', by: row.amount },
    );
  }
  return out;
}

/**
 * Idempotency: a unit whose references all exist (in the database or earlier in this batch) with the
 * same fields is a replay; any partial or differing match is a conflict. Meta is not compared.
 */
function matchExisting(state: LedgerState, rows: readonly PlannedRow[], scratch: Scratch): UnitPlan | null {
  const stored = rows.map((r) => state.existingByRef.get(r.ref));
  const inBatch = rows.map((r) => scratch.batchRefs.get(r.ref));
  if (stored.every((s) => s === undefined) && inBatch.every((b) => b === undefined)) return null;
  const conflict = (leg: number): UnitPlan => ({ type: 'reject', error: 'IdempotencyConflict', leg });

  if (stored.every((s): s is Transfer => s !== undefined)) {
    const bad = rows.findIndex((r, i) => !sameEffect(r, stored[i] as Transfer));
    return bad === -1 ? { type: 'replay', transfers: stored } : conflict(bad);
  }
  const first = inBatch[0];
  if (first && inBatch.every((b) => b?.unit === first.unit)) {
    const bad = rows.findIndex((r, i) => !sameEffect(r, (inBatch[i] as { row: PlannedRow }).row));
    return bad === -1 ? { type: 'same-as', unit: first.unit } : conflict(bad);
  }
  return conflict(
    Math.max(
      0,
      stored.findIndex((s) => s !== undefined),
    ),
  );
}

function sameEffect(a: PlannedRow, b: PlannedRow | Transfer): boolean {
  return (
    a.debitAccount === b.debitAccount &&
    a.creditAccount === b.creditAccount &&
    (a.amount === b.amount || a.reverseRest === true) &&
    a.currency === b.currency &&
    a.state === b.state &&
    a.pendingId === b.pendingId &&
    a.reversesId === b.reversesId &&
    a.kind === b.kind
  );
}
