/**
 * The HTTP surface (SPEC §4): health, readiness and metrics here; feature routes (webhooks, admin, sandbox)
 * arrive as route installers. There is no global body parser: webhook signatures are checked on raw bodies,
 * so each installer parses its own.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Log } from '../core/log.js';

/** Mounts one feature's routes; installers run after the health routes and before the 404 fallback. */
export type RouteInstaller = (app: Express) => void;

/** Resolves when the dependency answers; /readyz races it against a timeout. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HttpDeps {
  readonly log: Log;
  readonly metrics: Registry;
  /** By dependency name, e.g. `{ postgres, redis }`. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly routes?: readonly RouteInstaller[];
  readonly readinessTimeoutMs?: number;
}

type Outcome = 'ok' | 'failed' | 'timeout';

async function outcomeOf(name: string, check: ReadinessCheck, timeoutMs: number, log: Log): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const answer = check().then(
    (): Outcome => 'ok',
    (err: unknown): Outcome => {
      log.warn({ err, dependency: name }, 'readiness check failed');
      return 'failed';
    },
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

function statusOf(err: unknown): number {
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export function createHttpApp(deps: HttpDeps): Express {
  const { log, metrics, readiness } = deps;
  const timeoutMs = deps.readinessTimeoutMs ?? 1_000;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', noStore, (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', noStore, async (_req, res) => {
    const names = Object.keys(readiness);
    const outcomes = await Promise.all(
      names.map(
        async (name) =>
          [name, await outcomeOf(name, readiness[name] ?? (() => Promise.resolve()), timeoutMs, log)] as const,
      ),
    );
    const failed = outcomes.filter(([, outcome]) => outcome !== 'ok').map(([name]) => name);
    const checks = Object.fromEntries(outcomes);
    if (failed.length === 0) res.json({ status: 'ready', checks });
    else res.status(503).json({ status: 'unavailable', failed, checks });
  });

  app.get('/metrics', noStore, async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  for (const install of deps.routes ?? []) install(app);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    const status = statusOf(err);
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'http request failed');
    else log.debug({ err, method: req.method, path: req.path, status }, 'http request rejected');
    // Headers already out: let express cut the connection.
    if (res.headersSent) return next(err);
    // Never the error's own message or stack: clients get the status text only.
    res.status(status).json({ error: (STATUS_CODES[status] ?? 'error').toLowerCase() });
  };
  app.use(onError);
  return app;
}

export interface RunningHttpServer {
  /** The bound port (PORT=0 picks a free one). */
  readonly port: number;
  /** Stops accepting connections, lets in-flight requests finish (at most `drainMs`), then closes the rest. */
  stop(): Promise<void>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
  readonly log: Log;
  readonly drainMs?: number;
}

export async function startHttpServer(app: Express, options: ListenOptions): Promise<RunningHttpServer> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  options.log.info({ port }, 'http listening');

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    // A keep-alive connection turns idle once its in-flight response is sent: close it then, not when the client does.
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 10_000);
    try {
      await closed;
    } finally {
      clearInterval(idle);
      clearTimeout(force);
    }
  };
  return {
    port,
    stop: () => (stopped ??= stop()),
  };
}
