import { sqlState, type Tx } from '../db/executor.js';
import type { LedgerError } from './errors.js';
import type { Account, Totals, Transfer, Unit } from './model.js';
import { planUnits, type LedgerState, type PlannedRow } from './plan.js';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toTransfer } from './rows.js';

export type UnitResult =
  { ok: true; transfers: Transfer[]; replayed: boolean } | { ok: false; error: LedgerError; leg: number };

/**
 * Applies independent units in the caller's transaction: lock every account involved in ascending id
 * order, read references and prior resolutions under those locks, plan purely, then write all rows and all
 * totals in one statement. Balance checks therefore run in the same transaction as the
 * write, on locked rows (never a read followed by an unlocked write).
 */
export async function applyUnits(tx: Tx, units: readonly Unit[], hints: ApplyHints = {}): Promise<UnitResult[]> {
  const state = await loadState(tx, units, hints);
  const plan = planUnits(state, units);
  const inserted = await write(tx, plan.rows, plan.totals);

  const results: UnitResult[] = [];
  for (const p of plan.units) {
    switch (p.type) {
      case 'apply':
        results.push({ ok: true, transfers: p.rows.map((r) => required(inserted.get(r.ref))), replayed: false });
        break;
      case 'replay':
        results.push({ ok: true, transfers: p.transfers, replayed: true });
        break;
      case 'same-as': {
        const first = results[p.unit];
        results.push(first?.ok ? { ...first, replayed: true } : required(first));
        break;
      }
      case 'reject':
        results.push({ ok: false, error: p.error, leg: p.leg });
        break;
    }
  }
  return results;
}

/** What the caller already knows of a unit it applies in its own transaction: each saves the engine a statement. */
export interface ApplyHints {
  /**
   * The accounts the unit moves money between, already read FOR UPDATE in this transaction (`openAccounts` with
   * `lock`): they are not locked and read again. Ignored unless they are all of the unit's accounts.
   */
  locked?: readonly Account[];
  /**
   * The unit's refs are the key of a delivery's first run: no transfer can carry them yet, so they are not looked up.
   * A wrong hint cannot double anything: the insert then fails on the unique ref, and the caller's retry reads them.
   */
  newRefs?: boolean;
  /** Transfers the unit refers to (posts, voids, reversals), already read by the caller: transfers never change. */
  referenced?: readonly Transfer[];
}

const required = <T>(v: T | undefined): T => {
  if (v === undefined) throw new Error('ledger: planned row missing after insert');
  return v;
};

async function loadState(tx: Tx, units: readonly Unit[], hints: ApplyHints): Promise<LedgerState> {
  const legs = units.flatMap((u) => u.legs);
  const refIds = new Set<bigint>();
  for (const leg of legs) {
    if (leg.op === 'post' || leg.op === 'void') refIds.add(leg.pendingId);
    if (leg.op === 'reverse') refIds.add(leg.transferId);
  }
  // Referenced transfers are immutable: reading them before the locks (or taking the caller's) is safe.
  const referenced = new Map<bigint, Transfer>((hints.referenced ?? []).map((t) => [t.id, t]));
  if ([...refIds].some((id) => !referenced.has(id))) {
    const r = await tx.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ANY($1::bigint[])`, [[...refIds]]);
    for (const row of r.rows.map(toTransfer)) referenced.set(row.id, row);
  }

  const accountIds = new Set<bigint>();
  for (const leg of legs) {
    if (leg.op === 'transfer') {
      accountIds.add(leg.debit);
      accountIds.add(leg.credit);
    } else {
      const t = referenced.get(leg.op === 'reverse' ? leg.transferId : leg.pendingId);
      if (t) {
        accountIds.add(t.debitAccount);
        accountIds.add(t.creditAccount);
      }
    }
  }
  const prelocked = new Map((hints.locked ?? []).map((a) => [a.id, a]));
  let accounts: Map<bigint, Account>;
  if ([...accountIds].every((id) => prelocked.has(id))) accounts = prelocked;
  else {
    // Lock order: ascending id, in one statement, so two writers never deadlock on accounts.
    const locked = await tx.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
      [[...accountIds]],
    );
    accounts = new Map<bigint, Account>(locked.rows.map(toAccount).map((a) => [a.id, a]));
  }

  const existingByRef = new Map<string, Transfer>();
  if (hints.newRefs !== true) {
    const refs = [...new Set(legs.map((l) => l.ref))];
    const existing = await tx.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE ref = ANY($1::text[])`, [refs]);
    for (const t of existing.rows.map(toTransfer)) existingByRef.set(t.ref, t);
  }

  const resolved = new Set<bigint>();
  const reversed = new Map<bigint, bigint>();
  let now = new Date();
  if (refIds.size > 0) {
    const r = await tx.query<{ pending_id: unknown; reverses_id: unknown; amount: unknown }>(
      `SELECT pending_id, reverses_id, amount FROM transfers
        WHERE pending_id = ANY($1::bigint[]) OR reverses_id = ANY($1::bigint[])`,
      [[...refIds]],
    );
    for (const row of r.rows) {
      if (row.pending_id !== null) resolved.add(BigInt(row.pending_id as string));
      if (row.reverses_id !== null) {
        const id = BigInt(row.reverses_id as string);
        reversed.set(id, (reversed.get(id) ?? 0n) + BigInt(row.amount as string));
      }
    }
    // Hold expiry (a post) is judged by the database clock, never the host's.
    if (legs.some((leg) => leg.op === 'post')) {
      const clock = await tx.query<{ now: Date }>('SELECT now() AS now');
      now = clock.rows[0]?.now ?? now;
    }
  }
  return { now, accounts, referenced, existingByRef, resolved, reversed };
}

/**
 * The planned rows inserted and the new totals written, in one statement (the totals are absolute values computed
 * on the rows locked since loadState). Nothing to write when every unit was refused or replayed.
 */
async function write(
  tx: Tx,
  rows: readonly PlannedRow[],
  totals: ReadonlyMap<bigint, Totals>,
): Promise<Map<string, Transfer>> {
  const out = new Map<string, Transfer>();
  if (rows.length === 0 && totals.size === 0) return out;
  const col = <K extends keyof PlannedRow>(k: K): PlannedRow[K][] => rows.map((r) => r[k]);
  const entries = [...totals.entries()];
  const result = await tx.query(
    `WITH totals AS (
       UPDATE accounts a SET debits_pending = v.dp, debits_posted = v.dpo, credits_pending = v.cp, credits_posted = v.cpo
         FROM unnest($13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[]) AS v(id, dp, dpo, cp, cpo)
        WHERE a.id = v.id
     )
     INSERT INTO transfers (ref, debit_account, credit_account, amount, currency, state, pending_id, reverses_id,
                            batch_ref, kind, meta, expires_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
                          $8::bigint[], $9::text[], $10::text[], $11::jsonb[], $12::timestamptz[])
     RETURNING ${TRANSFER_COLUMNS}`,
    [
      col('ref'),
      col('debitAccount'),
      col('creditAccount'),
      col('amount'),
      col('currency'),
      col('state'),
      col('pendingId'),
      col('reversesId'),
      col('batchRef'),
      col('kind'),
      rows.map((r) => JSON.stringify(r.meta)),
      rows.map((r) => r.expiresAt?.toISOString() ?? null),
      entries.map(([id]) => id),
      entries.map(([, t]) => t.debitsPending),
      entries.map(([, t]) => t.debitsPosted),
      entries.map(([, t]) => t.creditsPending),
      entries.map(([, t]) => t.creditsPosted),
    ],
  );
  for (const t of result.rows.map(toTransfer)) out.set(t.ref, t);
  return out;
}

/** Serialization failure, deadlock, or a unique reference another writer committed first. */
export const isRetryable = (err: unknown): boolean => ['40001', '40P01', '23505'].includes(sqlState(err) ?? '');
