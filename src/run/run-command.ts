// Rules that wrap an external program (CALDP wraps calacs.e): the argument vector is passed as is (no shell
// parses a file name), stdout and stderr become the node's log line by line as they come (stderr too on
// success: programs put their progress there), the exit status decides success, and the tail of stderr is
// the failure message. The program's CPU time and peak memory go to the node's run record.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { RunContext } from '../graph/rule.js';

export interface CommandUsage {
  /** User + system CPU of the program and of what it waited for (exact: sh's `times`). */
  readonly cpuMs: number;
  /** The program's peak resident memory (VmHWM, sampled every 50 ms; 0 if it ended before the first sample). */
  readonly maxRssBytes: number;
}

/** Why a command failed, typed for the scheduler (not parsed back from the message). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: number | undefined,
  ) {
    super(message);
  }
}

const STDERR_TAIL_LINES = 3;
const STDERR_TAIL_CHARS = 400;
const SAMPLE_MS = 50;
const KILL_AFTER_MS = 5000;
const MAX_LINE = 16 * 1024;
/** After the program exits, how long its output may stay open (a background child it left holding it). */
const OUTPUT_GRACE_MS = 2000;

// sh runs the program, then `times` prints on fd 3 the CPU of the children it waited for: the program's own
// rusage, which Node does not give. `exec 3>&-` in the program's copy would be nicer, but "$@" cannot carry it.
const WRAPPER = '"$@" 3>&-; s=$?; times >&3; exit $s';

export async function runCommand(argv: readonly string[], ctx: RunContext, onUsage?: (usage: CommandUsage) => void): Promise<void> {
  if (argv.length === 0) throw new Error('the rule returned an empty command');
  const program = argv[0]!;
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', ...argv], {
    cwd: ctx.settings.projectDir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    // Its own process group, so a cancel reaches the program and whatever it started.
    detached: true,
  });
  const tail: string[] = [];
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> =>
    new Promise((resolve) => {
      // Lines as they come; a "line" that never ends (binary output, a progress bar without newlines) is cut
      // every MAX_LINE characters instead of growing in memory without bound.
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) !== -1) {
          onLine(pending.slice(0, newline).replace(/\r$/, ''));
          pending = pending.slice(newline + 1);
        }
        while (pending.length > MAX_LINE) {
          onLine(`${pending.slice(0, MAX_LINE)}…`);
          pending = pending.slice(MAX_LINE);
        }
      });
      const end = (): void => {
        if (pending !== '') onLine(pending);
        pending = '';
        resolve();
      };
      stream.on('end', end);
      stream.on('close', end);
    });
  const out = lines(child.stdout!, (line) => {
    if (line.trim() !== '') ctx.log(line);
  });
  const err = lines(child.stderr!, (line) => {
    if (line.trim() === '') return;
    ctx.log(`stderr: ${line}`);
    tail.push(line.trim());
    if (tail.length > STDERR_TAIL_LINES) tail.shift();
  });
  let times = '';
  child.stdio[3]!.on('data', (chunk: Buffer) => (times += chunk.toString()));

  let maxRss = 0;
  const sample = (): void => {
    for (const pid of childrenOf(child.pid)) maxRss = Math.max(maxRss, peakRss(pid));
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  let killer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    signalGroup(child.pid, 'SIGTERM');
    killer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_AFTER_MS);
  };
  if (ctx.signal.aborted) cancel();
  ctx.signal.addEventListener('abort', cancel);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => {
      // Its output normally closes with it; a background process it started may hold it open for ever.
      const grace = setTimeout(() => {
        ctx.log(`${program} left a process holding its output open; not waiting for it`);
        for (const stream of [child.stdout, child.stderr, child.stdio[3]]) stream?.destroy();
      }, OUTPUT_GRACE_MS);
      child.once('close', () => clearTimeout(grace));
      resolve([c, s]);
    });
  }).finally(() => {
    clearInterval(sampler);
    if (killer) clearTimeout(killer);
    ctx.signal.removeEventListener('abort', cancel);
  });
  await Promise.all([out, err]);
  onUsage?.({ cpuMs: childCpuMs(times), maxRssBytes: maxRss });

  if (ctx.signal.aborted) throw new CommandError(`${program} was cancelled`, undefined);
  if (signal !== null) throw new CommandError(`${program} was killed by ${signal}`, undefined);
  if (code === 0) return;
  const said = tail.join(' | ').slice(-STDERR_TAIL_CHARS);
  // sh's own words when it could not start the program (127: not found, 126: not executable).
  if ((code === 127 || code === 126) && tail.some((line) => line.startsWith('sh: ') && line.includes(program))) {
    throw new CommandError(
      code === 127 ? `${program}: command not found (install it, or give its full path in the rule)` : `${program}: cannot be run (is it executable?)`,
      code,
    );
  }
  // A program killed by a signal shows to sh as 128 + its number.
  const how = code !== null && code > 128 && code < 160 ? `was killed by signal ${code - 128}` : `exited with code ${code}`;
  throw new CommandError(`${program} ${how}${said ? `: ${said}` : ''}`, code ?? undefined);
}

/** `times` prints two lines (the shell's own, then its children's): "0m0.010000s 0m0.020000s". */
function childCpuMs(text: string): number {
  const line = text.trim().split('\n')[1] ?? '';
  let ms = 0;
  for (const match of line.matchAll(/(\d+)m([\d.]+)s/g)) ms += (Number(match[1]) * 60 + Number(match[2])) * 1000;
  return Math.round(ms);
}

/** The processes sh started (the program), read from /proc (Linux); none elsewhere. */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function peakRss(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
