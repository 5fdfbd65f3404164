import type { Db } from '../../core/db/executor.js';
import { openAccount, openSystemAccount, type Account, type Ledger } from '../../core/ledger/index.js';

let seq = 0;
/** A unique reference for this test process. */
export const ref = (label = 'test'): string =>
  `${label}:${process.pid}:${++seq}:${Math.random().toString(36).slice(2, 8)}`;

export const wallet = (db: Db, owner: string, currency = 'USD'): Promise<Account> =>
  openAccount(db, { kind: 'wallet', owner, currency });

/** A wallet holding `minor` from the demo faucet. */
export async function fundedWallet(
  db: Db,
  ledger: Ledger,
  owner: string,
  minor: bigint,
  currency = 'USD',
): Promise<Account> {
  const w = await wallet(db, owner, currency);
  const faucet = await openSystemAccount(db, 'faucet', currency);
  const r = await ledger.apply(db, {
    legs: [{ op: 'transfer', ref: ref('faucet'), debit: faucet.id, credit: w.id, amount: minor, kind: 'faucet' }],
  });
  if (!r.ok) throw new Error(`funding failed: ${r.error}`);
  return w;
}
