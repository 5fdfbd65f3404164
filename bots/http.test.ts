/** The HTTP surface every `chipin start` process serves: health, readiness, metrics, 404 and errors. */
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLog, type Log } from '../core/log.js';
import { createHttpApp, startHttpServer, type HttpDeps, type RunningHttpServer } from './http.js';
import { createMetricsRegistry } from './metrics.js';

const running: RunningHttpServer[] = [];

async function serve(deps: Partial<HttpDeps>): Promise<string> {
  const app = createHttpApp({
    log: silentLog,
    metrics: createMetricsRegistry({ version: '9.9.9' }),
    readiness: {},
    ...deps,
  });
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log: silentLog });
  running.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe('createHttpApp', () => {
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  it('answers /healthz with 200 {"status":"ok"} even when a dependency is down', async () => {
    const base = await serve({ readiness: { postgres: () => Promise.reject(new Error('down')) } });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the dependency that failed or did not answer in time', async () => {
    const base = await serve({
      readiness: {
        postgres: () => Promise.resolve(),
        redis: () => Promise.reject(new Error('ECONNREFUSED')),
        slow: () => new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      },
      readinessTimeoutMs: 200,
    });
    // `slow` reported as a timeout (not ok) shows the answer did not wait for it.
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      failed: ['redis', 'slow'],
      checks: { postgres: 'ok', redis: 'failed', slow: 'timeout' },
    });
  });

  it('serves Prometheus text on /metrics with the build info gauge', async () => {
    const base = await serve({});
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE chipin_build_info gauge');
    expect(text).toMatch(/^chipin_build_info\{version="9\.9\.9",node="[\d.]+"\} 1$/m);
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it('mounts route installers before the JSON 404 fallback, without parsing bodies for them', async () => {
    const base = await serve({
      routes: [
        (app) =>
          app.post('/echo', express.raw({ type: '*/*' }), (req, res) => {
            res.json({ raw: Buffer.isBuffer(req.body), length: (req.body as Buffer).length });
          }),
      ],
    });
    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await echo.json()).toEqual({ raw: true, length: 7 });
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
  });

  it('logs a failing route and answers 500 without the message or stack', async () => {
    const errors: unknown[] = [];
    const log: Log = { ...silentLog, error: (obj) => void errors.push(obj) };
    const base = await serve({
      log,
      routes: [
        (app) =>
          app.get('/boom', () => {
            throw new Error('secret detail sk_test_123');
          }),
      ],
    });
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'internal server error' });
    expect(body).not.toContain('secret');
    expect(errors).toHaveLength(1);
  });

  it('answers a client error with its status text only', async () => {
    const base = await serve({
      routes: [(app) => app.post('/json', express.json({ limit: '10b' }), (_req, res) => void res.json({}))],
    });
    const res = await fetch(`${base}/json`, {
      method: 'POST',
      body: JSON.stringify({ long: 'x'.repeat(100) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'payload too large' });
  });

  it('stop() lets an in-flight request finish and refuses new connections', async () => {
    let release: () => void = () => undefined;
    const app = createHttpApp({
      log: silentLog,
      metrics: createMetricsRegistry({ version: '1.0.0' }),
      readiness: {},
      routes: [
        (a) =>
          a.get('/slow', async (_req, res) => {
            await new Promise<void>((resolve) => (release = resolve));
            res.json({ done: true });
          }),
      ],
    });
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1', log: silentLog });
    const base = `http://127.0.0.1:${server.port}`;
    const inFlight = fetch(`${base}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = server.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    release();
    expect(await (await inFlight).json()).toEqual({ done: true });
    await stopped;
  });
});
