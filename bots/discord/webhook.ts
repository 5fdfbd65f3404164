/**
 * `POST /discord/interactions` (SPEC §4): verify the Ed25519 signature over the raw bytes before any JSON
 * parsing, refuse stale timestamps, answer PING with PONG, store the interaction in the inbox under
 * `dc:<interaction id>` (held: intake.ts), then answer the deferral as the HTTP response (the initial response),
 * and only once that response went out let the processor work. Storing gets STORE_BUDGET_MS (a database short of
 * connections could keep it waiting far beyond Discord's 3 s): past it the answer is a 503 and the interaction is
 * never run, so the user's retry is the only payment. A replayed interaction is answered the same way and does
 * nothing.
 */
import type { KeyObject } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { JsonValue } from '../../core/ledger/model.js';
import type { Log } from '../../core/log.js';
import type { InteractionIntake } from './intake.js';
import { interactionKey, parseInteraction } from './interaction.js';
import { checkSignature, publicKeyFromHex } from './signature.js';

export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';

export interface InteractionsRouteDeps {
  /** DISCORD_PUBLIC_KEY (hex); unset: the route answers 404. */
  publicKey: string | undefined;
  /** Where interactions are stored; its `onAdmitted` gets each one once its deferral went out. */
  intake: InteractionIntake;
  log: Log;
  now?: () => number;
}

export function createInteractionsRoute(deps: InteractionsRouteDeps): Router {
  const { intake, log } = deps;
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
    let stored: 'stored' | 'duplicate' | 'late';
    try {
      stored = await intake.store(inboxKey, json as JsonValue);
    } catch (err) {
      // Not stored, so not acknowledged: the user sees the interaction fail rather than a silent loss.
      log.error({ err, key: inboxKey }, 'discord interactions: could not store the interaction');
      res.status(503).end();
      return;
    }
    if (stored === 'late') {
      log.warn({ key: inboxKey }, 'discord interactions: not stored in time; refused');
      res.status(503).end();
      return;
    }
    if (stored === 'duplicate') {
      log.info({ key: inboxKey }, 'discord interactions: replayed interaction ignored');
      res.json(interaction.initial);
      return;
    }
    // 'finish': the whole response was handed to the network; a connection closed before that never carried it.
    res.once('close', () => {
      if (res.writableFinished) void intake.acknowledged(inboxKey);
      else void intake.notAcknowledged(inboxKey, 'the connection closed before the response went out');
    });
    res.json(interaction.initial);
  };

  // Raw bytes whatever the content type: the signature covers them exactly.
  router.post(DISCORD_INTERACTIONS_PATH, express.raw({ type: () => true, limit: '256kb' }), handle, rejectBadBody);
  return router;
}
