/**
 * The one database port of chipin. Postgres (through `pg`) and PGlite both implement it, so every
 * query in core/ runs unchanged on either. Writes take an `Executor` as a required argument: a `Db`
 * (the pool) or a `Tx` (an open transaction), so callers compose several writes atomically and a
 * forgotten handle is a type error rather than a silent escape from the transaction.
 */
export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  rows: R[];
  rowCount: number;
}

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TxOptions {
  isolation?: Isolation;
  readOnly?: boolean;
  /**
   * Overrides the connection's statement timeout for this transaction (Postgres; PGlite has none): 0 for none, e.g.
   * a migration rewriting a large table.
   */
  statementTimeoutMs?: number;
  /**
   * Postgres: a statement of this transaction that waits longer than this for a lock fails (55P03) instead, e.g. a
   * group-committed batch that should rather fall back to running its commands alone than wait behind one hot row.
   */
  lockTimeoutMs?: number;
}

interface Queryable {
  /** One statement with positional parameters ($1…). bigint parameters are sent as decimal text. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Tx extends Queryable {
  readonly kind: 'tx';
}

export interface Db extends Queryable {
  readonly kind: 'db';
  /** 'postgres' allows many concurrent transactions; 'pglite' runs one at a time. */
  readonly engine: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Tx) => Promise<T>, options?: TxOptions): Promise<T>;
  /** Runs a multi-statement SQL script (migrations). */
  script(sql: string): Promise<void>;
  close(): Promise<void>;
}

export type Executor = Db | Tx;

/** Converts parameters for the wire: bigint (also inside arrays) → decimal string. */
export function toWireParams(params: readonly unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map(function wire(value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (Array.isArray(value)) return value.map(wire);
    return value;
  });
}

export function beginStatement(options: TxOptions | undefined): string {
  const parts = ['BEGIN'];
  if (options?.isolation) parts.push(`ISOLATION LEVEL ${options.isolation.toUpperCase()}`);
  if (options?.readOnly) parts.push('READ ONLY');
  return parts.join(' ');
}

/** SQLSTATE of a driver error, when it has one. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * SQLSTATEs of a connection the server ended or never gave: admin shutdown, crash shutdown, cannot connect now,
 * connection exception / does not exist / failure.
 */
const CONNECTION_STATES = ['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006'];

/** Socket errors of a connection that is gone or was never made. */
const SOCKET_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED'];

/** pg's own messages for a connection that ended, could not be made, or stopped answering (query_timeout). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Query read timeout/i;

/**
 * The statement failed because the connection to the database was lost or could not be made: its transaction
 * cannot have committed (a COMMIT whose answer was lost is `CommitOutcomeUnknown` instead).
 */
export function isConnectionLoss(err: unknown): boolean {
  const code = sqlState(err) ?? '';
  if (CONNECTION_STATES.includes(code) || SOCKET_CODES.includes(code)) return true;
  return err instanceof Error && CONNECTION_MESSAGES.test(err.message);
}

/**
 * The connection was lost while COMMIT was on its way: the transaction may or may not have committed. Running it
 * again blindly could apply it twice; only a caller whose transaction is keyed (it reads its own key first and
 * replays the recorded outcome) may run it again.
 */
export class CommitOutcomeUnknown extends Error {
  override name = 'CommitOutcomeUnknown';

  constructor(options: { cause: unknown }) {
    super('the connection was lost during COMMIT: the transaction may or may not have committed', options);
  }
}

/** The database could not be reached (or stopped answering): worth waiting for, not a fault of the work itself. */
export const isDatabaseUnavailable = (err: unknown): boolean =>
  err instanceof CommitOutcomeUnknown || isConnectionLoss(err);
