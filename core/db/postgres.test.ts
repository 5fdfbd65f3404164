import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { sqlState, type Db } from './executor.js';
import { createPostgresDb } from './postgres.js';

describe('the Postgres adapter', () => {
  let t: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    t = await createTestDatabase(1);
    // One connection: every statement runs on the connection that prepared it.
    db = createPostgresDb({ connectionString: t.url, max: 1 });
    await t.db.query(`CREATE TABLE deploy_probe (id INT PRIMARY KEY, name TEXT)`);
    await t.db.query(`INSERT INTO deploy_probe VALUES (1, 'a')`);
  });

  afterAll(async () => {
    await db.close();
    await t.drop();
  });

  it('keeps working when a migration changes the columns of a prepared SELECT * (a rolling deploy)', async () => {
    const read = (exec: { query: Db['query'] }) => exec.query(`SELECT * FROM deploy_probe WHERE id = $1`, [1]);
    expect((await read(db)).rows).toEqual([{ id: 1, name: 'a' }]);
    await t.db.query(`ALTER TABLE deploy_probe ADD COLUMN note TEXT`);

    // In a transaction the stale statement fails that transaction (its owner retries it)…
    const failed = await db.transaction((tx) => read(tx)).catch((err: unknown) => err);
    expect(sqlState(failed)).toBe('0A000');
    // …and from then on the statement is prepared afresh, in or out of a transaction.
    expect((await db.transaction((tx) => read(tx))).rows).toEqual([{ id: 1, name: 'a', note: null }]);
    expect((await read(db)).rows).toEqual([{ id: 1, name: 'a', note: null }]);

    // Outside a transaction the first failure is retried at once: the caller never sees it.
    await t.db.query(`ALTER TABLE deploy_probe ADD COLUMN size INT`);
    expect((await read(db)).rows).toEqual([{ id: 1, name: 'a', note: null, size: null }]);
  });
});
