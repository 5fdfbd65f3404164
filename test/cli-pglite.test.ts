/** `chipin start` on embedded Postgres (no DATABASE_URL), as `npm start` runs it on a fresh clone. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnv } from '../config/env.js';
import { cleanUp, nonEmptyLines, runChipin, spawnChipin, tempDir, type Chipin } from './support/chipin.js';

describe('chipin start without DATABASE_URL (PGlite)', () => {
  const cwd = tempDir('start');
  const dataDir = path.join(cwd, 'data');
  const env = { NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', DATA_DIR: dataDir, REDIS_URL: loadTestEnv().redisUrl };
  let app: Chipin;
  let base: string;

  beforeAll(async () => {
    app = spawnChipin(['start'], env, cwd);
    const started = await app.logLine('chipin started');
    expect(started.roles).toEqual(['http', 'bots', 'workers']);
    base = `http://127.0.0.1:${String(started.port)}`;
  });
  afterAll(cleanUp);

  it('logs the port it bound when PORT=0', async () => {
    const listening = await app.logLine('http listening');
    expect(listening.port).toBeGreaterThan(0);
  });

  it('answers /healthz with 200 {"status":"ok"}', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when Postgres and Redis answer', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('serves Prometheus text on /metrics, with chipin_build_info', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP chipin_build_info /m);
    expect(text).toMatch(/^chipin_build_info\{version="\d+\.\d+\.\d+",node="[\d.]+"\} 1$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${base}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });

  it('a second chipin start on the same DATA_DIR exits 1 with one stderr line about the lock', async () => {
    const second = await runChipin(['start'], env, cwd);
    expect(second.code).toBe(1);
    const lines = nonEmptyLines(second.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/lock/);
    expect(lines[0]).toContain(`pid ${String(app.child.pid)}`);
    expect(lines[0]).toContain('DATABASE_URL');
    expect(second.stdout).toBe('');
  });

  it('chipin check on a DATA_DIR locked by the running app exits 2 and prints nothing on stdout', async () => {
    const check = await runChipin(['check', '--json'], env, cwd);
    expect(check.code).toBe(2);
    expect(check.stdout).toBe('');
    expect(check.stderr).toMatch(/could not audit: .*lock/);
  });

  it('stops cleanly on SIGTERM, releases the lock, and the ledger it leaves audits clean', async () => {
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.stderr).toMatch(/"msg":"stopped"/);
    expect(existsSync(path.join(dataDir, 'chipin.lock'))).toBe(false);

    const check = await runChipin(['check', '--json'], env, cwd);
    expect(check.code).toBe(0);
    expect(nonEmptyLines(check.stdout)).toHaveLength(1);
    expect(JSON.parse(check.stdout)).toEqual({
      ok: true,
      accounts: 0,
      transfers: 0,
      violations: [],
      receivables: { totals: [], people: [] },
    });
  });
});
