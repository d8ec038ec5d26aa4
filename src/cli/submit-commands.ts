// `imgbuild submit slurm|k8s|aws-batch`: run one build as N shards on the engines people have (src/remote).
import fs from 'node:fs';
import path from 'node:path';
import { ImgbuildError, UsageError } from '../errors.js';
import type { BuildSession } from '../run/build-session.js';
import { type ArrayJob, needsReduce, refuseSecretsInArguments } from '../remote/array-job.js';
import { submitSlurm, slurmScripts, type TaskOutcome, waitForSlurm } from '../remote/submit-slurm.js';
import { kubernetesYaml } from '../remote/submit-kubernetes.js';
import { awsBatchRequests, awsBatchScript } from '../remote/submit-aws-batch.js';

export const SUBMIT_OPTIONS = {
  tasks: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  'cpus-per-task': { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
  wait: { type: 'boolean' },
  image: { type: 'string' },
  secret: { type: 'string' },
  'job-queue': { type: 'string' },
  'job-definition': { type: 'string' },
} as const;

/** Flags that are the submit command's own, or that each task sets for itself: not forwarded. */
const NOT_FORWARDED = new Set([...Object.keys(SUBMIT_OPTIONS), 'work', 'cache', 'shard', 'shard-count', 'json', 'dry-run', 'jobs']);

export interface SubmitValues {
  readonly tasks?: string | undefined;
  readonly partition?: string | undefined;
  readonly time?: string | undefined;
  readonly 'cpus-per-task'?: string | undefined;
  readonly 'sbatch-arg'?: string[] | undefined;
  readonly wait?: boolean | undefined;
  readonly image?: string | undefined;
  readonly secret?: string | undefined;
  readonly 'job-queue'?: string | undefined;
  readonly 'job-definition'?: string | undefined;
  readonly json?: boolean | undefined;
  readonly 'dry-run'?: boolean | undefined;
}

export interface OptionToken {
  readonly kind: string;
  readonly name?: string;
  readonly rawName?: string;
  readonly value?: string | undefined;
  readonly inlineValue?: boolean | undefined;
}

/** The user's flags, as given, minus NOT_FORWARDED. */
export function forwardedFlags(tokens: readonly OptionToken[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined || NOT_FORWARDED.has(t.name)) continue;
    if (t.value === undefined) out.push(t.rawName!);
    else if (t.inlineValue) out.push(`${t.rawName}=${t.value}`);
    else out.push(t.rawName!, t.value);
  }
  return out;
}

function wholeFlag(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < min || n > max) throw new UsageError(`${flag} takes a whole number ${min}…${max === Number.MAX_SAFE_INTEGER ? '' : max}, not ${JSON.stringify(value)}`.replace('… ,', '+,'));
  return n;
}

const ENGINE_ONLY: Readonly<Record<string, readonly (keyof SubmitValues)[]>> = {
  slurm: ['partition', 'time', 'cpus-per-task', 'sbatch-arg', 'wait'],
  k8s: ['image', 'secret'],
  'aws-batch': ['job-queue', 'job-definition'],
};

export interface SubmitIo {
  readonly print: (text: string) => void;
  readonly say: (line: string) => void;
}

export async function runSubmit(session: BuildSession, engine: string | undefined, targets: readonly string[], values: SubmitValues, tokens: readonly OptionToken[], io: SubmitIo): Promise<number> {
  if (engine === undefined || !(engine in ENGINE_ONLY)) throw new UsageError('imgbuild submit slurm|k8s|aws-batch --tasks N [targets and the usual flags]: run one build as N shards');
  for (const [other, flags] of Object.entries(ENGINE_ONLY)) {
    if (other === engine) continue;
    for (const flag of flags) if (values[flag] !== undefined) throw new UsageError(`--${flag} is an option of imgbuild submit ${other}`);
  }
  if (targets.includes('reindex')) throw new UsageError('imgbuild submit: reindex is the reduce step every submission ends with; name the targets the shards build (all, process, publish, a rule)');
  if (tokens.some((t) => t.kind === 'option' && t.name === 'jobs')) throw new UsageError(`imgbuild submit: -j/--jobs is each task's, from its CPUs: give --cpus-per-task N (slurm) or size the pods (k8s, aws-batch)`);
  const tasks = wholeFlag(values.tasks, '--tasks', engine === 'aws-batch' ? 2 : 1, 10_000);
  if (tasks === undefined) throw new UsageError(`imgbuild submit ${engine} needs --tasks N (how many shards)`);
  const flags = forwardedFlags(tokens);
  const secret = refuseSecretsInArguments(flags);
  if (secret !== undefined) throw new UsageError(secret);
  const problems = session.configurationProblems(targets.length > 0 ? targets : ['all']);
  if (problems.length > 0) throw new ImgbuildError('config', problems.length === 1 ? problems[0]! : `${problems.length} configuration errors:\n  ${problems.join('\n  ')}`);
  const { settings } = session;
  const job: ArrayJob = {
    tasks,
    targets,
    flags,
    shardRoot: path.join(settings.cache, 'shards', String(tasks)),
    reduce: needsReduce(targets, session.rules.some((r) => r.name === 'index')),
  };
  if (engine !== 'slurm' && settings.repository.kind === 'local') {
    io.say(`the repository is a local folder (${settings.repository.dir}): each pod or container publishes into its own filesystem unless that path is a volume they share — an S3 or Azure repository is the usual choice there`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(settings.cache, 'submit', `${stamp}-${engine}`);
  const name = `imgbuild-${stamp.slice(0, 19).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  if (engine === 'k8s') {
    if (values.image === undefined) throw new UsageError('imgbuild submit k8s needs --image IMAGE (a container image with imgbuild and your config)');
    fs.mkdirSync(dir, { recursive: true });
    const files = { array: path.join(dir, 'array.yaml'), reduce: path.join(dir, 'reduce.yaml') };
    const o = { image: values.image, name, ...(values.secret !== undefined ? { secret: values.secret } : {}) };
    const text = kubernetesYaml(job, o, files);
    const [arrayPart, reducePart] = text.split('\n---\n');
    fs.writeFileSync(files.array, arrayPart!);
    if (reducePart !== undefined) fs.writeFileSync(files.reduce, reducePart);
    io.print(text);
    return 0;
  }
  if (engine === 'aws-batch') {
    if (values['job-queue'] === undefined || values['job-definition'] === undefined) throw new UsageError('imgbuild submit aws-batch needs --job-queue Q and --job-definition D');
    const o = { jobQueue: values['job-queue'], jobDefinition: values['job-definition'], name };
    fs.mkdirSync(dir, { recursive: true });
    const script = awsBatchScript(job, o);
    fs.writeFileSync(path.join(dir, 'submit.sh'), script, { mode: 0o755 });
    io.print(values.json ? JSON.stringify(awsBatchRequests(job, o), null, 2) + '\n' : script);
    return 0;
  }
  const cpus = wholeFlag(values['cpus-per-task'], '--cpus-per-task', 1, 4096);
  for (const arg of values['sbatch-arg'] ?? []) {
    if (!/^--?[A-Za-z]/.test(arg) || /\s/.test(arg)) throw new UsageError(`--sbatch-arg ${JSON.stringify(arg)}: give one sbatch option per flag, such as --sbatch-arg=--account=astro --sbatch-arg=--mem=8G`);
  }
  if (/[\n\r]/.test(process.cwd()) || /[\n\r]/.test(dir)) throw new UsageError('imgbuild submit slurm: the project folder\'s path holds a line break, which a batch script cannot hold; move the project');
  const o = {
    ...(values.partition !== undefined ? { partition: values.partition } : {}),
    ...(values.time !== undefined ? { time: values.time } : {}),
    ...(cpus !== undefined ? { cpusPerTask: cpus } : {}),
    sbatchArgs: values['sbatch-arg'] ?? [],
    dir,
    cwd: process.cwd(),
    name,
  };
  for (const [flag, value] of [['--partition', o.partition], ['--time', o.time]] as const) {
    if (value !== undefined && !/^[A-Za-z0-9_:.,+-]+$/.test(value)) throw new UsageError(`${flag} ${JSON.stringify(value)}: not a SLURM ${flag.slice(2)}`);
  }
  if (values['dry-run']) {
    const scripts = slurmScripts(job, o);
    if (values.json) io.print(JSON.stringify({ array: scripts.array, reduce: scripts.reduce ?? null }, null, 2) + '\n');
    else io.print(scripts.array + (scripts.reduce !== undefined ? `\n# then, with --dependency=afterok:<array job>:\n${scripts.reduce}` : ''));
    return 0;
  }
  const submitted = await submitSlurm(job, o);
  const where = path.relative(process.cwd(), dir) || dir;
  io.say(`submitted array job ${submitted.arrayId} (${tasks} ${tasks === 1 ? 'task' : 'tasks'})${submitted.reduceId ? ` and reduce job ${submitted.reduceId} (after every task succeeded)` : ''}; scripts and logs in ${where}`);
  if (!values.wait) {
    if (values.json) io.print(JSON.stringify({ arrayJob: submitted.arrayId, reduceJob: submitted.reduceId ?? null, folder: dir }, null, 2) + '\n');
    return 0;
  }
  const outcomes = await waitForSlurm(submitted, job, o, { onChange: (line) => io.say(`slurm: ${line}`) });
  if (values.json) {
    io.print(JSON.stringify({ arrayJob: submitted.arrayId, reduceJob: submitted.reduceId ?? null, folder: dir, outcomes }, null, 2) + '\n');
  } else {
    for (const t of outcomes) {
      const log = t.state !== 'done' && fs.existsSync(t.log) ? `; log ${path.relative(process.cwd(), t.log) || t.log}` : '';
      io.say(`${describeTask(t, tasks)}: ${t.state === 'done' ? 'done' : t.state === 'failed' ? `FAILED (${t.detail})` : `not run (${t.detail})`}${log}`);
    }
  }
  return outcomes.every((t) => t.state === 'done') ? 0 : 1;
}

function describeTask(t: TaskOutcome, tasks: number): string {
  return t.step === 'reduce' ? `reduce (job ${t.job})` : `shard ${t.shard}/${tasks} (job ${t.job})`;
}
