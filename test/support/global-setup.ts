import type { TestProject } from 'vitest/node';
import { createPostgresDb } from '../../core/db/postgres.js';
import { migrate } from '../../core/db/migrate.js';
import { admin, urlFor } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Builds this run's migrated template database (named after the runner's pid, so two runs on one
 * machine never collide) and hands its name to the test files, which clone it. Databases left by
 * runs that died are dropped on the way.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `chipin_tpl_${process.pid}`;
  await admin(async (c) => {
    const old = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^chipin_(tpl|t)_[0-9]+'`,
    );
    for (const { datname } of old.rows) {
      const pid = Number(/^chipin_(?:tpl|t)_(\d+)/.exec(datname)?.[1]);
      if (!alive(pid) || datname === template) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE ${template}`);
  });
  const db = createPostgresDb({ connectionString: urlFor(template), max: 1 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  project.provide('templateDb', template);
  return async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  };
}
