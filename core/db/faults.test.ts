import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgProxy, type PgProxy } from '../../test/support/pg-proxy.js';
import { admin, createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { once } from '../once/once.js';
import { CommitOutcomeUnknown, isConnectionLoss, sqlState, type Db, type Tx } from './executor.js';
import { createPostgresDb } from './postgres.js';
import { transact } from './retry.js';

/** Ends the session `pid` from another connection, as an operator or a server shutdown would (57P01). */
const terminate = (pid: number) => admin((c) => c.query('SELECT pg_terminate_backend($1)', [pid]));

const backendPid = async (tx: Tx): Promise<number> =>
  (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

describe('the Postgres adapter when the database goes away', () => {
  let t: TestDatabase;
  let db: Db;
  let proxy: PgProxy;
  let throughProxy: Db;
  const logged: Error[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(1);
    db = createPostgresDb({ connectionString: t.url, max: 2, statementTimeoutMs: 300, onError: (e) => logged.push(e) });
    proxy = await startPgProxy(t.url);
    throughProxy = createPostgresDb({ connectionString: proxy.url, max: 2 });
    await t.db.query(`CREATE TABLE fault_probe (id TEXT PRIMARY KEY)`);
  });

  afterAll(async () => {
    await throughProxy.close();
    await proxy.close();
    await db.close();
    await t.drop();
  });

  const rows = async (id: string) =>
    (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM fault_probe WHERE id = $1`, [id])).rows[0]!.n;

  it('runs a transaction whose connection was killed before COMMIT again, and it commits once', async () => {
    let runs = 0;
    const result = await transact(db, async (tx) => {
      runs += 1;
      await tx.query(`INSERT INTO fault_probe VALUES ('killed-before-commit')`);
      if (runs === 1) {
        await terminate(await backendPid(tx));
        await tx.query('SELECT 1'); // the server is gone: 57P01
      }
      return runs;
    });
    expect(result).toBe(2);
    expect(await rows('killed-before-commit')).toBe(1);
    // The killed connection was dropped, not handed out again: the pool serves the next statement.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('drops an idle connection the server ended, tells onError, and opens a new one', async () => {
    const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await terminate(pid);
    await expect.poll(() => logged.length).toBeGreaterThan(0);
    const next = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(next).not.toBe(pid);
  });

  it('cancels a statement that runs longer than the statement timeout, unless a transaction lifts it', async () => {
    const err = await db.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
    expect(sqlState(err)).toBe('57014'); // query_canceled: statement timeout
    expect(isConnectionLoss(err)).toBe(false);
    // A migration runs without one.
    const slow = await db.transaction(async (tx) => (await tx.query('SELECT pg_sleep(0.5), 1 AS done')).rowCount, {
      statementTimeoutMs: 0,
    });
    expect(slow).toBe(1);
    // …and the limit is back for the next transaction on that connection.
    const after = await db.transaction((tx) => tx.query('SELECT pg_sleep(1)')).catch((e: unknown) => e);
    expect(sqlState(after)).toBe('57014');
  });

  it('does not run a transaction again blindly when the answer to its COMMIT was lost', async () => {
    let runs = 0;
    proxy.loseNextCommitAnswer();
    const err = await transact(throughProxy, async (tx) => {
      runs += 1;
      await tx.query(`INSERT INTO fault_probe VALUES ('commit-answer-lost')`);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitOutcomeUnknown);
    expect(proxy.lost).toBe(1);
    expect(runs).toBe(1);
    // It had committed: a blind re-run would have written the row twice (here: failed on its key).
    expect(await rows('commit-answer-lost')).toBe(1);
  });

  it('lets the idempotency key decide after a lost COMMIT answer: the command replays its recorded outcome', async () => {
    let runs = 0;
    proxy.loseNextCommitAnswer();
    const result = await once(throughProxy, { key: 'test:lost-commit', command: 'probe' }, async (tx) => {
      runs += 1;
      await tx.query(`INSERT INTO fault_probe VALUES ('keyed-commit-lost')`);
      return { paid: 'yes' };
    });
    expect(proxy.lost).toBe(2);
    expect(runs).toBe(1);
    expect(result).toEqual({ outcome: { paid: 'yes' }, replayed: true });
    expect(await rows('keyed-commit-lost')).toBe(1);
  });

  it('runs a keyed command whose COMMIT was cut before it landed once, after the database answers again', async () => {
    // A deferred constraint trigger runs inside COMMIT: the session is ended there, before the commit record.
    await t.db.script(`
      CREATE TABLE slow_commit (id TEXT PRIMARY KEY);
      CREATE FUNCTION slow_commit_check() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_commit_check AFTER INSERT ON slow_commit
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_check();
    `);
    const slow = createPostgresDb({ connectionString: t.url, max: 1, statementTimeoutMs: 0 });
    try {
      let runs = 0;
      const result = await once(slow, { key: 'test:commit-cut', command: 'probe' }, async (tx) => {
        runs += 1;
        await tx.query(`INSERT INTO slow_commit VALUES ('cut')`);
        if (runs === 1) {
          const pid = await backendPid(tx);
          setTimeout(() => void terminate(pid), 300); // while COMMIT waits in the trigger
        }
        return { runs };
      });
      expect(runs).toBe(2);
      expect(result).toEqual({ outcome: { runs: 2 }, replayed: false });
      const n = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM slow_commit`);
      expect(n.rows[0]!.n).toBe(1);
    } finally {
      await slow.close();
    }
  });
});
