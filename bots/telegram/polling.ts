/**
 * Long polling (no TELEGRAM_WEBHOOK_SECRET) with telegraf's poller. Its only middleware stores each update in the
 * inbox, exactly as the webhook does, so processing is the same in both modes. telegraf confirms a batch (the
 * next getUpdates offset) once every handler of the batch has settled, and confirms it too when a handler throws,
 * so the store never throws. It retries until the update is stored, and at shutdown with the database
 * still down it never settles, leaving the batch unconfirmed for the next start.
 */
import type { Telegraf } from 'telegraf';
import type { Db } from '../../core/db/executor.js';
import { createReceiver } from '../../core/inbox/index.js';
import type { JsonValue } from '../../core/ledger/model.js';
import type { Log } from '../../core/log.js';
import { apiFailure, logFields } from './errors.js';
import { createUpdateKeys } from './keys.js';

// chat_member: joins and leaves of group members; poll_answer: votes on native polls.
export const ALLOWED_UPDATES = ['message', 'callback_query', 'chat_member', 'poll_answer'] as const;

export interface PollingDeps {
  bot: Telegraf;
  db: Db;
  log: Log;
  botId: string;
  /** Called with the inbox key of each newly stored update (and the update), in the order of the batch. */
  onStored: (key: string, update: unknown) => void;
  /** Longest wait between two store attempts while the database is down. Default 10 s. */
  maxStoreBackoffMs?: number;
}

export interface Polling {
  /** Stops fetching; waits (at most `timeoutMs`) for the current batch to be stored and confirmed. */
  stop(timeoutMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function startPolling(deps: PollingDeps): Polling {
  const { bot, db, log, botId } = deps;
  const receive = createReceiver(db);
  const keys = createUpdateKeys({ db, botId, log });
  const maxBackoffMs = deps.maxStoreBackoffMs ?? 10_000;
  let stopping = false;

  /** Stores the update under its key (keys.ts); resolves with the key when it was new, else undefined. */
  async function store(updateId: number, payload: JsonValue): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      let key: string | undefined;
      try {
        key = await keys.keyOf(updateId);
        return (await receive({ key, platform: 'telegram', payload })).stored ? key : undefined;
      } catch (err) {
        if (stopping) {
          log.error(
            { err, key },
            'telegram polling: update not stored at shutdown; left unconfirmed for the next start',
          );
          return new Promise<undefined>(() => {}); // deliberately never settles: telegraf must not confirm the batch
        }
        log.warn({ err, key, attempt }, 'telegram polling: could not store the update; retrying');
        await sleep(Math.min(250 * 2 ** attempt, maxBackoffMs));
      }
    }
  }

  // telegraf starts the handlers of a batch together, in update order; chaining the stores keeps that order for
  // the processor (a chat's messages are processed in the order they were stored).
  let previous: Promise<unknown> = Promise.resolve();
  bot.use(async (ctx) => {
    const mine = previous.then(() => store(ctx.update.update_id, ctx.update as unknown as JsonValue));
    previous = mine;
    const key = await mine;
    if (key !== undefined) deps.onStored(key, ctx.update);
  });
  // The outermost net: telegraf's default prints the whole update with console.error and rethrows.
  bot.catch((err, ctx) => {
    log.error({ updateId: ctx.update.update_id, ...logFields(err) }, 'telegram polling: update handler failed');
  });

  const running = bot.launch({ allowedUpdates: [...ALLOWED_UPDATES] }).then(
    () => log.info({}, 'telegram: long polling stopped'),
    (err: unknown) => {
      const failure = apiFailure(err);
      if (failure?.code === 409) {
        log.error(
          { ...logFields(err) },
          'telegram: another process is receiving updates for this bot (409 Conflict: a second poller or a webhook); long polling stopped',
        );
      } else if (failure?.code === 401) {
        log.error({ ...logFields(err) }, 'telegram: the bot token was rejected (401); long polling stopped');
      } else {
        log.error({ ...logFields(err) }, 'telegram: long polling failed and stopped');
      }
    },
  );

  let settled = false;
  void running.finally(() => {
    settled = true;
  });

  return {
    async stop(timeoutMs = 10_000) {
      stopping = true;
      const deadline = Date.now() + timeoutMs;
      // telegraf creates its poller only after launch's deleteWebhook call returns; until then stop() throws.
      while (!settled && Date.now() < deadline) {
        try {
          bot.stop('shutdown');
          break;
        } catch {
          await sleep(25);
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
      await Promise.race([running, timeout]);
      clearTimeout(timer);
    },
  };
}
