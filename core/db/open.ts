/**
 * Opens the app's database: a Postgres pool when DATABASE_URL is set, else embedded PGlite under
 * `DATA_DIR/pglite`, held by this process alone through `DATA_DIR/chipin.lock` (released on close).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Log } from '../log.js';
import type { Db } from './executor.js';
import { lockDataDir } from './lock.js';
import { migrate } from './migrate.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb, type PostgresOptions } from './postgres.js';

export { DataDirLockedError } from './lock.js';

/** The part of the app config this needs (config/env.ts Config satisfies it). */
export interface DatabaseSettings {
  readonly databaseUrl: string | undefined;
  /** Postgres pool size when `OpenOptions.poolMax` does not say. */
  readonly databasePoolSize?: number;
  /** Absolute. */
  readonly dataDir: string;
  /** Postgres: statements running longer are cancelled by the server (default 10 s). */
  readonly databaseStatementTimeoutMs?: number;
  /** Postgres: a session idle inside a transaction this long is ended by the server (default 2 min). */
  readonly databaseIdleInTransactionTimeoutMs?: number;
  /** Postgres: how long getting a connection may wait (default 10 s). */
  readonly databaseConnectTimeoutMs?: number;
}

export interface OpenOptions {
  /** Apply pending migrations before returning (`start`, `migrate`; never `check`). */
  readonly migrate: boolean;
  /** Refuse to create an empty embedded database (`check` audits what exists). */
  readonly mustExist?: boolean;
  /** Postgres pool size. */
  readonly poolMax?: number;
  /** Set aside intake connections (see `OpenedDatabase.intake`): the app does, one-shot commands do not. */
  readonly intake?: boolean;
  /** Overrides the statement timeout (0: none), for one-shot commands that read whole tables (`check`). */
  readonly statementTimeoutMs?: number;
}

export interface OpenedDatabase {
  readonly db: Db;
  /**
   * Connections of their own for storing inbound deliveries before they are acknowledged (INTAKE_CONNECTIONS of
   * the pool size), so a slow ledger holding every other connection never delays an acknowledgement. The same as
   * `db` on PGlite (one connection) or a pool too small to split. Closed by `close`.
   */
  readonly intake: Db;
  /** Closes `db` and `intake`. */
  readonly close: () => Promise<void>;
  /** Migration versions applied by this open. */
  readonly applied: string[];
  /** Where the data lives, without credentials: for logs and messages. */
  readonly location: string;
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';

  constructor(
    readonly reason: 'unreachable' | 'missing',
    message: string,
  ) {
    super(message);
  }
}

export const PGLITE_DIR = 'pglite';

/** Connections set aside for the intake out of the pool size (when the pool has room for at least 2 more). */
export const INTAKE_CONNECTIONS = 2;

/** A postgres URL without user and password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function firstLine(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = typeof e.code === 'string' && !message.includes(e.code) ? `${e.code} ` : '';
  return `${code}${message}`.split('\n')[0] ?? '';
}

type PoolTimeouts = Pick<PostgresOptions, 'statementTimeoutMs' | 'idleInTransactionTimeoutMs' | 'connectionTimeoutMs'>;

async function openPostgres(
  url: string,
  log: Log,
  poolMax: number,
  timeouts: PoolTimeouts,
  applicationName?: string,
): Promise<Db> {
  const db = createPostgresDb({
    connectionString: url,
    max: poolMax,
    ...timeouts,
    ...(applicationName ? { applicationName } : {}),
    // The pool drops the connection and opens a new one when next needed: a restarted server is reconnected to.
    onError: (err) => log.warn({ err }, 'a Postgres connection failed outside a query; it is dropped'),
  });
  try {
    await db.query('SELECT 1');
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new DatabaseUnavailableError(
      'unreachable',
      `cannot use the database at DATABASE_URL (${describeDatabaseUrl(url)}): ${firstLine(err)}`,
    );
  }
}

async function openPglite(dataDir: string, mustExist: boolean, log: Log): Promise<Db> {
  const dir = path.join(dataDir, PGLITE_DIR);
  if (mustExist && !existsSync(dir)) {
    throw new DatabaseUnavailableError(
      'missing',
      `no embedded database in ${dir}: run chipin migrate (or chipin start) first, or set DATABASE_URL`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir);
  if (lock.tookOverFrom !== undefined) {
    log.warn({ pid: lock.tookOverFrom, lock: lock.file }, 'took over the stale lock of a process that is gone');
  }
  let db: Db;
  try {
    db = await createPgliteDb(dir);
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    ...db,
    async close() {
      try {
        await db.close();
      } finally {
        lock.release();
      }
    },
  };
}

export async function openDatabase(
  settings: DatabaseSettings,
  log: Log,
  options: OpenOptions,
): Promise<OpenedDatabase> {
  const { databaseUrl, dataDir } = settings;
  const poolSize = options.poolMax ?? settings.databasePoolSize ?? 10;
  const split = databaseUrl !== undefined && options.intake === true && poolSize >= INTAKE_CONNECTIONS + 2;
  const timeouts: PoolTimeouts = {
    statementTimeoutMs: options.statementTimeoutMs ?? settings.databaseStatementTimeoutMs,
    idleInTransactionTimeoutMs: settings.databaseIdleInTransactionTimeoutMs,
    connectionTimeoutMs: settings.databaseConnectTimeoutMs,
  };
  const db = databaseUrl
    ? await openPostgres(databaseUrl, log, split ? poolSize - INTAKE_CONNECTIONS : poolSize, timeouts)
    : await openPglite(dataDir, options.mustExist ?? false, log);
  let intake = db;
  if (split) {
    try {
      intake = await openPostgres(databaseUrl, log, INTAKE_CONNECTIONS, timeouts, 'chipin-intake');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }
  const close = async () => {
    if (intake !== db) await intake.close();
    await db.close();
  };
  const location = databaseUrl ? describeDatabaseUrl(databaseUrl) : path.join(dataDir, PGLITE_DIR);
  let applied: string[] = [];
  if (options.migrate) {
    try {
      applied = await migrate(db);
    } catch (err) {
      await close().catch(() => undefined);
      throw err;
    }
    if (applied.length > 0) log.info({ applied, database: location }, 'migrations applied');
  }
  log.debug({ engine: db.engine, database: location }, 'database open');
  return { db, intake, close, applied, location };
}
