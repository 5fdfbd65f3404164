import pg from 'pg';
import {
  beginStatement,
  CommitOutcomeUnknown,
  isConnectionLoss,
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
  /** Told of an error on a connection nobody was using at that moment (the pool drops the connection). */
  onError?: (err: Error) => void;
  /** The server cancels a statement running longer (ms; 0 = no limit). Default 10 s. */
  statementTimeoutMs?: number;
  /**
   * The server ends a session idle inside a transaction this long (ms; 0 = no limit). Default 2 min: longer than a
   * notification batch's platform calls, which run inside its transaction.
   */
  idleInTransactionTimeoutMs?: number;
  /** How long getting a connection may wait (ms), for a free one or for the server to answer. Default 10 s. */
  connectionTimeoutMs?: number;
}

/** TCP keepalive probes start after this much silence, so a vanished server or network is noticed. */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * How much longer than the statement timeout the client waits for an answer before giving the connection up
 * (query_timeout): the server's own timeout normally fires first; this covers a server or network that went silent.
 */
const CLIENT_GRACE_MS = 5_000;

/** The client-side wait for a statement with no server-side limit (a timer must stay below 2^31 ms). */
const NO_LIMIT_MS = 24 * 3_600_000;

const clientTimeout = (statementTimeoutMs: number): number =>
  statementTimeoutMs === 0 ? NO_LIMIT_MS : statementTimeoutMs + CLIENT_GRACE_MS;

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
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'chipin',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 120_000,
    query_timeout: clientTimeout(statementTimeoutMs),
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  });
  // An idle client that loses its server emits 'error' on the pool, which drops it; unhandled, it would kill the
  // process. A broken connection is never reused: the next checkout opens a new one once the server is back.
  const onError = (err: Error) => options.onError?.(err);
  pool.on('error', onError);

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
    queryTimeoutMs?: number,
  ): Promise<QueryResult<R>> => {
    const values = toWireParams(params);
    const timeout = queryTimeoutMs === undefined ? {} : { query_timeout: queryTimeoutMs };
    const once = async () => {
      const name = nameOf(text);
      const result = await (name === undefined
        ? client.query<R>({ text, values, ...timeout })
        : client.query<R>({ name, text, values, ...timeout }));
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
    /**
     * A connection lost before COMMIT was sent fails with the driver's error (`isConnectionLoss`: nothing
     * committed); lost while COMMIT was on its way, with `CommitOutcomeUnknown`.
     */
    async transaction<T>(fn: (tx: Tx) => Promise<T>, txOptions?: TxOptions): Promise<T> {
      const client = await pool.connect();
      // A checked-out connection has no pool listener: an error between two statements would otherwise be unhandled.
      client.on('error', onError);
      const own = txOptions?.statementTimeoutMs;
      const queryTimeoutMs = own === undefined ? undefined : clientTimeout(own);
      let broken = false;
      let committing = false;
      try {
        await client.query(beginStatement(txOptions));
        if (own !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.trunc(own))}`);
        const lockWait = txOptions?.lockTimeoutMs;
        if (lockWait !== undefined) await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockWait))}`);
        const tx: Tx = { kind: 'tx', query: (text, params) => run(client, text, params, queryTimeoutMs) };
        const result = await fn(tx);
        committing = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (isConnectionLoss(err)) {
          broken = true; // nothing to roll back on a dead (or silent) connection: destroy it
          if (committing) throw new CommitOutcomeUnknown({ cause: err });
          throw err;
        }
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is unusable; destroy it instead of returning it to the pool
        }
        throw err;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
    async script(sql: string): Promise<void> {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
