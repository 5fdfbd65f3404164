import pg from 'pg';
import {
  beginStatement,
  sqlState,
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

/** Distinct statement texts prepared per process; beyond this, texts run unnamed (a bound against dynamic SQL). */
const MAX_PREPARED = 2_000;

/** Transaction control and scripts: nothing to plan. */
const UNPLANNED = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/**
 * A prepared statement whose result columns changed under it (a migration added a column to a `SELECT *` while this
 * process ran): Postgres refuses to run it again on that connection.
 */
const isStalePlan = (err: unknown): boolean =>
  sqlState(err) === '0A000' && err instanceof Error && err.message.includes('cached plan must not change result type');

/**
 * A `Db` over a `pg` pool. Every statement with a plan is a named prepared statement: each connection parses and
 * plans a text once, then only binds and executes it (planning was a large share of the database's CPU per command).
 * After a schema change that alters a prepared statement's result, every text gets a new name (so each connection
 * prepares it afresh); a statement outside a transaction is retried at once, one inside fails its transaction, whose
 * owner retries it.
 */
export function createPostgresDb(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'chipin',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => options.onError?.(err));

  const names = new Map<string, string>();
  // Never reused: a connection still holds every name it prepared.
  let prepared = 0;
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED && !UNPLANNED.test(text)) {
      name = `chipin_${++prepared}`;
      names.set(text, name);
    }
    return name;
  };

  const run = async <R extends Row>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const values = toWireParams(params);
    const once = async () => {
      const name = nameOf(text);
      const result = await (name === undefined
        ? client.query<R>(text, values)
        : client.query<R>({ name, text, values }));
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    };
    try {
      return await once();
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      names.clear();
      if (client !== pool) throw err; // the transaction is aborted: its owner retries it
      return once();
    }
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
