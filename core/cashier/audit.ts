/**
 * The cashier's part of `chipin check`: what people owe (the receivable accounts — reported, not a violation by
 * itself: it is the designed place for money already spent and then taken back) and the latest reconciliation's
 * findings (violations `RECON`: Stripe and the ledger disagree).
 */
import type { Executor } from '../db/executor.js';
import { big } from '../db/rows.js';
import type { AuditExtension, Violation } from '../ledger/audit.js';
import { formatAmount } from '../money/format.js';
import { latestFindings } from './reconcile.js';

export interface Receivables {
  /** Per currency, what everyone owes in all (minor units as decimal strings, and formatted). */
  totals: Array<{ currency: string; owed: string; formatted: string; people: number }>;
  /** Each person who owes, by currency. */
  people: Array<{ person: string; currency: string; owed: string; formatted: string }>;
}

const RECEIVABLE = /^receivable:([0-9]{1,19})$/;

/** Everyone who owes chipin (a receivable account with debits above credits), and the totals per currency. */
export async function receivables(exec: Executor): Promise<Receivables> {
  const r = await exec.query(
    `SELECT owner, currency, debits_posted - credits_posted AS owed FROM accounts
      WHERE owner LIKE 'receivable:%' AND debits_posted > credits_posted ORDER BY currency, owner`,
  );
  const people: Receivables['people'] = [];
  const totals = new Map<string, { owed: bigint; people: number }>();
  for (const row of r.rows) {
    const person = RECEIVABLE.exec(String(row.owner))?.[1];
    if (person === undefined) continue;
    const currency = String(row.currency);
    const owed = big(row.owed);
    people.push({ person, currency, owed: owed.toString(), formatted: formatAmount({ minor: owed, currency }) });
    const total = totals.get(currency) ?? { owed: 0n, people: 0 };
    totals.set(currency, { owed: total.owed + owed, people: total.people + 1 });
  }
  return {
    totals: [...totals].map(([currency, t]) => ({
      currency,
      owed: t.owed.toString(),
      formatted: formatAmount({ minor: t.owed, currency }),
      people: t.people,
    })),
    people,
  };
}

export const cashierAudit: AuditExtension = async (tx) => {
  const owed = await receivables(tx);
  const latest = await latestFindings(tx);
  const violations: Violation[] = latest.findings.map((f) => ({
    invariant: 'RECON',
    message: f.message,
    kind: f.kind,
    stripeId: f.stripeId,
    run: latest.runId === null ? null : latest.runId.toString(),
  }));
  return { violations, sections: { receivables: { totals: owed.totals, people: owed.people } } };
};
