/**
 * `POST /discord/interactions` (SPEC §4): verify the Ed25519 signature over the raw bytes before any JSON
 * parsing, refuse stale timestamps, answer PING with PONG, store the interaction in the inbox under
 * `dc:<interaction id>`, then answer the deferral as the HTTP response (the initial response, well within 3 s),
 * and only then let the processor work. A replayed interaction is answered the same way and does nothing.
 */
import type { KeyObject } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Db } from '../../core/db/executor.js';
import { createReceiver } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/ledger/model.js';
import type { Log } from '../../core/log.js';
import { interactionKey, parseInteraction } from './interaction.js';
import { checkSignature, publicKeyFromHex } from './signature.js';

export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';

export interface InteractionsRouteDeps {
  /** DISCORD_PUBLIC_KEY (hex); unset: the route answers 404. */
  publicKey: string | undefined;
  db: Db;
  log: Log;
  /** Called with the inbox key of each newly stored interaction, after the response went out. */
  onStored?: (key: string) => void;
  now?: () => number;
}

export function createInteractionsRoute(deps: InteractionsRouteDeps): Router {
  const { db, log } = deps;
  const receive = createReceiver(db);
  const now = deps.now ?? Date.now;
  const router = express.Router();
  if (deps.publicKey === undefined || deps.publicKey === '') {
    router.post(DISCORD_INTERACTIONS_PATH, (_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    return router;
  }
  const key: KeyObject = publicKeyFromHex(deps.publicKey);

  const rejectBadBody: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (res.headersSent) return next(err);
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).end();
      return;
    }
    next(err);
  };

  const handle: RequestHandler = async (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSignature({
      key,
      signature: req.get('x-signature-ed25519'),
      timestamp: req.get('x-signature-timestamp'),
      body,
      now: now(),
    });
    if (!check.ok) {
      log.warn({ ip: req.ip, reason: check.reason }, 'discord interactions: bad signature');
      res.status(401).end();
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      res.status(400).end();
      return;
    }
    const interaction = parseInteraction(json);
    if (interaction.kind === 'ping') {
      res.json({ type: 1 });
      return;
    }
    if (interaction.kind === 'ignored') {
      log.info({ reason: interaction.reason }, 'discord interactions: not handled');
      if (interaction.reason === 'autocomplete') res.json({ type: 8, data: { choices: [] } });
      else res.status(400).end();
      return;
    }
    const inboxKey = interactionKey(interaction.ref.id);
    let stored: boolean;
    try {
      ({ stored } = await receive({ key: inboxKey, platform: 'discord', payload: json as JsonValue }));
    } catch (err) {
      // Not stored, so not acknowledged: the user sees the interaction fail rather than a silent loss.
      log.error({ err, key: inboxKey }, 'discord interactions: could not store the interaction');
      res.status(503).end();
      return;
    }
    res.json(interaction.initial);
    if (stored) deps.onStored?.(inboxKey);
    else log.info({ key: inboxKey }, 'discord interactions: replayed interaction ignored');
  };

  // Raw bytes whatever the content type: the signature covers them exactly.
  router.post(DISCORD_INTERACTIONS_PATH, express.raw({ type: () => true, limit: '256kb' }), handle, rejectBadBody);
  return router;
}
