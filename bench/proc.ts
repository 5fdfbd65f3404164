import { readFileSync } from 'node:fs';

/**
 * A Linux process's name and the CPU seconds (user + system) it has used so far, read from /proc; undefined once it
 * has ended. Clock ticks are taken as 100 per second (getconf CLK_TCK on Linux).
 */
export function procStat(pid: number | string): { name: string; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const name = /\((.*)\)/.exec(stat)?.[1] ?? '';
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return undefined;
  }
}
