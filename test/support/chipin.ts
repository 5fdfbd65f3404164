/**
 * Runs the real `chipin` CLI (bin/chipin.js) as child processes: each with an explicit environment (nothing
 * inherited, so a developer's DATABASE_URL or `.env` cannot leak in) and a temporary working directory.
 * `killAll()` in afterAll stops whatever is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/chipin.js', import.meta.url));

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A fresh directory under the OS temp dir, removed by `cleanUp()`. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `chipin-${label}-`));
  dirs.add(dir);
  return dir;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Chipin {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (null when killed by a signal) once the output is complete. */
  readonly exited: Promise<number | null>;
  /** Resolves with the first stderr log line (JSON) whose msg is `msg`. */
  logLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function spawnChipin(args: readonly string[], env: Record<string, string>, cwd: string): Chipin {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const run: Chipin = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        children.delete(child);
        resolve(code);
      });
    }),
    async logLine(msg, timeoutMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const line = logLines(run.stderr).find((entry) => entry.msg === msg);
        if (line) return line;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `chipin exited (${child.exitCode ?? child.signalCode}) before logging "${msg}":\n${run.stderr}`,
          );
        }
        if (Date.now() - started > timeoutMs) throw new Error(`no "${msg}" within ${timeoutMs} ms:\n${run.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  // The chaos run keeps every process's log lines for its scan (test/chaos/reporter.ts).
  const logDir = process.env.CHIPIN_LOG_DIR;
  if (logDir) child.stderr.pipe(createWriteStream(path.join(logDir, `chipin-${child.pid ?? 'unknown'}.log`)));
  return run;
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command that exits by itself. */
export async function runChipin(args: readonly string[], env: Record<string, string>, cwd: string): Promise<Finished> {
  const run = spawnChipin(args, env, cwd);
  const code = await run.exited;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

/** The JSON log lines among `text`'s lines. */
export function logLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const nonEmptyLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/** Kills every child still running and removes the temp dirs. */
export async function cleanUp(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      const closed = once(child, 'close');
      child.kill('SIGKILL');
      await closed;
    }),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}
