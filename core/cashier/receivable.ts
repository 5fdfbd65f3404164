/**
 * What a person owes chipin after card money was taken back (a refund or a dispute of a deposit they already
 * spent). The debit that could not come out of their wallet goes to their receivable account instead: one per
 * person and currency, owner `receivable:<person id>`, unguarded (kind `system`: it may run negative — that
 * is its purpose), so the wallet itself never goes below zero. Its balance (debits − credits) is what they owe;
 * money that later reaches them covers it first, and while anything is owed their withdrawals are refused.
 */
import type { Executor } from '../db/executor.js';
import { big } from '../db/rows.js';
import { openAccount } from '../ledger/queries.js';
import type { Account } from '../ledger/model.js';
import type { Amount } from '../money/amount.js';

export const receivableOwner = (personId: bigint): string => `receivable:${personId}`;

export const openReceivable = (exec: Executor, personId: bigint, currency: string): Promise<Account> =>
  openAccount(exec, { kind: 'system', owner: receivableOwner(personId), currency });

/** What `personId` owes, per currency (only currencies with something owed). */
export async function owedBy(exec: Executor, personId: bigint): Promise<Amount[]> {
  const r = await exec.query(
    `SELECT currency, debits_posted - credits_posted AS owed FROM accounts
      WHERE owner = $1 AND debits_posted > credits_posted ORDER BY currency`,
    [receivableOwner(personId)],
  );
  return r.rows.map((row) => ({ minor: big(row.owed), currency: String(row.currency) }));
}
