import type { Db, Tx } from '../db/executor.js';
import type { JsonValue } from '../db/wire.js';

export type Invariant =
  | 'INV-1'
  | 'INV-2'
  | 'INV-3'
  | 'INV-4'
  | 'INV-5'
  /** Stripe and the ledger disagree (the latest reconciliation's findings, RELIABILITY INV-5). */
  | 'RECON'
  /** `check --deep`, RELIABILITY §2's system invariants (core/audit/system.ts). */
  | 'IMMUTABLE'
  | 'INBOX'
  | 'COMMAND'
  | 'OUTCOME'
  | 'OUTBOX'
  | 'SENT';

export interface Violation {
  invariant: Invariant;
  message: string;
  [detail: string]: string | number | null;
}

export interface AuditReport {
  ok: boolean;
  accounts: number;
  transfers: number;
  violations: Violation[];
  /** What the extensions report besides violations (`receivables`…), by name. */
  sections: Record<string, JsonValue>;
}

/**
 * A domain's own checks, run in the audit's snapshot (the cashier: receivables, reconciliation findings): its
 * violations join the ledger's, its sections are reported beside them.
 */
export type AuditExtension = (tx: Tx) => Promise<{ violations: Violation[]; sections?: Record<string, JsonValue> }>;

const big = (v: unknown): bigint => BigInt((v ?? 0) as string | number | bigint);

/** Audits INV-1..INV-5 of SPEC §5 (and the extensions' checks) in one REPEATABLE READ READ ONLY snapshot. */
export function audit(db: Db, extensions: readonly AuditExtension[] = []): Promise<AuditReport> {
  return db.transaction(
    async (tx) => {
      const report = await auditIn(tx);
      for (const extension of extensions) {
        const extra = await extension(tx);
        report.violations.push(...extra.violations);
        Object.assign(report.sections, extra.sections ?? {});
      }
      return { ...report, ok: report.violations.length === 0 };
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}

async function auditIn(tx: Tx): Promise<AuditReport> {
  const violations: Violation[] = [];
  const counts = await tx.query<{ accounts: unknown; transfers: unknown }>(
    'SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM transfers) AS transfers',
  );

  // INV-1: per currency, total debits equal total credits, posted and pending.
  const sums = await tx.query(
    `SELECT currency, sum(debits_posted) AS dpo, sum(credits_posted) AS cpo,
            sum(debits_pending) AS dp, sum(credits_pending) AS cp
       FROM accounts GROUP BY currency ORDER BY currency`,
  );
  for (const r of sums.rows) {
    if (big(r.dpo) !== big(r.cpo) || big(r.dp) !== big(r.cp)) {
      violations.push({
        invariant: 'INV-1',
        message: `${String(r.currency)}: debits and credits differ`,
        currency: String(r.currency),
        debitsPosted: String(r.dpo),
        creditsPosted: String(r.cpo),
        debitsPending: String(r.dp),
        creditsPending: String(r.cp),
      });
    }
  }

  // INV-2 and INV-3: cached totals against the sums of each account's transfers, and the balance rule.
  const accounts = await tx.query(
    `WITH effects (account, dp, dpo, cp, cpo) AS (
       SELECT debit_account, CASE state WHEN 'pending' THEN amount ELSE 0 END,
              CASE state WHEN 'posted' THEN amount ELSE 0 END, 0, 0 FROM transfers
       UNION ALL
       SELECT credit_account, 0, 0, CASE state WHEN 'pending' THEN amount ELSE 0 END,
              CASE state WHEN 'posted' THEN amount ELSE 0 END FROM transfers
       UNION ALL -- a post or void releases the whole hold
       SELECT p.debit_account, -p.amount, 0, 0, 0 FROM transfers r JOIN transfers p ON p.id = r.pending_id
       UNION ALL
       SELECT p.credit_account, 0, 0, -p.amount, 0 FROM transfers r JOIN transfers p ON p.id = r.pending_id
     ), computed AS (
       SELECT account, sum(dp) AS dp, sum(dpo) AS dpo, sum(cp) AS cp, sum(cpo) AS cpo FROM effects GROUP BY account
     )
     SELECT a.id, a.owner, a.currency, a.guarded, a.debits_pending, a.debits_posted, a.credits_pending,
            a.credits_posted, coalesce(c.dp, 0) AS c_dp, coalesce(c.dpo, 0) AS c_dpo, coalesce(c.cp, 0) AS c_cp,
            coalesce(c.cpo, 0) AS c_cpo
       FROM accounts a LEFT JOIN computed c ON c.account = a.id ORDER BY a.id`,
  );
  for (const r of accounts.rows) {
    const id = String(r.id);
    const pairs = [
      ['debits_pending', r.debits_pending, r.c_dp],
      ['debits_posted', r.debits_posted, r.c_dpo],
      ['credits_pending', r.credits_pending, r.c_cp],
      ['credits_posted', r.credits_posted, r.c_cpo],
    ] as const;
    for (const [field, cached, computed] of pairs) {
      if (big(cached) !== big(computed)) {
        violations.push({
          invariant: 'INV-2',
          message: `account ${id}: cached ${field} differs from its transfers`,
          account: id,
          field,
          cached: String(cached),
          computed: String(computed),
        });
      }
    }
    const debits = big(r.c_dp) + big(r.c_dpo);
    if (r.guarded && debits > big(r.c_cpo)) {
      violations.push({
        invariant: 'INV-3',
        message: `account ${id}: debits (posted + pending) exceed posted credits`,
        account: id,
        owner: String(r.owner),
        debits: debits.toString(),
        credits: String(r.c_cpo),
      });
    }
  }

  // INV-4: each hold resolved at most once, never beyond its amount; reversals never beyond the original.
  const holds = await tx.query(
    `SELECT p.id, p.state AS held_state, p.amount, count(r.id) AS resolutions,
            max(r.amount) AS max_amount, bool_or(r.state = 'voided' AND r.amount <> p.amount) AS bad_void
       FROM transfers r JOIN transfers p ON p.id = r.pending_id
      GROUP BY p.id, p.state, p.amount
     HAVING count(r.id) > 1 OR p.state <> 'pending' OR max(r.amount) > p.amount
            OR bool_or(r.state = 'voided' AND r.amount <> p.amount)`,
  );
  for (const r of holds.rows) {
    violations.push({
      invariant: 'INV-4',
      message: `pending transfer ${String(r.id)}: resolved ${String(r.resolutions)} times or beyond its amount`,
      transfer: String(r.id),
      heldState: String(r.held_state),
      amount: String(r.amount),
      resolutions: Number(r.resolutions),
      largestResolution: String(r.max_amount),
    });
  }
  const reversals = await tx.query(
    `SELECT o.id, o.amount, sum(r.amount) AS reversed FROM transfers r JOIN transfers o ON o.id = r.reverses_id
      GROUP BY o.id, o.amount HAVING sum(r.amount) > o.amount`,
  );
  for (const r of reversals.rows) {
    violations.push({
      invariant: 'INV-4',
      message: `transfer ${String(r.id)}: reversed beyond its amount`,
      transfer: String(r.id),
      amount: String(r.amount),
      reversed: String(r.reversed),
    });
  }

  // INV-5: a transfer's currency equals both its accounts' currencies.
  const currencies = await tx.query(
    `SELECT t.id, t.currency, d.currency AS debit_currency, c.currency AS credit_currency
       FROM transfers t JOIN accounts d ON d.id = t.debit_account JOIN accounts c ON c.id = t.credit_account
      WHERE t.currency <> d.currency OR t.currency <> c.currency ORDER BY t.id`,
  );
  for (const r of currencies.rows) {
    violations.push({
      invariant: 'INV-5',
      message: `transfer ${String(r.id)}: currency ${String(r.currency)} differs from its accounts'`,
      transfer: String(r.id),
      currency: String(r.currency),
      debitCurrency: String(r.debit_currency),
      creditCurrency: String(r.credit_currency),
    });
  }

  const head = counts.rows[0];
  return {
    ok: violations.length === 0,
    accounts: Number(head?.accounts ?? 0),
    transfers: Number(head?.transfers ?? 0),
    violations,
    sections: {},
  };
}
