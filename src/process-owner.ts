// Who holds a lock: host, pid and the process's start time, so that a pid reused by another process after the
// holder died is not mistaken for the holder. Shared by the cache lock and the repository locks.
import fs from 'node:fs';
import os from 'node:os';

export interface ProcessOwner {
  readonly host: string;
  readonly pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22), or null where unknown. */
  readonly started: number | null;
}

/** Start time of process `pid` from /proc, or null (no /proc, or no such process). */
export function processStartTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

export function thisProcess(): ProcessOwner {
  return { host: os.hostname(), pid: process.pid, started: processStartTime(process.pid) };
}

/** A zombie has exited: it holds nothing, though signal 0 still reaches it. */
function isZombie(pid: number): boolean {
  try {
    return /^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Whether `owner` certainly no longer runs. Only decidable on this host; a process on another host is
 * presumed alive (its lease expiry decides).
 */
export function isDead(owner: ProcessOwner): boolean {
  if (owner.host !== os.hostname() || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return true;
  }
  if (isZombie(owner.pid)) return true;
  // Same pid, another process: the holder died and its pid was reused.
  const started = processStartTime(owner.pid);
  return owner.started !== null && started !== null && started !== owner.started;
}
