/** The DATA_DIR lock that keeps a second process off an embedded (PGlite) database. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './lock.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chipin-lock-'));
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('lockDataDir', () => {
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('creates chipin.lock holding the pid, and removes it on release', async () => {
    const dir = dataDir();
    const lock = await lockDataDir(dir);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    expect(lock.tookOverFrom).toBeUndefined();
    lock.release();
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a lock held by a live process, naming its pid', async () => {
    const dir = dataDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(dir, LOCK_FILE), `${holder.pid}\n`);
      const err = await rejection(lockDataDir(dir));
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as DataDirLockedError).pid).toBe(holder.pid);
      expect(err.message).toContain(`another chipin process (pid ${holder.pid})`);
      expect(err.message).toContain('DATABASE_URL');
      expect(err.message).not.toContain('\n');
      expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(holder.pid));
    } finally {
      const exited = once(holder, 'exit');
      holder.kill('SIGKILL');
      await exited;
    }
  });

  it('refuses a second lock on the same directory within one process', async () => {
    const dir = dataDir();
    const lock = await lockDataDir(dir);
    expect(await rejection(lockDataDir(dir))).toBeInstanceOf(DataDirLockedError);
    lock.release();
    (await lockDataDir(dir)).release();
  });

  it('takes over the stale lock of a process that is gone', async () => {
    const dir = dataDir();
    const dead = deadPid();
    writeFileSync(path.join(dir, LOCK_FILE), `${dead}\n`);
    const lock = await lockDataDir(dir);
    expect(lock.tookOverFrom).toBe(dead);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock holding its own pid that it does not hold (a restarted container reuses pids)', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, LOCK_FILE), `${process.pid}\n`);
    const lock = await lockDataDir(dir);
    expect(lock.tookOverFrom).toBe(process.pid);
    lock.release();
  });

  it('takes over an empty or garbled lock file', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, LOCK_FILE), 'garbage');
    const lock = await lockDataDir(dir);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
