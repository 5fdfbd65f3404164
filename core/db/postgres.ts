import pg from 'pg';
import {
  beginStatement,
  toWireParams,
  type Db,
  type QueryResult,
  type Row,
  type Tx,
  type TxOptions,
} from './executor.js';

export interface PostgresOptions {
  connectionString: string;
  /** Pool size; tests keep it ≤ 10 per file. */
  max?: number;
  applicationName?: string;
  onError?: (err: Error) => void;
}

/** A `Db` over a `pg` pool. */
export function createPostgresDb(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'chipin',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => options.onError?.(err));

  const run = async <R extends Row>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const result = await client.query<R>(text, toWireParams(params));
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };

  return {
    kind: 'db',
    engine: 'postgres',
    query: (text, params) => run(pool, text, params),
    async transaction<T>(fn: (tx: Tx) => Promise<T>, txOptions?: TxOptions): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query(beginStatement(txOptions));
        const tx: Tx = { kind: 'tx', query: (text, params) => run(client, text, params) };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is unusable; destroy it instead of returning it to the pool
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async script(sql: string): Promise<void> {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
