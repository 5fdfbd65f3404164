/**
 * `/admin/queues` (SPEC §4): Bull Board (@bull-board/express over every queue) behind HTTP Basic auth
 * (any user name, password ADMIN_TOKEN), absent (404) when ADMIN_TOKEN is unset. Dead letters live in
 * Postgres (the outbox), not in Redis, so they have a JSON route of their own under the same guard:
 * `/admin/queues/api/dead-letters` (the latest dead letters and the job counts per queue). Without Redis the jobs
 * run in this process (workers/in-process.ts): there is no board, /admin/queues answers 404 saying so, and the dead
 * letters route counts the in-process queues.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler } from 'express';
import type { RouteInstaller } from '../bots/http.js';
import type { Db } from '../core/db/executor.js';
import { deadLetters } from '../core/outbox/index.js';
import { QUEUE_NAMES, type BullQueues, type Queues } from './queues.js';

export const ADMIN_QUEUES_PATH = '/admin/queues';
export const DEAD_LETTERS_PATH = `${ADMIN_QUEUES_PATH}/api/dead-letters`;

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

export const NO_BOARD_MESSAGE =
  'no queues to show: without Redis the timed work runs in this process (see the dead letters at ' +
  `${DEAD_LETTERS_PATH})`;

export function adminQueuesRoute(deps: {
  adminToken: string | undefined;
  /** The job counts of the dead letters route. */
  queues: Queues;
  /** The BullMQ queues Bull Board shows; null when the jobs run in-process. */
  board: BullQueues | null;
  db: Db;
}): RouteInstaller {
  return (app) => {
    if (!deps.adminToken) return;
    const guard = basicAuth(deps.adminToken);
    app.get(DEAD_LETTERS_PATH, guard, async (_req, res) => {
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
    const queues = deps.board;
    if (!queues) {
      app.use(ADMIN_QUEUES_PATH, guard, (_req, res) => void res.status(404).json({ error: NO_BOARD_MESSAGE }));
      return;
    }
    const board = new ExpressAdapter();
    board.setBasePath(ADMIN_QUEUES_PATH);
    createBullBoard({
      queues: QUEUE_NAMES.map((name) => new BullMQAdapter(queues[name], { readOnlyMode: false })),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'chipin queues' } },
    });
    app.use(ADMIN_QUEUES_PATH, guard, board.getRouter() as RequestHandler);
  };
}
