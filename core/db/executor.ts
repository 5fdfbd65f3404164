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
