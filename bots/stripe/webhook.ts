/**
 * `POST /stripe/webhook` (SPEC §4, RELIABILITY S3–S4): 404 unless STRIPE_WEBHOOK_SECRET is set. The signature is
 * checked on the raw bytes before anything else (300 s tolerance; any of several `v1` values during a secret
 * rotation); a bad one is 400 and nothing is stored. A good event is stored in the inbox with its settlement job
 * (one transaction, unique on the event id) and acknowledged; the worker credits. A redelivery is acknowledged
 * again and does nothing. Also `GET /stripe/return`, where Checkout sends the payer back.
 *
 * The body must reach this route as bytes: a JSON body parser mounted ahead of it (a common mistake) would hand
 * over a re-serialised object whose signature can never check out, so every delivery would fail. That case is
 * refused loudly (500 and an error log line naming the mistake) rather than as a 400 that looks like a forgery.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Db } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';
import { StripeBadSignature, type Cashier, type Locale } from '../../core/index.js';
import { translate } from '../i18n/index.js';

export const STRIPE_WEBHOOK_PATH = '/stripe/webhook';
export const STRIPE_RETURN_PATH = '/stripe/return';

export interface StripeRouteDeps {
  /** STRIPE_WEBHOOK_SECRET is set (the gateway verifies with it); otherwise the webhook answers 404. */
  enabled: boolean;
  cashier: Pick<Cashier, 'gateway' | 'receive' | 'returned'>;
  db: Db;
  log: Log;
  defaultLocale: Locale;
}

export function createStripeRoutes(deps: StripeRouteDeps): Router {
  const { db, log, cashier } = deps;
  const router = express.Router();

  router.get(STRIPE_RETURN_PATH, async (req, res) => {
    const cancelled = req.query.cancelled === '1';
    const deposit = req.query.deposit;
    if (typeof deposit === 'string' && /^[1-9][0-9]{0,17}$/.test(deposit) && !cancelled && cashier.gateway) {
      // The payer is back from Checkout: check the deposit with Stripe now rather than wait for the webhook.
      await cashier.returned(db, BigInt(deposit)).catch((err: unknown) => {
        log.warn({ err }, 'stripe return: could not schedule the deposit check');
      });
    }
    const preferred = req.acceptsLanguages('en', 'zh-CN', 'zh');
    const locale: Locale = preferred === false ? deps.defaultLocale : preferred === 'en' ? 'en' : 'zh-CN';
    // Stripe Connect onboarding comes back here too (`?connect=done`, or `refresh` when its link expired).
    const connect = req.query.connect;
    const key =
      connect === 'done'
        ? 'connect.return'
        : connect === 'refresh'
          ? 'connect.return_refresh'
          : cancelled
            ? 'deposit.return_cancelled'
            : 'deposit.return';
    const text = translate(locale, key) ?? '';
    res.set('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(text);
  });

  const gateway = cashier.gateway;
  if (!deps.enabled || !gateway) {
    router.post(STRIPE_WEBHOOK_PATH, (_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    return router;
  }

  const handle: RequestHandler = async (req, res) => {
    if (!Buffer.isBuffer(req.body)) {
      log.error(
        { path: STRIPE_WEBHOOK_PATH, bodyType: typeof req.body },
        'stripe webhook: the body was parsed before this route (a JSON body parser mounted ahead of it?); signatures need the raw bytes',
      );
      res.status(500).json({ error: 'misconfigured' });
      return;
    }
    let event;
    try {
      event = gateway.verifyWebhook(req.body, req.get('stripe-signature'));
    } catch (err) {
      if (!(err instanceof StripeBadSignature)) throw err;
      log.warn({ ip: req.ip, reason: err.message }, 'stripe webhook: bad signature');
      res.status(400).json({ error: 'bad signature' });
      return;
    }
    try {
      const { stored } = await cashier.receive(db, event);
      if (!stored) log.info({ eventId: event.id, type: event.type }, 'stripe webhook: redelivered event ignored');
    } catch (err) {
      // Not stored, so not acknowledged: Stripe delivers it again.
      log.error({ err, eventId: event.id }, 'stripe webhook: could not store the event');
      res.status(503).json({ error: 'unavailable' });
      return;
    }
    res.json({ received: true });
  };

  const rejectBadBody: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500) return next(err);
    res.status(status).end();
  };

  // Raw bytes whatever the content type: the signature covers them exactly.
  router.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit: '512kb' }), handle, rejectBadBody);
  return router;
}
