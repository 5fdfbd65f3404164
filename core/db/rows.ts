/** Reading rows (pg and PGlite return some types differently), the database clock, savepoints. */
import type { Executor, Tx } from './executor.js';

/**
 * The database clock (the transaction's start inside a transaction), truncated to milliseconds so a
 * deadline computed from it in JS and stored in several places compares equal everywhere.
 */
export async function dbNow(exec: Executor): Promise<Date> {
  const r = await exec.query<{ now: Date | string }>('SELECT now() AS now');
  const now = r.rows[0]?.now;
  if (now === undefined) throw new Error('SELECT now() returned nothing');
  return now instanceof Date ? now : new Date(now);
}

/**
 * Runs `fn` inside a savepoint and rolls it back when `keep` says the result must leave no trace
 * (a refused payment that had already inserted its claim row). Exceptions roll back too.
 */
export async function withSavepoint<T>(
  tx: Tx,
  name: string,
  fn: () => Promise<T>,
  keep: (result: T) => boolean,
): Promise<T> {
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn();
    await tx.query(keep(result) ? `RELEASE SAVEPOINT ${name}` : `ROLLBACK TO SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}

// int8 arrives as a string from pg and as a bigint or number from PGlite: BigInt() takes all three.
export const big = (v: unknown): bigint => BigInt(v as string | number | bigint);
export const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));
export const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
export const textOrNull = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'bigint'
        ? v.toString()
        : JSON.stringify(v);
export const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
