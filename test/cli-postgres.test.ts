/** `chipin migrate`, `chipin check` and `chipin start` with one role, against a real Postgres (DATABASE_URL). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../core/db/migrate.js';
import { openAccount } from '../core/ledger/index.js';
import { Writable } from 'node:stream';
import { loadTestEnv } from '../config/env.js';
import { runCheck } from '../main.js';
import { cleanUp, nonEmptyLines, runChipin, spawnChipin, tempDir } from './support/chipin.js';
import { admin, createTestDatabase, urlFor, type TestDatabase } from './support/postgres.js';

const cwd = tempDir('check');
const envFor = (databaseUrl: string) => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  DATA_DIR: cwd,
  DATABASE_URL: databaseUrl,
});

describe('chipin migrate and chipin check on Postgres', () => {
  let migrated: TestDatabase;
  const empty = `chipin_t_${process.pid}_empty_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    migrated = await createTestDatabase(2);
    await admin((c) => c.query(`CREATE DATABASE ${empty}`));
  });
  afterAll(async () => {
    await cleanUp();
    await migrated.drop();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`));
  });

  it('on a migrated database: migrate exits 0, and check --json prints exactly one line and exits 0', async () => {
    const env = envFor(migrated.url);
    const migrate = await runChipin(['migrate'], env, cwd);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe(''); // nothing was pending

    const check = await runChipin(['check', '--json'], env, cwd);
    expect(check.code).toBe(0);
    expect(nonEmptyLines(check.stdout)).toHaveLength(1);
    expect(check.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(check.stdout)).toEqual({
      ok: true,
      accounts: 0,
      transfers: 0,
      violations: [],
      receivables: { totals: [], people: [] },
    });
  });

  it('on an empty, un-migrated database: check exits 2, migrate prints every version, then check exits 0', async () => {
    const env = envFor(urlFor(empty));
    const before = await runChipin(['check', '--json'], env, cwd);
    expect(before.code).toBe(2);
    expect(before.stdout).toBe('');
    expect(before.stderr).toMatch(/not migrated/);

    const migrate = await runChipin(['migrate'], env, cwd);
    expect(migrate.code).toBe(0);
    expect(nonEmptyLines(migrate.stdout)).toEqual((await loadMigrations()).map((m) => m.version));

    const after = await runChipin(['check'], env, cwd);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^ledger OK/);
  });

  it('check exits 2 when DATABASE_URL is unreachable', async () => {
    const check = await runChipin(['check', '--json'], envFor('postgres://postgres@127.0.0.1:1/x'), cwd);
    expect(check.code).toBe(2);
    expect(check.stdout).toBe('');
    expect(nonEmptyLines(check.stderr)).toHaveLength(1);
    expect(check.stderr).toMatch(/could not audit: .*DATABASE_URL \(postgres:\/\/127\.0\.0\.1:1\/x\)/);
  });

  it('migrate exits 1 when DATABASE_URL is unreachable', async () => {
    const migrate = await runChipin(['migrate'], envFor('postgres://postgres@127.0.0.1:1/x'), cwd);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/DATABASE_URL/);
  });

  it('check exits 1 and lists the violations when a cached total disagrees with the transfers', async () => {
    const account = await openAccount(migrated.db, { kind: 'wallet', owner: 'tg:1', currency: 'USD' });
    await migrated.db.query('UPDATE accounts SET credits_posted = 500 WHERE id = $1', [account.id]);
    const env = envFor(migrated.url);

    const json = await runChipin(['check', '--json'], env, cwd);
    expect(json.code).toBe(1);
    expect(nonEmptyLines(json.stdout)).toHaveLength(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; violations: Array<{ invariant: string }> };
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.invariant)).toEqual(expect.arrayContaining(['INV-1', 'INV-2']));

    const human = await runChipin(['check'], env, cwd);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^ledger BROKEN/);
    expect(human.stdout).toMatch(/INV-2 account \d+: cached credits_posted differs/);
  });

  it('an unknown command or option prints the usage on stderr and exits 2', async () => {
    const unknown = await runChipin(['frobnicate'], envFor(migrated.url), cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage: chipin/);
    const badFlag = await runChipin(['check', '--yaml'], envFor(migrated.url), cwd);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stdout).toBe('');
  });

  // Uses the database the second test migrated.
  it('runCheck can be called in-process and returns the exit code', async () => {
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: cwd, DATABASE_URL: urlFor(empty) },
      logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    };
    expect(await runCheck(['--json'], io)).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, violations: [] });
    expect(stderr).toBe('');
    expect(
      await runCheck(['--json'], { ...io, env: { ...io.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } }),
    ).toBe(2);
    expect(stderr).toMatch(/could not audit/);
  });

  it('chipin start --workers logs its one role and still serves /healthz, /readyz and /metrics', async () => {
    const env = { ...envFor(migrated.url), PORT: '0', REDIS_URL: loadTestEnv().redisUrl };
    const app = spawnChipin(['start', '--workers'], env, cwd);
    const started = await app.logLine('chipin started');
    expect(started.roles).toEqual(['workers']);
    const base = `http://127.0.0.1:${String(started.port)}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('chipin_build_info');
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
  });
});
