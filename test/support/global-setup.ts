import { createPostgresDb } from '../../core/db/postgres.js';
import { migrate } from '../../core/db/migrate.js';
import { admin, TEMPLATE_DB, urlFor } from './postgres.js';

/** Builds the migrated template database once per run; each test file clones it. */
export default async function setup(): Promise<void> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  });
  const db = createPostgresDb({ connectionString: urlFor(TEMPLATE_DB), max: 1 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
}
