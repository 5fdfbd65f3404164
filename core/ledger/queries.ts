import type { Executor } from '../db/executor.js';
import {
  balanceOf,
  systemOwner,
  type Account,
  type AccountKind,
  type Balance,
  type SystemAccount,
  type Transfer,
} from './model.js';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toTransfer } from './rows.js';

/** Opens (or returns) the account of `owner` in `currency`. Guarded unless it is a system account. */
export async function openAccount(
  exec: Executor,
  spec: { kind: AccountKind; owner: string; currency: string },
): Promise<Account> {
  const [account] = await openAccounts(exec, [spec]);
  if (!account) throw new Error(`account ${spec.owner}/${spec.currency} was not opened`);
  return account;
}

/**
 * Opens (or returns) several accounts, in the order given: one statement when they all exist. Missing ones are
 * inserted in one statement ordered by owner, so two transactions opening the same pair never deadlock. `lock` (in a
 * transaction): the accounts are read FOR UPDATE, in ascending id order as the ledger locks them — hand them to
 * `ledger.apply` (`hints.locked`) and it need not lock them again.
 */
export async function openAccounts(
  exec: Executor,
  specs: ReadonlyArray<{ kind: AccountKind; owner: string; currency: string }>,
  options: { lock?: boolean } = {},
): Promise<Account[]> {
  const find = async () => {
    const r = await exec.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts
        WHERE (owner, currency) IN (SELECT * FROM unnest($1::text[], $2::char(3)[]))${
          options.lock === true ? ' ORDER BY id FOR UPDATE' : ''
        }`,
      [specs.map((s) => s.owner), specs.map((s) => s.currency)],
    );
    return new Map(r.rows.map((row) => toAccount(row)).map((a) => [`${a.owner}/${a.currency}`, a]));
  };
  let found = await find();
  const missing = specs
    .filter((s) => !found.has(`${s.owner}/${s.currency}`))
    .sort((a, b) => (a.owner + a.currency < b.owner + b.currency ? -1 : 1));
  if (missing.length > 0) {
    await exec.query(
      `INSERT INTO accounts (kind, owner, currency, guarded)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[])
       ON CONFLICT (owner, currency) DO NOTHING`,
      [
        missing.map((s) => s.kind),
        missing.map((s) => s.owner),
        missing.map((s) => s.currency),
        missing.map((s) => s.kind !== 'system'),
      ],
    );
    found = await find();
  }
  return specs.map((spec) => {
    const account = found.get(`${spec.owner}/${spec.currency}`);
    if (!account) throw new Error(`account ${spec.owner}/${spec.currency} vanished after insert`);
    if (account.kind !== spec.kind)
      throw new Error(`account ${spec.owner}/${spec.currency} is a ${account.kind}, not a ${spec.kind}`);
    return account;
  });
}

export const openSystemAccount = (exec: Executor, name: SystemAccount, currency: string): Promise<Account> =>
  openAccount(exec, { kind: 'system', owner: systemOwner(name), currency });

export async function findAccount(exec: Executor, owner: string, currency: string): Promise<Account | undefined> {
  const r = await exec.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE owner = $1 AND currency = $2`, [
    owner,
    currency,
  ]);
  return r.rows[0] ? toAccount(r.rows[0]) : undefined;
}

export async function getAccount(exec: Executor, id: bigint): Promise<Account | undefined> {
  const r = await exec.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`, [id]);
  return r.rows[0] ? toAccount(r.rows[0]) : undefined;
}

/** Balances of every account of `owner`, by currency. */
export async function balancesOf(exec: Executor, owner: string): Promise<Balance[]> {
  const r = await exec.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE owner = $1 ORDER BY currency`, [owner]);
  return r.rows.map(toAccount).map(balanceOf);
}

export async function getTransfer(exec: Executor, id: bigint): Promise<Transfer | undefined> {
  const r = await exec.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = $1`, [id]);
  return r.rows[0] ? toTransfer(r.rows[0]) : undefined;
}

export async function getTransferByRef(exec: Executor, ref: string): Promise<Transfer | undefined> {
  const r = await exec.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE ref = $1`, [ref]);
  return r.rows[0] ? toTransfer(r.rows[0]) : undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next (older) page. Null on the last page. */
  next: string | null;
}

/** Transfers touching any of `accountIds`, newest first, with cursor pagination. */
export async function history(
  exec: Executor,
  query: { accountIds: readonly bigint[]; limit: number; cursor?: string | null },
): Promise<Page<Transfer>> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit)), 500);
  const before = query.cursor ? decodeCursor(query.cursor) : null;
  const r = await exec.query(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers
      WHERE (debit_account = ANY($1::bigint[]) OR credit_account = ANY($1::bigint[]))
        AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC LIMIT $3`,
    [[...query.accountIds], before, limit + 1],
  );
  const rows = r.rows.map(toTransfer);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor(last.id) : null };
}

const encodeCursor = (id: bigint): string => Buffer.from(`t:${id}`).toString('base64url');

function decodeCursor(cursor: string): bigint | null {
  const m = /^t:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m?.[1] ? BigInt(m[1]) : null;
}
