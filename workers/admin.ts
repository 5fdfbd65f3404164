/**
 * `/admin/queues` (SPEC §4): behind HTTP Basic auth (any user name, password ADMIN_TOKEN), absent
 * (404) when ADMIN_TOKEN is unset. Until Bull Board (@bull-board/express + @bull-board/api) is
 * installed, it serves a read-only JSON overview: job counts per queue and the latest dead letters.
 * With Bull Board, mount its ExpressAdapter router (base path /admin/queues) behind the same guard.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { RouteInstaller } from '../bots/http.js';
import type { Db } from '../core/db/executor.js';
import { deadLetters } from '../core/outbox/index.js';
import { QUEUE_NAMES, type Queues } from './queues.js';

export const ADMIN_QUEUES_PATH = '/admin/queues';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Basic auth with any user name and `token` as the password; compared in constant time (over digests, so lengths leak nothing). */
export function basicAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (match && colon >= 0 && timingSafeEqual(digest(password), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Basic realm="chipin admin", charset="UTF-8"');
    res.status(401).json({ error: 'unauthorized' });
  };
}

export function adminQueuesRoute(deps: { adminToken: string | undefined; queues: Queues; db: Db }): RouteInstaller {
  return (app) => {
    if (!deps.adminToken) return;
    app.get(ADMIN_QUEUES_PATH, basicAuth(deps.adminToken), async (_req, res) => {
      const counts = await Promise.all(
        QUEUE_NAMES.map(
          async (name) =>
            [
              name,
              await deps.queues[name].getJobCounts(
                'waiting',
                'delayed',
                'active',
                'prioritized',
                'failed',
                'completed',
              ),
            ] as const,
        ),
      );
      const dead = await deadLetters(deps.db, 50);
      res.set('Cache-Control', 'no-store');
      res.json({ queues: Object.fromEntries(counts), deadLetters: dead });
    });
  };
}
