/**
 * The lock file that keeps a second process off an embedded (PGlite) database: PGlite allows one process
 * only, and two writers on one directory corrupt it. `DATA_DIR/chipin.lock` holds the owner's pid; a lock
 * whose pid is no longer alive is stale and taken over.
 */
import { linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOCK_FILE = 'chipin.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';

  constructor(
    readonly dataDir: string,
    /** The process holding the lock. */
    readonly pid: number,
  ) {
    super(
      `another chipin process (pid ${pid}) holds the lock ${path.join(dataDir, LOCK_FILE)} on DATA_DIR; ` +
        'stop it, or set DATABASE_URL to share a real Postgres',
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  /** The pid of the dead process whose stale lock was taken over, if any. */
  readonly tookOverFrom: number | undefined;
  /** Removes the lock file if this process still owns it. Idempotent. */
  release(): void;
}

/** Lock files this process holds: its own pid in a lock it does not hold is a stale lock (a restarted container). */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

function readPid(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes `dataDir/chipin.lock` (dataDir must exist); throws DataDirLockedError when a live process holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file)) {
      held.add(file);
      return { file, tookOverFrom, release: () => release(file) };
    }
    let holder = readPid(file);
    if (holder === undefined) {
      // Empty: a contender created it and has not written its pid yet.
      await sleep(50);
      holder = readPid(file);
    }
    if (holder !== undefined && isAlive(holder) && (holder !== process.pid || held.has(file))) {
      throw new DataDirLockedError(dataDir, holder);
    }
    // Stale. Moving it aside is atomic, so of two processes taking it over only one moves this file.
    const aside = `${file}.${process.pid}.stale`;
    try {
      renameSync(file, aside);
    } catch (err) {
      if (errno(err) === 'ENOENT') continue;
      throw err;
    }
    const moved = readPid(aside);
    if (moved !== holder && moved !== undefined && isAlive(moved)) {
      // We moved a contender's fresh lock, not the stale one: put it back and give way.
      try {
        linkSync(aside, file);
      } finally {
        unlinkSync(aside);
      }
      throw new DataDirLockedError(dataDir, moved);
    }
    unlinkSync(aside);
    tookOverFrom = holder;
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}

function release(file: string): void {
  if (!held.delete(file)) return;
  if (readPid(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
}
