import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './executor.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  version: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (f) => ({ version: f.replace(/\.sql$/, ''), sql: await readFile(dir + f, 'utf8') })),
  );
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction, under
 * an advisory lock so two processes starting at once do not race. Returns the versions applied.
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  await db.script(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const m of all) {
    const done = await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(727401)');
        const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (seen.rowCount > 0) return false;
        // Each migration file is a sequence of statements separated by a line holding only `-- ;;`
        // (PGlite's extended protocol takes one statement per query).
        for (const statement of splitStatements(m.sql)) await tx.query(statement);
        await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
        return true;
      },
      // No statement timeout: a migration may rewrite a large table (and wait for the advisory lock).
      { statementTimeoutMs: 0 },
    );
    if (done) applied.push(m.version);
  }
  return applied;
}

/** Versions present in the code but not in the database (empty when fully migrated). */
export async function pendingMigrations(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return all.map((m) => m.version);
  const seen = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
  const have = new Set(seen.rows.map((r) => r.version));
  return all.map((m) => m.version).filter((v) => !have.has(v));
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/^--\s*;;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
}
