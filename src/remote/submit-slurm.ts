// `imgbuild submit slurm`: an sbatch array of N tasks, task I running `imgbuild all --shard I/N` in its own work
// and cache folders, then a reduce job (`imgbuild reindex`) that SLURM starts only if every task succeeded
// (`--dependency=afterok`, `--kill-on-invalid-dep=yes`, so it is cancelled, not left pending, when one fails).
// The scripts are kept under cache/submit/<run>/ to read and rerun. Tasks record their own exit status next to
// their logs (SLURM's accounting is often off, and scontrol forgets jobs after MinJobAge).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ImgbuildError } from '../errors.js';
import { type ArrayJob, imgbuildCommand, shellQuote } from './array-job.js';

export interface SlurmOptions {
  readonly partition?: string;
  readonly time?: string;
  readonly cpusPerTask?: number;
  /** Extra `#SBATCH` lines (`--account=x`, `--mem=8G`). */
  readonly sbatchArgs: readonly string[];
  /** Folder for the scripts, logs and exit files of this submission. */
  readonly dir: string;
  readonly cwd: string;
  readonly name: string;
}

export interface SlurmScripts {
  readonly array: string;
  readonly reduce: string | undefined;
}

function header(lines: string[], o: SlurmOptions): void {
  if (o.partition !== undefined) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.time !== undefined) lines.push(`#SBATCH --time=${o.time}`);
  for (const arg of o.sbatchArgs) lines.push(`#SBATCH ${arg}`);
}

/**
 * Where sbatch runs a script and writes its log: given on sbatch's command line (an argument vector: a folder
 * with spaces is one argument) rather than as `#SBATCH` lines, which sbatch splits on whitespace.
 */
export function placementArgs(o: SlurmOptions, log: string): string[] {
  return [`--chdir=${o.cwd}`, `--output=${path.join(o.dir, log)}`];
}

/** The two batch scripts' text. */
export function slurmScripts(job: ArrayJob, o: SlurmOptions): SlurmScripts {
  const run = imgbuildCommand().map(shellQuote).join(' ');
  const flags = job.flags.map(shellQuote).join(' ');
  const targets = (job.targets.length > 0 ? job.targets : ['all']).map(shellQuote).join(' ');
  const task = `${shellQuote(job.shardRoot)}/"$SLURM_ARRAY_TASK_ID"`;
  const rerun = (log: string): string => `# rerun: sbatch ${placementArgs(o, log).map(shellQuote).join(' ')} ${shellQuote(path.join(o.dir, log.startsWith('task') ? 'array.sbatch' : 'reduce.sbatch'))}`;
  const array = [
    '#!/bin/bash',
    `# imgbuild: ${job.tasks} shards of one build (written by imgbuild submit slurm)`,
    rerun('task-%a.log'),
    '#   (one task again: add --array=I; each task builds shard $SLURM_ARRAY_TASK_ID of ' + job.tasks + ')',
    `#SBATCH --job-name=${o.name}`,
    `#SBATCH --array=1-${job.tasks}`,
    ...(o.cpusPerTask !== undefined ? [`#SBATCH --cpus-per-task=${o.cpusPerTask}`] : []),
  ];
  header(array, o);
  array.push(
    '',
    `cd ${shellQuote(o.cwd)} || exit 1`,
    // The shard is the task id itself, not an offset from the array's first task: rerunning task 2 alone
    // (--array=2) builds shard 2, not all of it.
    `${run} ${targets} --shard "$SLURM_ARRAY_TASK_ID/${job.tasks}" --jobs "\${SLURM_CPUS_PER_TASK:-1}" --work ${task}/work --cache ${task}/cache ${flags}`.trimEnd(),
    'status=$?',
    `echo "$status" > ${shellQuote(o.dir)}/task-"$SLURM_ARRAY_TASK_ID".exit`,
    'exit "$status"',
    '',
  );
  const reduce = job.reduce
    ? [
        '#!/bin/bash',
        '# imgbuild: the final, unsharded step after every shard succeeded: the root index over the repository',
        rerun('reduce.log'),
        `#SBATCH --job-name=${o.name}-reduce`,
        ...(() => {
          const extra: string[] = [];
          header(extra, o);
          return extra;
        })(),
        '',
        `cd ${shellQuote(o.cwd)} || exit 1`,
        `${run} reindex ${flags}`.trimEnd(),
        'status=$?',
        `echo "$status" > ${shellQuote(o.dir)}/reduce.exit`,
        'exit "$status"',
        '',
      ].join('\n')
    : undefined;
  return { array: array.join('\n'), reduce };
}

/** Run a SLURM client command; a missing one is the machine's problem, said in one line. */
export function slurmCommand(program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new ImgbuildError('environment', `${program} was not found: imgbuild submit slurm needs SLURM's client commands on PATH (Debian: slurm-client)`));
          return;
        }
        const said = (stderr || error.message).trim().split('\n').pop() ?? '';
        reject(new ImgbuildError('environment', `${program} ${args[0] ?? ''} failed: ${said}`));
        return;
      }
      resolve(stdout);
    });
  });
}

export interface Submitted {
  readonly arrayId: string;
  readonly reduceId: string | undefined;
  readonly scripts: { readonly array: string; readonly reduce: string | undefined };
}

/** `sbatch --parsable` prints `jobid` or `jobid;cluster`. */
function jobIdOf(output: string): string {
  const id = output.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new ImgbuildError('environment', `sbatch answered ${JSON.stringify(output.trim())}, not a job id`);
  return id;
}

export async function submitSlurm(job: ArrayJob, o: SlurmOptions, env: NodeJS.ProcessEnv = process.env): Promise<Submitted> {
  fs.mkdirSync(o.dir, { recursive: true });
  const scripts = slurmScripts(job, o);
  const arrayFile = path.join(o.dir, 'array.sbatch');
  fs.writeFileSync(arrayFile, scripts.array, { mode: 0o755 });
  const reduceFile = scripts.reduce !== undefined ? path.join(o.dir, 'reduce.sbatch') : undefined;
  if (reduceFile !== undefined) fs.writeFileSync(reduceFile, scripts.reduce!, { mode: 0o755 });
  const arrayId = jobIdOf(await slurmCommand('sbatch', ['--parsable', ...placementArgs(o, 'task-%a.log'), arrayFile], env));
  const reduceId = reduceFile !== undefined ? jobIdOf(await slurmCommand('sbatch', ['--parsable', ...placementArgs(o, 'reduce.log'), `--dependency=afterok:${arrayId}`, '--kill-on-invalid-dep=yes', reduceFile], env)) : undefined;
  return { arrayId, reduceId, scripts: { array: arrayFile, reduce: reduceFile } };
}

export interface TaskOutcome {
  readonly step: 'shard' | 'reduce';
  /** 1-based shard; 0 for the reduce step. */
  readonly shard: number;
  readonly job: string;
  readonly state: 'done' | 'failed' | 'not-run';
  readonly detail: string;
  readonly log: string;
}

/** The last line of a task's log that says what went wrong (imgbuild's error lines), for the summary. */
function lastError(log: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // imgbuild's own error lines first (`error: node: message`, or `imgbuild: message` when it stopped before any node).
  return [...lines].reverse().find((l) => l.startsWith('error:')) ?? lines[lines.length - 1];
}

/** What `scontrol show job` says of each task (while it remembers them): array task id → JobState. */
async function scontrolStates(jobId: string, env: NodeJS.ProcessEnv): Promise<Map<number, string>> {
  const states = new Map<number, string>();
  try {
    const out = await slurmCommand('scontrol', ['-o', 'show', 'job', jobId], env);
    for (const line of out.split('\n')) {
      const task = /\bArrayTaskId=(\d+)\b/.exec(line)?.[1];
      const state = /\bJobState=(\S+)/.exec(line)?.[1];
      if (state !== undefined) states.set(task !== undefined ? Number(task) : 0, state);
    }
  } catch {
    // Forgotten already (MinJobAge): the exit files say it.
  }
  return states;
}

export interface WaitOptions {
  readonly pollMs?: number;
  /** Give up (an environment error) after this long; default: no limit but SLURM's own time limits. */
  readonly timeoutMs?: number;
  readonly onChange?: (line: string) => void;
}

/** Follow the array and the reduce job until SLURM no longer lists them, then read each task's outcome. */
export async function waitForSlurm(submitted: Submitted, job: ArrayJob, o: SlurmOptions, wait: WaitOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<TaskOutcome[]> {
  const started = Date.now();
  const ids = [submitted.arrayId, ...(submitted.reduceId ? [submitted.reduceId] : [])].join(',');
  let last = '';
  let failures = 0;
  for (;;) {
    let listed: string;
    try {
      listed = await slurmCommand('squeue', ['-h', '-j', ids, '-o', '%i %T'], env);
      failures = 0;
    } catch (error) {
      // squeue says "Invalid job id" once every job is gone from the controller's memory.
      if (/invalid job id/i.test((error as Error).message)) listed = '';
      else if (++failures >= 10) throw error;
      else listed = last;
    }
    const summary = listed.trim().split('\n').filter((l) => l !== '').sort().join(', ');
    if (summary !== last && summary !== '') wait.onChange?.(summary);
    last = summary;
    if (summary === '') break;
    if (wait.timeoutMs !== undefined && Date.now() - started > wait.timeoutMs) throw new ImgbuildError('environment', `SLURM jobs ${ids} did not finish within ${Math.round(wait.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, wait.pollMs ?? 500));
  }
  const states = await scontrolStates(submitted.arrayId, env);
  const outcome = (step: 'shard' | 'reduce', shard: number, jobName: string, exitFile: string, log: string, state: string | undefined): TaskOutcome => {
    let code: number | undefined;
    try {
      code = Number(fs.readFileSync(exitFile, 'utf8').trim());
    } catch {
      code = undefined;
    }
    if (code === 0) return { step, shard, job: jobName, state: 'done', detail: 'succeeded', log };
    if (code !== undefined) return { step, shard, job: jobName, state: 'failed', detail: `exit ${code}${(() => { const e = lastError(log); return e ? `: ${e}` : ''; })()}`, log };
    if (state !== undefined && state !== 'COMPLETED') return { step, shard, job: jobName, state: 'failed', detail: state === 'CANCELLED' ? 'cancelled' : `SLURM says ${state}`, log };
    return { step, shard, job: jobName, state: 'not-run', detail: 'it left no exit status (killed before it ended, or never started)', log };
  };
  const outcomes: TaskOutcome[] = [];
  for (let shard = 1; shard <= job.tasks; shard++) {
    outcomes.push(outcome('shard', shard, `${submitted.arrayId}_${shard}`, path.join(o.dir, `task-${shard}.exit`), path.join(o.dir, `task-${shard}.log`), states.get(shard)));
  }
  if (submitted.reduceId !== undefined) {
    const reduceStates = await scontrolStates(submitted.reduceId, env);
    const r = outcome('reduce', 0, submitted.reduceId, path.join(o.dir, 'reduce.exit'), path.join(o.dir, 'reduce.log'), reduceStates.get(0));
    const anyFailed = outcomes.some((t) => t.state !== 'done');
    outcomes.push(r.state === 'done' || !anyFailed ? r : { ...r, state: 'not-run', detail: 'a shard failed' });
  }
  return outcomes;
}
