/**
 * A small HTTP proxy put between chipin and a fake platform server (the fake Telegram Bot API, the fake Discord
 * REST API) that injects faults into a share of the requests it is told to consider:
 * - `drop`: the request reaches the platform, which acts on it, but its response is lost (the connection is cut);
 * - `delay`: the platform hangs beyond the client's timeout (the request is held and reaches the platform only if
 *   the client still waits, which it does not);
 * - `5xx`: the platform answers 502 without acting;
 * - `429`: the platform answers 429 with `retry_after` (Telegram's `parameters.retry_after`, Discord's body and
 *   Retry-After header) without acting.
 * Every request and every fault is recorded, so a scenario can check that a client honoured `retry_after`: no
 * request with the same key (`keyOf`) before the wait was over.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'drop' | 'delay' | '5xx' | '429';

export interface FaultProxyOptions {
  /** The fake platform's origin, e.g. http://127.0.0.1:4321 */
  readonly target: string;
  /** How the platform words its errors. */
  readonly platform: 'telegram' | 'discord';
  /** Share of eligible requests that get a fault (0..1). */
  readonly rate: number;
  /** The faults to choose from, in turn. */
  readonly faults: readonly Fault[];
  /** Which requests may get a fault (default: all). */
  readonly eligible?: (request: ProxiedRequest) => boolean;
  /** What a `retry_after` applies to (default: method and path). */
  readonly keyOf?: (request: ProxiedRequest) => string;
  /** `delay`: how long the platform hangs. */
  readonly delayMs: number;
  /** `429`: the wait asked for, in seconds. */
  readonly retryAfterS: number;
  /** Requests eligible for a fault are faulted at most this many times in a row per key (default 2). */
  readonly maxInARow?: number;
  /** Deterministic choice: the n-th eligible request is faulted when (n * rate) crosses an integer. */
  readonly seed?: number;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The JSON body, when there is one. */
  readonly body: Record<string, unknown> | undefined;
}

export interface ProxyRecord extends ProxiedRequest {
  readonly at: number;
  readonly key: string;
  readonly fault?: Fault;
}

export class FaultProxy {
  readonly records: ProxyRecord[] = [];
  private server: Server | undefined;
  private eligibleSeen = 0;
  private nextFault = 0;
  private readonly inARow = new Map<string, number>();

  constructor(readonly options: FaultProxyOptions) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Faults injected so far, by kind. */
  counts(): Record<Fault, number> {
    const out: Record<Fault, number> = { drop: 0, delay: 0, '5xx': 0, '429': 0 };
    for (const r of this.records) if (r.fault) out[r.fault] += 1;
    return out;
  }

  /**
   * Requests that came before the `retry_after` of a 429 with the same key was over (`toleranceMs` for clocks and
   * scheduling): each a description.
   */
  retryAfterViolations(toleranceMs = 50): string[] {
    const waitMs = this.options.retryAfterS * 1000;
    const out: string[] = [];
    for (const limited of this.records.filter((r) => r.fault === '429')) {
      const early = this.records.find(
        (r) => r.key === limited.key && r.at > limited.at && r.at < limited.at + waitMs - toleranceMs,
      );
      if (early) out.push(`${early.key}: again after ${early.at - limited.at} ms of ${waitMs} ms`);
    }
    return out;
  }

  private choose(request: ProxiedRequest, key: string): Fault | undefined {
    const { rate, faults } = this.options;
    if (faults.length === 0 || rate <= 0) return undefined;
    if (this.options.eligible && !this.options.eligible(request)) return undefined;
    const n = ++this.eligibleSeen + (this.options.seed ?? 0);
    const hit = Math.floor(n * rate) !== Math.floor((n - 1) * rate);
    const row = this.inARow.get(key) ?? 0;
    if (!hit || row >= (this.options.maxInARow ?? 2)) {
      this.inARow.set(key, 0);
      return undefined;
    }
    this.inARow.set(key, row + 1);
    return faults[this.nextFault++ % faults.length];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let body: Record<string, unknown> | undefined;
    if (String(req.headers['content-type']).startsWith('application/json') && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
    }
    const request: ProxiedRequest = { method, path, body };
    const key = this.options.keyOf?.(request) ?? `${method} ${path}`;
    const fault = this.choose(request, key);
    this.records.push({ ...request, at: Date.now(), key, ...(fault ? { fault } : {}) });

    if (fault === '5xx') {
      this.error(res, 502, 'Bad Gateway');
      return;
    }
    if (fault === '429') {
      this.rateLimit(res);
      return;
    }
    if (fault === 'delay') {
      const gone = new Promise<void>((resolve) => res.once('close', () => resolve()));
      await Promise.race([new Promise((resolve) => setTimeout(resolve, this.options.delayMs)), gone]);
      if (res.destroyed) return; // the client gave up: the platform never saw it
    }
    const upstream = await this.forward(req, raw);
    if (fault === 'drop') {
      // The platform acted; the answer is lost on the way back.
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, upstream.headers).end(upstream.body);
  }

  private forward(
    req: IncomingMessage,
    raw: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const target = new URL(req.url ?? '/', this.options.target);
    const headers = { ...req.headers, host: target.host, 'content-length': String(raw.length) };
    delete headers['transfer-encoding'];
    return new Promise((resolve, reject) => {
      const out = httpRequest(target, { method: req.method, headers }, (upstream) => {
        const chunks: Buffer[] = [];
        upstream.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstream.on('end', () => {
          const copied: Record<string, string> = {};
          for (const [name, value] of Object.entries(upstream.headers)) {
            if (value === undefined || name === 'transfer-encoding' || name === 'connection') continue;
            copied[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: upstream.statusCode ?? 502, headers: copied, body: Buffer.concat(chunks) });
        });
        upstream.on('error', reject);
      });
      out.on('error', reject);
      out.end(raw);
    });
  }

  private error(res: ServerResponse, status: number, description: string): void {
    const payload =
      this.options.platform === 'telegram'
        ? { ok: false, error_code: status, description }
        : { message: description, code: 0 };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }

  private rateLimit(res: ServerResponse): void {
    const retryAfter = this.options.retryAfterS;
    if (this.options.platform === 'telegram') {
      const payload = {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      };
      res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      return;
    }
    const payload = { message: 'You are being rate limited.', retry_after: retryAfter, global: false };
    res
      .writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(retryAfter),
        'x-ratelimit-scope': 'user',
      })
      .end(JSON.stringify(payload));
  }
}
