/**
 * The one place chipin connects to Redis (SPEC §2). `resolveRedis` finds the server — REDIS_URL (never a
 * silent fallback), else 127.0.0.1:6379, else a private redis-server on a unix socket in DATA_DIR — and
 * refuses one that may evict queue keys. Every ioredis connection then comes from `createConnection`.
 * `resolveRedisOrNone` adds the one case without Redis: embedded PGlite (one process) runs its timed work in-process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import type { Log } from '../core/log.js';

export type RedisRole = 'worker' | 'producer';

/** Where the server came from: the REDIS_URL variable, the default local port, or a redis-server of our own. */
export type RedisSource = 'REDIS_URL' | 'local' | 'private';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** No Redis at all: REDIS_URL unset, nothing answering on the local address, no redis-server on PATH. */
export class NoRedisError extends RedisUnavailableError {
  override name = 'NoRedisError';
}

export interface RedisSettings {
  readonly redisUrl: string | undefined;
  /** Absolute; holds the private server's socket and append-only files. */
  readonly dataDir: string;
}

export interface ResolveOptions {
  /** Tried when REDIS_URL is unset. */
  readonly localUrl?: string;
  /** The redis-server executable looked up on PATH. */
  readonly redisServer?: string;
  /** How long REDIS_URL has to answer PING. */
  readonly timeoutMs?: number;
}

export interface RedisHandle {
  readonly source: RedisSource;
  /** Without credentials: `redis://host:port/db` or a socket path. */
  readonly address: string;
  /**
   * A new connection. Workers wait out an outage (`maxRetriesPerRequest: null`, as BullMQ requires);
   * producers and health checks fail fast instead of queueing commands in memory.
   */
  createConnection(role: RedisRole): Redis;
  /** Closes every connection made here, then stops the private redis-server if this process started it. */
  close(): Promise<void>;
}

type Target = { readonly url: string } | { readonly path: string };

const ROLE_OPTIONS: Readonly<Record<RedisRole, RedisOptions>> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 },
};

export const NO_REDIS_MESSAGE =
  'no Redis: REDIS_URL is unset, nothing answers on 127.0.0.1:6379 and redis-server is not on PATH; ' +
  'install Redis (apt install redis-server, brew install redis) or set REDIS_URL';

/** Longest unix socket path every platform accepts (sun_path is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 103;

function targetOf(text: string): Target {
  if (text.startsWith('unix:')) return { path: new URL(text).pathname };
  return path.isAbsolute(text) ? { path: text } : { url: text };
}

function describe(target: Target): string {
  if ('path' in target) return target.path;
  try {
    const u = new URL(target.url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'redis';
  }
}

function connect(target: Target, options: RedisOptions): Redis {
  return 'path' in target ? new Redis({ ...options, path: target.path }) : new Redis(target.url, options);
}

/** Waits for `promise` at most `ms`; true when it settled in time. The timer never outlives the wait. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

/** A connected client that answered PING within `timeoutMs`, or a rejection with the real reason. */
async function probe(target: Target, timeoutMs: number): Promise<Redis> {
  const client = connect(target, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
    return client;
  } catch (err) {
    if (client.status !== 'end') client.disconnect(); // see closeConnection
    // connect() rejects with a bare "Connection is closed."; the error event says why.
    throw lastError ?? err;
  } finally {
    clearTimeout(timer);
  }
}

/** A server setting through CONFIG GET, or through INFO where CONFIG is disabled (managed Redis). */
async function setting(
  client: Redis,
  name: string,
  infoSection: string,
  infoField: string,
): Promise<string | undefined> {
  try {
    const reply = await client.call('CONFIG', 'GET', name);
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  } catch {
    // fall through to INFO
  }
  const info = await client.info(infoSection);
  return new RegExp(`^${infoField}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Why this server may evict queue keys (its maxmemory-policy is not `noeviction`), or undefined when it may not.
 * Checked at start and after every reconnect (a failover can land on a server with another policy).
 */
export async function evictionRisk(client: Redis, where: string): Promise<string | undefined> {
  const policy = await setting(client, 'maxmemory-policy', 'memory', 'maxmemory_policy');
  if (policy === 'noeviction') return undefined;
  return (
    `Redis at ${where} has maxmemory-policy ${policy ?? '(unreadable)'}; chipin needs noeviction, ` +
    'the only policy under which queued jobs are never evicted (set maxmemory-policy noeviction)'
  );
}

/** Refuses a server that may evict queue keys; warns when it keeps no append-only file. */
async function checkSettings(client: Redis, where: string, log: Log): Promise<void> {
  const risk = await evictionRisk(client, where);
  if (risk !== undefined) throw new RedisUnavailableError(risk);
  const aof = await setting(client, 'appendonly', 'persistence', 'aof_enabled');
  if (aof === 'no' || aof === '0') {
    log.warn(
      { redis: where },
      'Redis runs with appendonly no: jobs queued since its last save are lost if it stops (the outbox sweeper re-enqueues them)',
    );
  }
}

interface PrivateServer {
  stop(): Promise<void>;
}

/** Starts `redis-server` on a unix socket in dataDir (no TCP port, append-only file on) and waits until it answers. */
async function startPrivateServer(command: string, dataDir: string, socket: string, log: Log): Promise<PrivateServer> {
  if (socket.length > MAX_SOCKET_PATH) {
    throw new RedisUnavailableError(
      `DATA_DIR is too long for a unix socket (${socket}); use a shorter DATA_DIR or set REDIS_URL`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const args = [
    '--unixsocket',
    socket,
    '--unixsocketperm',
    '700',
    '--port',
    '0',
    '--appendonly',
    'yes',
    '--dir',
    dataDir,
  ];
  // Detached: Ctrl-C in a terminal reaches the whole foreground group; the server must outlive our own shutdown steps.
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line.trim());
      if (output.length > 20) output.shift();
      log.debug({ redisServer: line.trim() }, 'private redis-server');
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawnError) {
    if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw new NoRedisError(NO_REDIS_MESSAGE);
    throw new RedisUnavailableError(`could not start redis-server: ${reasonOf(spawnError)}`);
  }
  // A forced exit (second signal, crash) must not leave our server running.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const server: PrivateServer = {
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };

  for (const started = Date.now(); Date.now() - started < 10_000; await sleep(100)) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const client = await probe({ path: socket }, 500).catch(() => undefined);
    if (client) {
      client.disconnect();
      log.info({ socket, pid: child.pid }, 'started a private redis-server');
      return server;
    }
  }
  await server.stop();
  const last = output.at(-1) ?? 'no output';
  throw new RedisUnavailableError(
    `the private redis-server did not start (${last}); set REDIS_URL to use another Redis`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM'); // redis-server flushes its append-only file and exits
  if (!(await within(exited, 5_000))) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  const ended = once(client, 'end');
  if (client.status === 'ready' && (await within(client.quit(), 1_000)) && (await within(ended, 1_000))) return;
  // Not on a closed connection: ioredis would arm a 2 s timer that nothing clears, holding the process open.
  client.disconnect();
  await within(ended, 1_000);
}

function handle(target: Target, source: RedisSource, log: Log, server?: PrivateServer): RedisHandle {
  const address = describe(target);
  const open = new Set<Redis>();
  return {
    source,
    address,
    createConnection(role) {
      const client = connect(target, { ...ROLE_OPTIONS[role], connectionName: `chipin-${role}` });
      open.add(client);
      let healthy = true;
      client.on('error', (err: Error) => {
        if (!healthy) return;
        healthy = false;
        log.warn({ err, role, redis: address }, 'Redis connection lost; reconnecting');
      });
      client.on('ready', () => {
        if (healthy) return;
        healthy = true;
        log.info({ role, redis: address }, 'Redis connection restored');
      });
      client.once('end', () => open.delete(client));
      return client;
    },
    async close() {
      await Promise.all([...open].map(closeConnection));
      open.clear();
      await server?.stop();
    },
  };
}

/** Finds Redis per SPEC §2 and checks its settings; throws RedisUnavailableError with a one-line reason. */
export async function resolveRedis(
  settings: RedisSettings,
  log: Log,
  options: ResolveOptions = {},
): Promise<RedisHandle> {
  let target: Target;
  let source: RedisSource;
  let client: Redis;
  let server: PrivateServer | undefined;

  if (settings.redisUrl !== undefined) {
    target = targetOf(settings.redisUrl);
    source = 'REDIS_URL';
    const timeoutMs = options.timeoutMs ?? 3_000;
    try {
      client = await probe(target, timeoutMs);
    } catch (err) {
      throw new RedisUnavailableError(
        `REDIS_URL (${describe(target)}) did not answer PING within ${timeoutMs / 1000} s (${reasonOf(err)}); ` +
          'start that Redis or correct REDIS_URL',
      );
    }
  } else {
    const local = targetOf(options.localUrl ?? 'redis://127.0.0.1:6379');
    const socket = path.join(settings.dataDir, 'redis.sock');
    const found = await probe(local, 1_000).catch(() => undefined);
    if (found) {
      [target, source, client] = [local, 'local', found];
    } else {
      target = { path: socket };
      source = 'private';
      // One left running by a process that was killed: reuse it (two servers on one --dir would share its files).
      const orphan = await probe(target, 300).catch(() => undefined);
      if (orphan) log.info({ socket }, 'reusing the private redis-server already running in DATA_DIR');
      server = orphan
        ? undefined
        : await startPrivateServer(options.redisServer ?? 'redis-server', settings.dataDir, socket, log);
      client =
        orphan ??
        (await probe(target, 1_000).catch(async (err: unknown) => {
          await server?.stop();
          throw new RedisUnavailableError(`the private redis-server stopped answering: ${reasonOf(err)}`);
        }));
    }
  }

  const where = source === 'REDIS_URL' ? `REDIS_URL (${describe(target)})` : describe(target);
  try {
    await checkSettings(client, where, log);
  } catch (err) {
    await server?.stop();
    if (err instanceof RedisUnavailableError) throw err;
    throw new RedisUnavailableError(`could not read the settings of Redis at ${where}: ${reasonOf(err)}`);
  } finally {
    await closeConnection(client);
  }
  log.info({ redis: describe(target), source }, 'Redis ready');
  return handle(target, source, log, server);
}

/** How `chipin start` says, once, that it runs without Redis and why. */
export const inProcessMessage = (local: string): string =>
  `no Redis found (REDIS_URL is unset, nothing answers on ${local}, redis-server is not on PATH): ` +
  'timed work runs in this process over the Postgres outbox; one process only, as embedded PGlite allows. ' +
  'Install Redis or set REDIS_URL to run several processes';

/**
 * `resolveRedis`, except that with no Redis at all and the ledger on embedded PGlite (no DATABASE_URL, already one
 * process) it returns null: the timed work runs in-process (workers/driver.ts), logged once here. With DATABASE_URL
 * set (several processes may share that database) no Redis is still an error; REDIS_URL set and silent always is.
 */
export async function resolveRedisOrNone(
  settings: RedisSettings & { readonly databaseUrl: string | undefined },
  log: Log,
  options: ResolveOptions = {},
): Promise<RedisHandle | null> {
  try {
    return await resolveRedis(settings, log, options);
  } catch (err) {
    if (!(err instanceof NoRedisError)) throw err;
    if (settings.databaseUrl !== undefined) {
      throw new RedisUnavailableError(
        `${err.message}, or leave DATABASE_URL unset to run on embedded Postgres without Redis (one process)`,
      );
    }
    const local = describe(targetOf(options.localUrl ?? 'redis://127.0.0.1:6379')).replace(/^redis:\/\//, '');
    log.warn({ jobs: 'in-process' }, inProcessMessage(local));
    return null;
  }
}
