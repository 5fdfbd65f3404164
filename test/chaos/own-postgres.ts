/**
 * A throwaway Postgres cluster of the test's own, for faults the shared server must never see (a hard stop, a
 * restart): initdb and pg_ctl from the Postgres 15 binaries, run as the `postgres` OS user (initdb refuses root),
 * with trust auth, on a free port, its socket and data under one /tmp directory that `destroy` removes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../support/chipin.js';

const run = promisify(execFile);

const BIN = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: a database created for the test. */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop -m <mode>`: `immediate` is a crash (no checkpoint; recovery at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start -w`: resolves once the server accepts connections (after crash recovery). */
  start(): Promise<void>;
  /** Stops the server (immediately) and removes its directory. */
  destroy(): Promise<void>;
}

const asPostgres = (command: string, args: readonly string[]) =>
  run('runuser', ['-u', OS_USER, '--', path.join(BIN, command), ...args], { timeout: 120_000 });

export async function startOwnPostgres(database = 'chipin_chaos'): Promise<OwnPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chipin-pg-'));
  await run('chown', [`${OS_USER}:${OS_USER}`, dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const start = async () => {
    await asPostgres('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  };
  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    stop,
    start,
    async destroy() {
      await stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
