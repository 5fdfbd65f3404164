/**
 * Helpers for the worker tests: Redis connections (the shared server, or a redis-server of the test's
 * own for tests that flush it), a recording log, stub notification ports and outbox row factories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { OutMessage } from '../../bots/commands/types.js';
import type { Locale } from '../../core/people/index.js';
import type { Db } from '../../core/db/executor.js';
import type { Log } from '../../core/log.js';
import type { NotificationTemplate } from '../../core/outbox/index.js';
import type { Directory, Recipient, Renderer } from '../../workers/notify/ports.js';
import type { RedisRole } from '../../workers/redis.js';
import { freePort } from './chipin.js';

/**
 * How the workers deliver due work (workers/driver.ts): BullMQ on Redis, or in-process without Redis. The timed-job,
 * reminder and expiry tests run on both: `describe.each(DRIVERS)`, starting the workers with `redisFor(driver, …)`.
 */
export const DRIVERS = ['bullmq', 'in-process'] as const;
export type DriverName = (typeof DRIVERS)[number];

/** startWorkers' `redis` for `driver`: the given connections, or null (the in-process queues). */
export const redisFor = (driver: DriverName, redis: RedisFactory): RedisFactory | null =>
  driver === 'bullmq' ? redis : null;

/** A key prefix no other test file (or run) shares. */
export const uniquePrefix = (label: string): string =>
  `chipin-test-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

export interface RedisFactory {
  createConnection(role: RedisRole): Redis;
  close(): Promise<void>;
}

/** ioredis connections to `url`, as workers/redis.ts makes them; `close()` ends them all. */
export function redisFactory(url: string): RedisFactory {
  const open = new Set<Redis>();
  return {
    createConnection(role) {
      const client = new Redis(
        url,
        role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, connectTimeout: 2_000 },
      );
      client.on('error', () => undefined);
      open.add(client);
      return client;
    },
    async close() {
      const live = [...open].filter((c) => c.status !== 'end');
      await Promise.all(live.map((c) => c.quit().catch(() => c.disconnect())));
      open.clear();
    },
  };
}

/** Removes every key of `prefix` from the shared Redis (never FLUSHALL there). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export interface OwnRedis {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A redis-server of this test's own on a free port (or `port`: a restart where the last one was), without
 * persistence: safe to FLUSHALL or kill.
 */
export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  port ??= await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    client.disconnect();
    if (up) return { url, child, stop };
    await sleep(50);
  }
  await stop();
  throw new Error('redis-server did not start');
}

export interface LogEntry {
  level: keyof Log;
  obj: Record<string, unknown>;
  msg: string;
}

export function recordingLog(): Log & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: keyof Log) => (obj: object, msg: string) =>
    void entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Renders `key params` as plain text: enough to see which template a message came from. */
export const plainRenderer: Renderer = {
  render: (locale: Locale, template: NotificationTemplate, _options: { timeZone: string }): OutMessage => ({
    text: `[${locale}] ${template.key} ${JSON.stringify(template.params ?? {})}`,
    ...(template.buttons
      ? { buttons: template.buttons.map((row) => row.map((b) => ({ label: b.labelKey, actionId: b.actionId }))) }
      : {}),
  }),
};

/** Every person reachable on Telegram in the private chat `chat-<personId>`, unless `overrides` says otherwise. */
export function fixedDirectory(
  overrides: (personId: bigint) => Partial<Recipient> | null | undefined = () => undefined,
): Directory {
  return {
    resolve(_exec, personId) {
      const o = overrides(personId);
      if (o === null) return Promise.resolve(null);
      return Promise.resolve({
        platform: 'telegram',
        chatId: `chat-${personId}`,
        locale: 'en',
        timezone: 'UTC',
        quietHours: null,
        ...o,
      });
    },
  };
}

/** Inserts `notify` rows in one statement: `[personId, key, dueAt]` each, template `test.note` with `{ n }`. */
export async function insertNotifications(
  db: Db,
  rows: ReadonlyArray<{ personId: bigint | number; key: string; dueAt: Date; n?: number }>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += 5_000) {
    const chunk = rows.slice(i, i + 5_000);
    await db.query(
      `INSERT INTO outbox (key, kind, payload, due_at)
       SELECT k, 'notify', jsonb_build_object('personId', p, 'template', jsonb_build_object('key', 'test.note', 'params', jsonb_build_object('n', n))), d
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS t(k, p, d, n)`,
      [
        chunk.map((r) => r.key),
        chunk.map((r) => String(r.personId)),
        chunk.map((r) => r.dueAt.toISOString()),
        chunk.map((r, j) => String(r.n ?? i + j)),
      ],
    );
  }
}

/** The database clock, in ms since the epoch. */
export async function dbNow(db: Db): Promise<number> {
  const r = await db.query<{ now: number }>(`SELECT (extract(epoch FROM now()) * 1000)::float8 AS now`);
  return Number(r.rows[0]?.now);
}

export async function outboxStates(db: Db, prefix = ''): Promise<Record<string, number>> {
  const r = await db.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE key LIKE $1 GROUP BY state`,
    [`${prefix}%`],
  );
  return Object.fromEntries(r.rows.map((row) => [row.state, Number(row.n)]));
}
