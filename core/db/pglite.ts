import { PGlite } from '@electric-sql/pglite';
import {
  beginStatement,
  toWireParams,
  type Db,
  type QueryResult,
  type Row,
  type Tx,
  type TxOptions,
} from './executor.js';

/**
 * A `Db` over embedded PGlite (one process, one transaction at a time). Transactions are queued here
 * so that concurrent callers wait their turn instead of interleaving statements on the single
 * connection; a query on the `Db` while a transaction runs waits for it too.
 */
export async function createPgliteDb(dataDir: string): Promise<Db> {
  const lite = await PGlite.create(dataDir);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const run = async <R extends Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const result = await lite.query<R>(text, toWireParams(params));
    // As pg counts: rows returned by a row-returning statement (PGlite says 0 for a SELECT), else rows changed.
    const rowCount = result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0);
    return { rows: result.rows, rowCount };
  };

  return {
    kind: 'db',
    engine: 'pglite',
    query: (text, params) => serial(() => run(text, params)),
    transaction<T>(fn: (tx: Tx) => Promise<T>, txOptions?: TxOptions): Promise<T> {
      return serial(async () => {
        await lite.exec(beginStatement(txOptions));
        try {
          const result = await fn({ kind: 'tx', query: run });
          await lite.exec('COMMIT');
          return result;
        } catch (err) {
          await lite.exec('ROLLBACK');
          throw err;
        }
      });
    },
    script: (sql) => serial(async () => void (await lite.exec(sql))),
    close: () => serial(() => lite.close()),
  };
}
