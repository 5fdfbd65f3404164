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
