/**
 * The chipin CLI (SPEC §2). `start` runs the app composed in app.ts; `migrate` and `check` open the
 * database only. Every command returns its exit code, so tests can run them in-process too.
 */
import { pathToFileURL } from 'node:url';
import type { DestinationStream } from 'pino';
import { REST } from 'discord.js';
import { ROLES, startApp, stripeOf, type App } from './app.js';
import { discordFailure, registerCommands } from './bots/discord/index.js';
import { ConfigError, durationMs, loadConfig, type Config, type Env } from './config/env.js';
import { createLogger, type Logger } from './config/logger.js';
import type { Db } from './core/db/executor.js';
import { pendingMigrations } from './core/db/migrate.js';
import { DataDirLockedError, DatabaseUnavailableError, openDatabase } from './core/db/open.js';
import { audit, createLedger, type AuditExtension, type AuditReport } from './core/ledger/index.js';
import { systemAudit } from './core/audit/system.js';
import { cashierAudit, createCashier, type ReconcileReport } from './core/cashier/index.js';
import { RedisUnavailableError } from './workers/redis.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read instead of process.env and `.env` (tests). */
  readonly env?: Env;
  /** Where logs go instead of stderr (tests). */
  readonly logDestination?: DestinationStream;
}

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

const USAGE = `usage: chipin <command>
  start [--http] [--bots] [--workers]   run the app (no flag: all three roles in one process)
  migrate                               apply database migrations and exit
  check [--deep [--grace D]] [--json]   audit the ledger (--deep: also inbox, commands, outbox, sent messages;
                                        work waiting longer than D, default 5m, is a violation): exit 0 sound,
                                        1 violations, 2 could not audit
  reconcile [--since DATE] [--json]     compare Stripe with the ledger, replay missed events: exit 0 agree, 1 differences
  discord register [--guild ID]         register the Discord slash commands (globally, or on one guild)
`;

/** SIGTERM grace periods are usually 30 s; stop well before the orchestrator's SIGKILL. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

/** Expected reasons a command cannot run; each prints as one line. */
function isOperationalError(err: unknown): err is Error {
  return (
    err instanceof ConfigError ||
    err instanceof DataDirLockedError ||
    err instanceof DatabaseUnavailableError ||
    err instanceof RedisUnavailableError ||
    (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
  );
}

function messageOf(err: Error): string {
  if (err instanceof ConfigError) return `invalid configuration: ${err.message}`;
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
    return 'PORT is already in use; stop that program or set PORT';
  return err.message;
}

function loadConfigAndLogger(io: CliIo): { config: Config; log: Logger } {
  const config = loadConfig(io.env);
  return { config, log: createLogger(config, io.logDestination) };
}

function parseFlags<F extends string>(argv: readonly string[], allowed: readonly F[]): Set<F> | undefined {
  const flags = new Set<F>();
  for (const arg of argv) {
    const flag = arg.replace(/^--/, '') as F;
    if (!arg.startsWith('--') || !allowed.includes(flag)) return undefined;
    flags.add(flag);
  }
  return flags;
}

/** One line for an expected failure; the full error, through the logger when there is one, for anything else. */
function failure(io: CliIo, log: Logger | undefined, err: unknown, what: string): number {
  if (isOperationalError(err)) io.stderr.write(`chipin: ${messageOf(err)}\n`);
  else if (log) log.fatal({ err }, `${what} failed`);
  else io.stderr.write(`chipin: ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

function usage(io: CliIo, problem: string): number {
  io.stderr.write(`chipin: ${problem}\n${USAGE}`);
  return 2;
}

/** `chipin start [--http] [--bots] [--workers]`: runs until SIGINT/SIGTERM. Exit 0 after a clean stop, 1 otherwise. */
export async function runStart(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const flags = parseFlags(argv, ROLES);
  if (!flags) return usage(io, `unknown option for start: ${argv.join(' ')}`);
  const roles = flags.size === 0 ? [...ROLES] : ROLES.filter((role) => flags.has(role));
  let log: Logger | undefined;
  try {
    const loaded = loadConfigAndLogger(io);
    log = loaded.log;
    const app = await startApp(loaded.config, log, roles);
    return await untilSignal(app, log);
  } catch (err) {
    return failure(io, log, err, 'start');
  }
}

/** Stops the app on the first SIGINT/SIGTERM; a second one, or a stop slower than the timeout, exits at once. */
function untilSignal(app: App, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without a clean stop');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      app.stop().then(
        () => {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          log.info({}, 'stopped');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `chipin migrate`: prints each applied version on stdout. Exit 0 done, 1 could not migrate. */
export async function runMigrate(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  if (argv.length > 0) return usage(io, `unknown option for migrate: ${argv.join(' ')}`);
  let log: Logger | undefined;
  try {
    const loaded = loadConfigAndLogger(io);
    log = loaded.log;
    const { db, applied, location } = await openDatabase(loaded.config, log, { migrate: true, poolMax: 2 });
    await db.close();
    for (const version of applied) io.stdout.write(`${version}\n`);
    if (applied.length === 0) log.info({ database: location }, 'no pending migrations');
    return 0;
  } catch (err) {
    return failure(io, log, err, 'migrate');
  }
}

class CannotAudit extends Error {}

/** Opens the database without migrating it; anything that stops the audit from running is a CannotAudit. */
async function auditDatabase(io: CliIo, extensions: readonly AuditExtension[]): Promise<AuditReport> {
  let db: Db | undefined;
  try {
    const { config, log } = loadConfigAndLogger(io);
    // No statement timeout: it reads whole tables.
    db = (await openDatabase(config, log, { migrate: false, mustExist: true, poolMax: 2, statementTimeoutMs: 0 })).db;
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new CannotAudit(`the database is not migrated (pending: ${pending.join(', ')}); run chipin migrate`);
    }
    return await audit(db, [cashierAudit, ...extensions]);
  } catch (err) {
    if (err instanceof CannotAudit) throw err;
    if (isOperationalError(err)) throw new CannotAudit(messageOf(err));
    throw new CannotAudit(`the audit failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  } finally {
    await db?.close().catch(() => undefined);
  }
}

function summary(report: AuditReport): string {
  const counts = `${report.accounts} accounts, ${report.transfers} transfers`;
  if (report.ok) return `ledger OK: every invariant holds (${counts})\n`;
  const lines = report.violations.map((v) => `  ${v.invariant} ${v.message}\n`);
  return `ledger BROKEN: ${report.violations.length} violation(s) (${counts})\n${lines.join('')}`;
}

/** One line per currency people owe (receivables are reported, not violations). */
function owedLines(report: AuditReport): string {
  const section = report.sections.receivables;
  const totals =
    section !== null && typeof section === 'object' && !Array.isArray(section) && Array.isArray(section.totals)
      ? section.totals
      : [];
  let out = '';
  for (const t of totals)
    if (t !== null && typeof t === 'object' && !Array.isArray(t) && typeof t.formatted === 'string')
      out += `receivable: ${t.formatted} owed by ${typeof t.people === 'number' ? t.people : '?'} person(s)\n`;
  return out;
}

/** Work may wait this long (an unclaimed delivery, an overdue outbox row) before `check --deep` calls it lost. */
const DEEP_GRACE_MS = 5 * 60_000;

/** `--json`, `--deep` and `--grace D` (with --deep); undefined when the options are bad. */
function parseCheckArgs(argv: readonly string[]): { json: boolean; graceMs?: number } | undefined {
  let json = false;
  let deep = false;
  let grace: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--deep') deep = true;
    else if (arg === '--grace' && (grace = durationMs(argv[i + 1] ?? '')) !== undefined) i++;
    else return undefined;
  }
  if (grace !== undefined && !deep) return undefined;
  return deep ? { json, graceMs: grace ?? DEEP_GRACE_MS } : { json };
}

/**
 * `chipin check [--deep [--grace D]] [--json]`: the ledger audit of SPEC §5 (and the cashier's reconciliation
 * findings); `--deep` adds the system invariants of RELIABILITY §2 (core/audit/system.ts). Exit 0 every invariant
 * holds, 1 violations found, 2 could not audit (bad config, database unreachable or missing, not migrated, PGlite
 * directory locked). `--json` prints exactly one line on stdout; a failure to audit prints only its reason, on stderr.
 */
export async function runCheck(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const args = parseCheckArgs(argv);
  if (!args) return usage(io, `unknown option for check: ${argv.join(' ')}`);
  let report: AuditReport;
  try {
    report = await auditDatabase(io, args.graceMs === undefined ? [] : [systemAudit({ graceMs: args.graceMs })]);
  } catch (err) {
    if (!(err instanceof CannotAudit)) throw err;
    io.stderr.write(`chipin: could not audit: ${err.message}\n`);
    return 2;
  }
  const { ok, accounts, transfers, violations, sections } = report;
  io.stdout.write(
    args.json
      ? `${JSON.stringify({ ok, accounts, transfers, violations, ...sections })}\n`
      : summary(report) + owedLines(report),
  );
  return ok ? 0 : 1;
}

/** `--since 2026-12-01` (a date or an ISO timestamp, UTC) and `--json`; undefined when the options are bad. */
function parseReconcileArgs(argv: readonly string[]): { since?: Date; json: boolean } | undefined {
  const out: { since?: Date; json: boolean } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') out.json = true;
    else if (arg === '--since' && /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?$/.test(argv[i + 1] ?? '')) {
      const since = new Date(argv[++i] ?? '');
      if (Number.isNaN(since.getTime())) return undefined;
      out.since = since;
    } else return undefined;
  }
  return out;
}

function reconcileSummary(report: ReconcileReport): string {
  const head =
    `reconciled Stripe since ${report.since.toISOString()}: ${report.events} events, ` +
    `${report.balanceTransactions} balance transactions, ${report.transfers} transfers, ${report.payouts} payouts, ` +
    `${report.replayed.length} missed event(s) replayed, ${report.recovered.length} stale withdrawal attempt(s) ` +
    `resolved, ${report.findings.length} difference(s)\n`;
  const replayed = report.replayed.map((id) => `  replayed ${id}\n`);
  const recovered = report.recovered.map(
    (r) =>
      `  withdrawal ${r.withdrawalId} ${r.step} attempt ${r.key}: ${r.result}${r.objectId ? ` ${r.objectId}` : ''}\n`,
  );
  const findings = report.findings.map((f) => `  ${f.kind} ${f.message}\n`);
  return head + replayed.join('') + recovered.join('') + findings.join('');
}

/**
 * `chipin reconcile [--since DATE] [--json]`: one reconciliation run (core/cashier/reconcile.ts) — Stripe's events
 * and balance transactions since the last run's watermark (or DATE) against the ledger; missed events are replayed
 * through their handler; differences are stored (`chipin check` reports them) and printed. Exit 0 no difference,
 * 1 differences found, 2 could not run (no Stripe configured, database unreachable or not migrated, Stripe down).
 */
export async function runReconcile(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const args = parseReconcileArgs(argv);
  if (!args) return usage(io, `bad option for reconcile: ${argv.join(' ')}`);
  let db: Db | undefined;
  let report: ReconcileReport;
  try {
    const { config, log } = loadConfigAndLogger(io);
    const stripe = stripeOf(config);
    if (!stripe.gateway) {
      io.stderr.write('chipin: reconcile needs STRIPE_SECRET_KEY\n');
      return 2;
    }
    // No statement timeout: it reads whole tables.
    db = (await openDatabase(config, log, { migrate: false, mustExist: true, poolMax: 2, statementTimeoutMs: 0 })).db;
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      io.stderr.write(`chipin: the database is not migrated (pending: ${pending.join(', ')}); run chipin migrate\n`);
      return 2;
    }
    const cashier = createCashier({
      ledger: createLedger({ db, log }),
      gateway: stripe.gateway,
      returnUrl: stripe.returnUrl,
      log: log.child({ part: 'reconcile' }),
      db,
    });
    report = await cashier.reconciler.run(args.since ? { since: args.since } : {});
  } catch (err) {
    const reason = isOperationalError(err) ? messageOf(err) : err instanceof Error ? err.message : String(err);
    io.stderr.write(`chipin: could not reconcile: ${reason.split('\n')[0]}\n`);
    return 2;
  } finally {
    await db?.close().catch(() => undefined);
  }
  io.stdout.write(
    args.json
      ? `${JSON.stringify({
          ok: report.findings.length === 0,
          run: report.runId.toString(),
          since: report.since.toISOString(),
          watermark: report.watermark.toISOString(),
          events: report.events,
          balanceTransactions: report.balanceTransactions,
          transfers: report.transfers,
          payouts: report.payouts,
          replayed: report.replayed,
          recovered: report.recovered.map((r) => ({ ...r, withdrawalId: r.withdrawalId.toString() })),
          findings: report.findings,
        })}\n`
      : reconcileSummary(report),
  );
  return report.findings.length === 0 ? 0 : 1;
}

/**
 * `chipin discord register [--guild ID]`: PUTs the slash commands (bots/discord/commands.ts) through
 * DISCORD_API_BASE with the bot token and prints what Discord registered. Exit 0 done, 1 could not register.
 */
export async function runDiscord(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'register') return usage(io, `unknown discord command: ${argv.join(' ')}`);
  let guildId: string | undefined;
  if (rest.length === 2 && rest[0] === '--guild' && /^\d{1,20}$/.test(rest[1] ?? '')) guildId = rest[1];
  else if (rest.length > 0) return usage(io, `bad option for discord register: ${rest.join(' ')}`);
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    return failure(io, undefined, err, 'discord register');
  }
  const { discordBotToken: token, discordApplicationId: applicationId } = config;
  const missing = [token ? '' : 'DISCORD_BOT_TOKEN', applicationId ? '' : 'DISCORD_APPLICATION_ID'].filter(Boolean);
  if (token === undefined || applicationId === undefined) {
    io.stderr.write(`chipin: discord register needs ${missing.join(' and ')}\n`);
    return 1;
  }
  const rest10 = new REST({
    api: config.discordApiBase,
    version: '10',
    retries: 1,
    timeout: config.discordRestTimeoutMs,
  }).setToken(token);
  try {
    const names = await registerCommands(rest10, {
      applicationId,
      demoMoney: config.demoMoney,
      ...(guildId !== undefined ? { guildId } : {}),
    });
    const where = guildId === undefined ? 'globally' : `on guild ${guildId}`;
    io.stdout.write(`registered ${names.length} commands ${where}: ${names.map((n) => `/${n}`).join(' ')}\n`);
    return 0;
  } catch (err) {
    const f = discordFailure(err);
    const reason = f ? `${f.status}${f.code !== undefined ? ` ${f.code}` : ''} ${f.message}` : String(err);
    io.stderr.write(`chipin: discord register failed: ${reason.split('\n')[0]}\n`);
    return 1;
  }
}

/** Runs one CLI command and returns its exit code. */
export async function cli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return runStart(rest, io);
    case 'migrate':
      return runMigrate(rest, io);
    case 'check':
      return runCheck(rest, io);
    case 'reconcile':
      return runReconcile(rest, io);
    case 'discord':
      return runDiscord(rest, io);
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return 0;
    default:
      return usage(io, command === undefined ? 'missing command' : `unknown command: ${command}`);
  }
}

/** The process entry (`tsx main.ts …`, bin/chipin.js): runs the command, then exits with its code. */
export async function runProcess(argv: readonly string[]): Promise<void> {
  const code = await cli(argv);
  process.exitCode = code;
  // Everything is closed by now; a handle left open must not keep the process alive.
  setTimeout(() => process.exit(code), 2_000).unref();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runProcess(process.argv.slice(2));
}
