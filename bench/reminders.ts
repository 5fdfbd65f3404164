/**
 * npm run bench:reminders — 100,000 reminders due at the same moment (issue 4).
 *
 * 1. bare: the same count of no-op BullMQ jobs, delayed to one moment, processed by a bare Worker.
 * 2. chipin: outbox rows of kind `notify` (one person each, so no digest merges them) due at one
 *    moment, through the real path: relay → one delayed tick job for that second → notifications worker
 *    draining the due rows in batch transactions (rows locked, `sent_messages` written, rows done, one
 *    fsync'd commit) → a no-op Sender.
 *    Platform rate limits off (they would cap it at 25/s).
 * Lateness runs from the due moment to the job done (bare) or the message handed to the Sender
 * (chipin). Both runs use the same worker concurrency, Redis and process. While each run processes,
 * the CPU time of this process, of Postgres and of Redis is read from /proc (Linux): what a small
 * box spends where.
 *
 * Env: BENCH_REMINDERS (100000), BENCH_CONCURRENCY (256, both runs), BENCH_BATCHES (the notifier's
 * batches in flight, default its own), BENCH_DATABASE_URL (admin URL, default TEST_DATABASE_URL's),
 * BENCH_REDIS_URL (default TEST_REDIS_URL's; only keys under a fresh prefix, removed after), BENCH_ONLY=chipin (skip
 * the bare run, e.g. to profile chipin's path).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadTestEnv } from '../config/env.js';
import { migrate } from '../core/db/migrate.js';
import { createPostgresDb } from '../core/db/postgres.js';
import { silentLog } from '../core/log.js';
import { startWorkers } from '../workers/index.js';
import type { RedisRole } from '../workers/redis.js';
import { procStat } from './proc.js';

const N = Number(process.env.BENCH_REMINDERS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const BATCHES = process.env.BENCH_BATCHES ? Number(process.env.BENCH_BATCHES) : undefined;
const testEnv = loadTestEnv();
const adminUrl = process.env.BENCH_DATABASE_URL ?? testEnv.databaseUrl;
const redisUrl = process.env.BENCH_REDIS_URL ?? testEnv.redisUrl;
const DB_NAME = 'chipin_bench_reminders';

type Cpu = Record<'node' | 'postgres' | 'redis' | 'other', number>;

interface Figure {
  name: string;
  /** Jobs per second, from the due moment to the last one done. */
  rate: number;
  p50: number;
  p99: number;
  max: number;
  /** How long before the due moment every job was in place (ms); negative: the enqueueing was late. */
  headroomMs: number;
  /** Event-loop utilization of this process while processing (1 = never idle). */
  busy: number;
  /** CPU seconds spent while processing. */
  cpu: Cpu;
}

const pct = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * CPU seconds so far (Linux /proc) of this process, of the Postgres backends serving the bench
 * database (by their process title) and of redis-server processes; `other` is everything else alive.
 */
function cpuNow(): Cpu {
  const out: Cpu = { node: 0, postgres: 0, redis: 0, other: 0 };
  let dirs: string[] = [];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of dirs) {
    const stat = procStat(pid);
    if (!stat) continue; // the process ended meanwhile
    const { name, cpuSeconds: seconds } = stat;
    try {
      const title = name.startsWith('postgres') ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      const key: keyof Cpu =
        pid === String(process.pid)
          ? 'node'
          : title.includes(DB_NAME)
            ? 'postgres'
            : name.startsWith('redis')
              ? 'redis'
              : 'other';
      out[key] += seconds;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** From `dueAt` until `done`: event-loop utilization and CPU seconds per process group. */
async function measure(dueAt: number, done: Promise<void>): Promise<{ busy: number; cpu: Cpu }> {
  let start: { elu: ReturnType<typeof performance.eventLoopUtilization>; cpu: Cpu } | undefined;
  const timer = setTimeout(
    () => (start = { elu: performance.eventLoopUtilization(), cpu: cpuNow() }),
    Math.max(0, dueAt - Date.now()),
  );
  await done;
  clearTimeout(timer);
  const end = cpuNow();
  if (!start) return { busy: NaN, cpu: end };
  const from = start.cpu;
  return {
    busy: performance.eventLoopUtilization(start.elu).utilization,
    cpu: {
      node: end.node - from.node,
      postgres: end.postgres - from.postgres,
      redis: end.redis - from.redis,
      other: end.other - from.other,
    },
  };
}

function figure(
  name: string,
  dueAt: number,
  lateness: Float64Array,
  lastAt: number,
  headroomMs: number,
  m: { busy: number; cpu: Cpu },
): Figure {
  const sorted = lateness.slice().sort();
  return {
    name,
    rate: sorted.length / ((lastAt - dueAt) / 1000),
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    headroomMs,
    ...m,
  };
}

function connections() {
  const open: Redis[] = [];
  return {
    createConnection(role: RedisRole): Redis {
      const c = new Redis(redisUrl, role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
      open.push(c);
      return c;
    },
    async close() {
      await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

async function dropKeys(prefix: string): Promise<void> {
  const client = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** N no-op jobs delayed to one moment, processed by a bare Worker. */
async function bare(): Promise<Figure> {
  const prefix = `chipin-bench-bare-${process.pid}`;
  const redis = connections();
  const queue = new Queue('bare', { connection: redis.createConnection('worker'), prefix });
  const dueAt = Date.now() + Math.max(10_000, N / 8);
  for (let i = 0; i < N; i += 1_000) {
    const delay = dueAt - Date.now();
    await queue.addBulk(
      Array.from({ length: Math.min(1_000, N - i) }, (_, j) => ({
        name: 'noop',
        data: { i: i + j },
        opts: { jobId: `bare-${i + j}`, delay, removeOnComplete: true },
      })),
    );
  }
  const headroomMs = dueAt - Date.now();
  const lateness = new Float64Array(N);
  let done = 0;
  let lastAt = 0;
  const finished = deferred();
  const worker = new Worker(
    'bare',
    () => {
      lastAt = Date.now();
      lateness[done++] = lastAt - dueAt;
      if (done === N) finished.resolve();
      return Promise.resolve();
    },
    { connection: redis.createConnection('worker'), prefix, concurrency: CONCURRENCY },
  );
  const m = await measure(dueAt, finished.promise);
  await worker.close();
  await queue.close();
  await redis.close();
  await dropKeys(prefix);
  return figure('bare BullMQ Worker, no-op jobs', dueAt, lateness, lastAt, headroomMs, m);
}

/** N notify outbox rows due at one moment, through relay, notifications worker and a no-op Sender. */
async function chipin(): Promise<Figure> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(adminUrl);
  url.pathname = `/${DB_NAME}`;
  const db = createPostgresDb({ connectionString: url.toString(), max: 10, applicationName: 'chipin-bench' });
  await migrate(db);

  const dueAt = Math.ceil((Date.now() + Math.max(15_000, N / 4)) / 1000) * 1000;
  for (let i = 0; i < N; i += 10_000) {
    const people = Array.from({ length: Math.min(10_000, N - i) }, (_, j) => i + j);
    await db.query(
      `INSERT INTO outbox (key, kind, payload, due_at)
       SELECT 'notify:bench:' || p, 'notify',
              jsonb_build_object('personId', p::text, 'template', jsonb_build_object('key', 'reminder.iou_due', 'params', jsonb_build_object('n', p::text))),
              $2
         FROM unnest($1::bigint[]) AS p`,
      [people, new Date(dueAt).toISOString()],
    );
  }
  // Autovacuum analyzes a table this busy within a minute; these reminders are due sooner than that.
  await db.query('ANALYZE outbox');

  const lateness = new Float64Array(N);
  let sent = 0;
  let lastAt = 0;
  const finished = deferred();
  const prefix = `chipin-bench-${process.pid}`;
  const redis = connections();
  const workers = await startWorkers({
    db,
    redis,
    log: silentLog,
    handlers: {},
    notifier: {
      directory: {
        resolve: (_exec, personId) =>
          Promise.resolve({
            platform: 'telegram',
            chatId: String(personId),
            locale: 'en',
            timezone: 'UTC',
            quietHours: null,
          }),
      },
      renderer: { render: (_locale, template) => ({ text: `${template.key} ${template.params?.n ?? ''}` }) },
      senders: {
        telegram: {
          send() {
            lastAt = Date.now();
            lateness[sent++] = lastAt - dueAt;
            if (sent === N) finished.resolve();
            return Promise.resolve({ messageId: String(sent) });
          },
        },
      },
    },
    prefix,
    rates: { perChatMs: 0, globalPerSecond: 0 },
    concurrency: { notifications: CONCURRENCY },
    ...(BATCHES ? { notifierOptions: { inFlight: BATCHES } } : {}),
  });
  let headroomMs = -Infinity;
  while (Date.now() < dueAt + 60_000) {
    const r = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE enqueued_at IS NULL`);
    if (Number(r.rows[0]?.n) === 0) {
      headroomMs = dueAt - Date.now();
      break;
    }
    await sleep(100);
  }
  const m = await measure(dueAt, finished.promise);
  await workers.stop(); // lets the last batches commit
  const check = await db.query(
    `SELECT (SELECT count(*)::int FROM outbox WHERE state = 'done') AS done, (SELECT count(*)::int FROM sent_messages) AS records`,
  );
  await redis.close();
  await dropKeys(prefix);
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  const { done, records } = check.rows[0] as { done: number; records: number };
  if (done !== N || records !== N)
    throw new Error(`expected ${N} rows done and recorded, got ${done} done, ${records} records`);
  return figure('chipin: outbox → relay → notifications worker → Sender', dueAt, lateness, lastAt, headroomMs, m);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpu = (c: Cpu) => `${c.node.toFixed(1)} / ${c.postgres.toFixed(1)} / ${c.redis.toFixed(1)}`;

console.error(`bench:reminders: ${N.toLocaleString('en')} due at one moment, worker concurrency ${CONCURRENCY}`);
// BENCH_ONLY=chipin skips the bare run (profiling chipin's path alone); the comparison then has nothing to compare.
const b = process.env.BENCH_ONLY === 'chipin' ? undefined : await bare();
const c = await chipin();
if (!b) {
  console.log(`chipin alone: ${Math.round(c.rate).toLocaleString('en')}/s, p99 ${(c.p99 / 1000).toFixed(2)} s`);
  process.exit(0);
}
const ratio = c.rate / b.rate;
const p99Target = (N / 10_000) * 1000;
console.log(
  [
    `| run (${N.toLocaleString('en')} due at once, concurrency ${CONCURRENCY}) | processed/s | lateness p50 | p99 | max | queued before due by | event loop busy | CPU s: node / postgres backends / redis |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
    ...[b, c].map(
      (f) =>
        `| ${f.name} | ${Math.round(f.rate).toLocaleString('en')} | ${s(f.p50)} | ${s(f.p99)} | ${s(f.max)} | ${s(f.headroomMs)} | ${Math.round(f.busy * 100)}% | ${cpu(f.cpu)} |`,
    ),
    '',
    `- chipin rate / bare rate: ${ratio.toFixed(2)} (target ≥ 0.70: ${ratio >= 0.7 ? 'met' : 'not met'})`,
    `- chipin p99 lateness ${s(c.p99)} for ${N.toLocaleString('en')} due (target ≤ ${s(p99Target)}: ${c.p99 <= p99Target ? 'met' : 'not met'}; bare: ${s(b.p99)})`,
    `- Node ${process.versions.node}, ${cpus().length} CPUs; every row done, each recorded once in sent_messages`,
  ].join('\n'),
);
process.exit(0);
