/**
 * `POST /telegram/webhook` (SPEC §4): verify the secret token, store the update in the inbox, answer an empty 200,
 * then let the processor work. Not telegraf's webhookCallback: it answers 200 even when the
 * handler failed and can confirm an update early through webhookReply (T16c,d), and its debug output prints the
 * expected secret on a mismatch.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Db } from '../../core/db/executor.js';
import { createReceiver } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/ledger/model.js';
import type { Log } from '../../core/log.js';
import { createUpdateKeys } from './keys.js';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookDeps {
  /** TELEGRAM_WEBHOOK_SECRET; unset: the route answers 404. */
  secret: string | undefined;
  botId: string;
  db: Db;
  log: Log;
  /** Called with the inbox key of each newly stored update (and the update), after the 200. */
  onStored?: (key: string, update: unknown) => void;
}

/** Fixed-length digests, so the comparison takes the same time whatever the lengths (and leaks neither). */
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function secretMatches(given: string | undefined, expected: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expected);
}

const isUpdateId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export function createTelegramWebhook(deps: TelegramWebhookDeps): Router {
  const { secret, botId, db, log } = deps;
  const router = express.Router();
  if (secret === undefined || secret === '') {
    router.post(TELEGRAM_WEBHOOK_PATH, (_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    return router;
  }
  const expected = digest(secret);
  // Concurrent updates are stored by one statement (group commit): one fsync acknowledges many.
  const receive = createReceiver(db);
  const keys = createUpdateKeys({ db, botId, log });

  // Before any body parsing: a forged request costs a header comparison and nothing else.
  const verify: RequestHandler = (req, res, next) => {
    const given = req.get(TELEGRAM_SECRET_HEADER);
    if (!secretMatches(given, expected)) {
      log.warn({ ip: req.ip, header: given === undefined ? 'missing' : 'mismatch' }, 'telegram webhook: bad secret');
      res.status(401).end();
      return;
    }
    next();
  };

  const store: RequestHandler = async (req, res) => {
    const body: unknown = req.body;
    const updateId: unknown =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as { update_id?: unknown }).update_id
        : undefined;
    if (!isUpdateId(updateId)) {
      res.status(400).end();
      return;
    }
    let key: string;
    let stored: boolean;
    try {
      key = await keys.keyOf(updateId);
      ({ stored } = await receive({ key, platform: 'telegram', payload: body as JsonValue }));
    } catch (err) {
      // Not stored, so not acknowledged: Telegram delivers it again.
      log.error({ err, updateId }, 'telegram webhook: could not store the update');
      res.status(503).end();
      return;
    }
    res.status(200).end();
    if (stored) deps.onStored?.(key, body);
    else log.debug({ updateId }, 'telegram webhook: duplicate update');
  };

  // Body parser failures (413 too large, 400 bad JSON) end here, fast and without the body in any log.
  const rejectBadBody: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (res.headersSent) return next(err);
    if (typeof status === 'number' && status >= 400 && status < 500) {
      log.debug({ status, type: (err as { type?: unknown }).type }, 'telegram webhook: bad request body');
      res.status(status).end();
      return;
    }
    next(err);
  };

  router.post(TELEGRAM_WEBHOOK_PATH, verify, express.json({ limit: '1mb' }), store, rejectBadBody);
  return router;
}
