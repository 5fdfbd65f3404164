/**
 * npm run bench:ledger — the ledger against pgbench on the same Postgres, in one invocation.
 *
 * 1. pgbench's built-in tpcb-like script (`pgbench -i -s 10` once, then -c 8 and -c 32, -j 2, -T N).
 * 2. chipin transfers through the real core (createLedger().submit, group commit) with 8 and 32
 *    concurrent clients: uniform over 10,000 wallets, and hot (every transfer credits one fund).
 * Durability as configured: synchronous_commit and fsync are printed, never changed.
 *
 * Env: BENCH_DATABASE_URL (admin URL, default TEST_DATABASE_URL's default), BENCH_SECONDS (20).
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { loadTestEnv } from '../config/env.js';
import { migrate } from '../core/db/migrate.js';
import { createPostgresDb } from '../core/db/postgres.js';
import type { Db } from '../core/db/executor.js';
import { createLedger, openAccount, openSystemAccount, type Ledger } from '../core/ledger/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WALLETS = 10_000;
const adminUrl = process.env.BENCH_DATABASE_URL ?? loadTestEnv().databaseUrl;

function dbUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function recreate(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
}

interface Figure {
  name: string;
  clients: number;
  tps: number;
  p50?: number;
  p99?: number;
  avg?: number;
}

function pgbench(clients: number): Figure {
  const u = new URL(dbUrl('chipin_bench_pgbench'));
  const out = execFileSync(
    'pgbench',
    [
      '-h',
      u.hostname,
      '-p',
      u.port || '5432',
      '-U',
      u.username || 'postgres',
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-n',
      'chipin_bench_pgbench',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const avg = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
  return { name: 'pgbench tpcb-like', clients, tps, avg };
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function chipin(ledger: Ledger, wallets: bigint[], fund: bigint, clients: number, hot: boolean): Promise<Figure> {
  const latencies: number[] = [];
  let refused = 0;
  let seq = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const tag = `${hot ? 'hot' : 'uni'}${clients}`;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const from = wallets[Math.floor(Math.random() * wallets.length)] as bigint;
        let to = hot ? fund : (wallets[Math.floor(Math.random() * wallets.length)] as bigint);
        if (to === from) to = fund;
        const started = performance.now();
        const r = await ledger.submit({
          legs: [
            {
              op: 'transfer',
              ref: `bench:${tag}:${client}:${++seq}`,
              debit: from,
              credit: to,
              amount: 1n,
              kind: 'pay',
            },
          ],
        });
        latencies.push(performance.now() - started);
        if (!r.ok) refused++;
      }
    }),
  );
  await ledger.drain();
  if (refused > 0) console.error(`  (${refused} transfers refused)`);
  latencies.sort((a, b) => a - b);
  return {
    name: `chipin ${hot ? 'hot' : 'uniform'}`,
    clients,
    tps: latencies.length / SECONDS,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

async function setupLedger(db: Db, ledger: Ledger): Promise<{ wallets: bigint[]; fund: bigint }> {
  await migrate(db);
  await db.query(
    `INSERT INTO accounts (kind, owner, currency, guarded) SELECT 'wallet', 'user:bench-' || g, 'USD', true FROM generate_series(1, $1) g`,
    [WALLETS],
  );
  const ids = await db.query<{ id: string }>(`SELECT id FROM accounts WHERE owner LIKE 'user:bench-%' ORDER BY id`);
  const wallets = ids.rows.map((r) => BigInt(r.id));
  const faucet = await openSystemAccount(db, 'faucet', 'USD');
  const fund = await openAccount(db, { kind: 'fund', owner: 'fund:bench', currency: 'USD' });
  await Promise.all(
    wallets.map((w, i) =>
      ledger.submit({
        legs: [
          {
            op: 'transfer',
            ref: `bench:seed:${i}`,
            debit: faucet.id,
            credit: w,
            amount: 1_000_000_00n,
            kind: 'faucet',
          },
        ],
      }),
    ),
  );
  return { wallets, fund: fund.id };
}

const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

async function main(): Promise<void> {
  const figures: Figure[] = [];
  console.error(`bench:ledger — ${SECONDS}s per run on ${new URL(adminUrl).host}`);

  await recreate('chipin_bench_pgbench');
  const u = new URL(dbUrl('chipin_bench_pgbench'));
  execFileSync(
    'pgbench',
    [
      '-h',
      u.hostname,
      '-p',
      u.port || '5432',
      '-U',
      u.username || 'postgres',
      '-i',
      '-s',
      '10',
      '-q',
      'chipin_bench_pgbench',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  for (const c of [8, 32]) {
    console.error(`pgbench -c ${c}…`);
    figures.push(pgbench(c));
  }

  await recreate('chipin_bench');
  const db = createPostgresDb({ connectionString: dbUrl('chipin_bench'), max: 10 });
  const settings = await db.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'server_version')`,
  );
  const ledger = createLedger({ db, maxInFlight: Number(process.env.BENCH_IN_FLIGHT ?? 2) });
  const { wallets, fund } = await setupLedger(db, ledger);
  for (const hot of [false, true]) {
    for (const c of [8, 32]) {
      console.error(`chipin ${hot ? 'hot' : 'uniform'} -c ${c}…`);
      figures.push(await chipin(ledger, wallets, fund, c, hot));
    }
  }
  await db.close();

  const base = new Map(figures.filter((f) => f.name.startsWith('pgbench')).map((f) => [f.clients, f.tps]));
  console.log(
    `Postgres ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}; ${SECONDS}s per run; 2 cores`,
  );
  console.log('| run | clients | transfers/s (tps) | p50 ms | p99 ms | ratio to pgbench |');
  console.log('|---|---|---|---|---|---|');
  for (const f of figures) {
    const ratio = f.tps / (base.get(f.clients) ?? NaN);
    const p50 = f.p50 ?? f.avg;
    console.log(
      `| ${f.name} | ${f.clients} | ${fmt(f.tps, 0)} | ${fmt(p50)}${f.p50 === undefined ? ' (avg)' : ''} | ${fmt(f.p99)} | ${fmt(ratio, 2)}× |`,
    );
  }
  const uni32 = figures.find((f) => f.name === 'chipin uniform' && f.clients === 32)?.tps ?? NaN;
  const hot32 = figures.find((f) => f.name === 'chipin hot' && f.clients === 32)?.tps ?? NaN;
  console.log(
    `targets: uniform@32 ≥ 1.5× pgbench@32: ${fmt(uni32 / (base.get(32) ?? NaN), 2)}×; hot@32 ≥ 0.8× uniform@32: ${fmt(hot32 / uni32, 2)}×`,
  );
}

await main();
