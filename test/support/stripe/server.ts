/**
 * A local server that answers the Stripe API calls chipin makes, as Stripe does, for the real `stripe` library
 * (STRIPE_API_BASE points at it): form-encoded requests, a secret key in `Authorization`, JSON objects shaped as the
 * API's, errors as `{ error: { type, code, message } }`, and idempotency as Stripe documents it (S1): the first
 * result of a key — success or error — is saved and replayed; the same key with other parameters is a 400
 * `idempotency_error`. It also plays Stripe's side of webhooks: events about its objects, signed as Stripe signs them
 * (`stripe.webhooks.generateTestHeaderString`) and delivered to an endpoint, and listed by `GET /v1/events`.
 *
 * Resources live in their own modules (checkout.ts …), each installing its routes with `install(fake)`. Faults are
 * planted per route: answer with an error, or do the work and drop the response (a timeout after success).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import Stripe from 'stripe';

export type StripeObject = Record<string, unknown> & { id: string; object: string };

export interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error';
  code?: string;
  message: string;
}

export class FakeStripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

/** A planted fault on `METHOD /v1/path` (path with ids, e.g. `POST /v1/transfers`): used up one call at a time. */
export type Fault =
  | { kind: 'error'; status: number; error: StripeErrorBody }
  /** Do the work (and save the idempotent result), then destroy the connection without answering. */
  | { kind: 'drop' };

export interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  pending_webhooks: number;
  data: { object: StripeObject };
  account?: string;
  request: { id: string | null; idempotency_key: string | null };
}

type Handler = (req: Request, params: Record<string, unknown>) => StripeObject | Promise<StripeObject>;

export const SECRET_KEY = ['sk', 'test', 'fakeStripeKey000000000000'].join('_');
export const WEBHOOK_SECRET = ['whsec', 'fakeStripeWebhookSecret0000'].join('_');

export const stripeId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;
export const nowS = (): number => Math.floor(Date.now() / 1000);

export interface FakeStripe {
  readonly url: string;
  /** Every request received: `POST /v1/transfers` and its idempotency key. */
  readonly requests: Array<{ method: string; path: string; idempotencyKey: string | undefined; params: unknown }>;
  readonly events: StripeEvent[];
  /** Objects by id (any resource). */
  readonly objects: Map<string, StripeObject>;
  route(method: 'get' | 'post', path: string, handler: Handler): void;
  /**
   * Forgets the saved results of the idempotency keys `which` accepts (all by default), as Stripe prunes keys at
   * least 24 h old (RELIABILITY S1): the next request with such a key executes again.
   */
  prune(which?: (key: string) => boolean): void;
  /** The next `count` calls of `METHOD /v1/path` meet `fault`. */
  plant(route: string, fault: Fault, count?: number): void;
  /** Records an event about `object` (as it is now) and returns it; `deliver` sends it. */
  event(type: string, object: StripeObject, options?: { account?: string }): StripeEvent;
  /** POSTs the event, signed, to the webhook endpoint; returns the HTTP status. */
  deliver(event: StripeEvent, options?: { secret?: string; timestamp?: number }): Promise<number>;
  /** The endpoint events go to (`http://127.0.0.1:<port>/stripe/webhook`). */
  webhookUrl: string | undefined;
  close(): Promise<void>;
}

export const signature = (payload: string, secret = WEBHOOK_SECRET, timestamp = nowS()): string =>
  new Stripe(SECRET_KEY).webhooks.generateTestHeaderString({ payload, secret, timestamp });

export async function startFakeStripe(install: ReadonlyArray<(fake: FakeStripe) => void> = []): Promise<FakeStripe> {
  const app = express();
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  const saved = new Map<string, { params: string; status: number; body: unknown }>();
  const faults = new Map<string, Fault[]>();
  const requests: FakeStripe['requests'] = [];
  const events: StripeEvent[] = [];
  const objects = new Map<string, StripeObject>();

  const fail = (res: Response, status: number, error: StripeErrorBody) => res.status(status).json({ error });

  const fake: FakeStripe = {
    url: '',
    requests,
    events,
    objects,
    webhookUrl: undefined,
    route(method, path, handler) {
      app[method](path, async (req, res) => {
        if (req.get('authorization') !== `Bearer ${SECRET_KEY}`)
          return fail(res, 401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
        const params = (method === 'get' ? req.query : req.body) as Record<string, unknown>;
        const key = req.get('idempotency-key');
        const name = `${req.method} ${req.path}`;
        requests.push({ method: req.method, path: req.path, idempotencyKey: key, params });
        const fault = faults.get(name)?.shift();
        if (fault?.kind === 'error') return fail(res, fault.status, fault.error);
        const paramsText = JSON.stringify(params);
        const replay = method === 'post' && key ? saved.get(key) : undefined;
        if (replay) {
          if (replay.params !== paramsText)
            return fail(res, 400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with.`,
            });
          res.set('Idempotent-Replayed', 'true');
          if (fault?.kind === 'drop') return req.socket.destroy();
          return res.status(replay.status).json(replay.body);
        }
        let status = 200;
        let body: unknown;
        try {
          body = await handler(req, params);
        } catch (err) {
          if (!(err instanceof FakeStripeError)) throw err;
          status = err.status;
          body = { error: err.body };
        }
        if (method === 'post' && key) saved.set(key, { params: paramsText, status, body });
        if (fault?.kind === 'drop') return req.socket.destroy();
        return res.status(status).json(body);
      });
    },
    prune(which = () => true) {
      for (const key of [...saved.keys()]) if (which(key)) saved.delete(key);
    },
    plant(route, fault, count = 1) {
      const list = faults.get(route) ?? [];
      for (let i = 0; i < count; i++) list.push(fault);
      faults.set(route, list);
    },
    event(type, object, options = {}) {
      const event: StripeEvent = {
        id: stripeId('evt'),
        object: 'event',
        type,
        created: nowS(),
        livemode: false,
        api_version: Stripe.API_VERSION,
        pending_webhooks: 1,
        data: { object: structuredClone(object) },
        ...(options.account ? { account: options.account } : {}),
        request: { id: null, idempotency_key: null },
      };
      events.push(event);
      return event;
    },
    async deliver(event, options = {}) {
      if (!fake.webhookUrl) throw new Error('no webhook endpoint set');
      const payload = JSON.stringify(event, null, 2);
      const res = await fetch(fake.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature(payload, options.secret, options.timestamp),
        },
        body: payload,
      });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  app.get('/v1/events', (req, res) => {
    if (req.get('authorization') !== `Bearer ${SECRET_KEY}`) {
      fail(res, 401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
      return;
    }
    const gte = Number((req.query.created as Record<string, string> | undefined)?.gte ?? 0);
    const data = events.filter((e) => e.created >= gte).reverse();
    res.json({ object: 'list', url: '/v1/events', has_more: false, data });
  });

  for (const installer of install) installer(fake);
  app.use((req, res) =>
    fail(res, 404, { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path})` }),
  );

  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (fake as { url: string }).url = `http://127.0.0.1:${port}`;
  return fake;
}
