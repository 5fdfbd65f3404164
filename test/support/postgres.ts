import pg from 'pg';
import { inject } from 'vitest';
import { loadTestEnv } from '../../config/env.js';
import { createPostgresDb } from '../../core/db/postgres.js';
import type { Db } from '../../core/db/executor.js';

export const adminUrl = (): string => loadTestEnv().databaseUrl;

export function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  db: Db;
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own (≤ `max` connections), cloned from the template. */
export async function createTestDatabase(max = 10): Promise<TestDatabase> {
  const name = `chipin_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  // The migrated template of this run (test/support/global-setup.ts).
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`));
  const url = urlFor(name);
  const db = createPostgresDb({ connectionString: url, max, applicationName: 'chipin-test' });
  return {
    db,
    name,
    url,
    async drop() {
      await db.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export interface WalletLock {
  /** Resolves with how many of the database's sessions wait on a lock, once at least `n` do (or after 15 s). */
  waiters(n: number): Promise<number>;
  /** Commits the locking transaction: whatever waited goes on. Idempotent. */
  release(): Promise<void>;
}

/**
 * Holds the accounts of `owners` (`person:<id>`) locked FOR UPDATE in a transaction of its own, as a slow ledger
 * would: every payment touching them waits, holding its connection, until `release`.
 */
export async function lockWallets(database: TestDatabase, owners: readonly string[]): Promise<WalletLock> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT id FROM accounts WHERE owner = ANY($1) FOR UPDATE`, [[...owners]]);
  let released = false;
  const count = async () => {
    // pg_stat_activity is read once per transaction and then kept: this client counts inside the locking
    // transaction, so it drops the kept snapshot first or it would see the first count forever.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const r = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
      [database.name],
    );
    return r.rows[0]?.n ?? 0;
  };
  return {
    async waiters(n) {
      const deadline = Date.now() + 15_000;
      let seen = await count();
      while (seen < n && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await count();
      }
      return seen;
    },
    async release() {
      if (released) return;
      released = true;
      await client.query('COMMIT');
      await client.end();
    },
  };
}
