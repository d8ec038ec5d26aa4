// `--shard auto`: I and N from the array-job environment the task runs in (../shared/GUIDE.md §8).
//   SLURM            SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT (I = ID − MIN + 1)
//   AWS Batch        AWS_BATCH_JOB_ARRAY_INDEX (0-based); N from --shard-count or AWS_BATCH_JOB_ARRAY_SIZE
//   Kubernetes       JOB_COMPLETION_INDEX (0-based, an Indexed Job); N from --shard-count
import { UsageError } from '../errors.js';
import type { Shard } from './shard.js';

const WHOLE = /^\s*\d+\s*$/;

function whole(value: string | undefined, name: string): number {
  if (value === undefined) throw new UsageError(`--shard auto: ${name} is not set`);
  if (!WHOLE.test(value)) throw new UsageError(`--shard auto: ${name} is ${JSON.stringify(value)}, not a whole number`);
  return Number(value);
}

/** N from --shard-count or the environment; both given and different is a mistake to say, not to choose between. */
function sameCount(flag: number | undefined, fromEnv: string | undefined, name: string): number {
  if (fromEnv === undefined) {
    if (flag === undefined) throw new UsageError(`--shard auto: ${name} is not set; give --shard-count N`);
    return flag;
  }
  const n = whole(fromEnv, name);
  if (flag !== undefined && flag !== n) throw new UsageError(`--shard-count ${flag} disagrees with ${name}=${n}; drop --shard-count`);
  return n;
}

/** Past a million shards a number is a typo. */
const MAX_SHARDS = 1_000_000;

function checked(shard: Shard): Shard {
  if (shard.count > MAX_SHARDS) throw new UsageError(`--shard: ${shard.count} shards (from ${shard.source}) is more than ${MAX_SHARDS.toLocaleString('en')}`);
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) throw new UsageError(`--shard: ${shard.index}/${shard.count} (from ${shard.source}) is not a shard: I must be 1…N`);
  return shard;
}

/** `--shard I/N` or `--shard auto` (with `--shard-count N` where the environment does not say N). */
export function resolveShard(text: string, count: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  const flagCount = count === undefined ? undefined : whole(count, '--shard-count');
  if (text !== 'auto') {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
    if (!match) throw new UsageError(`--shard takes I/N (1-based, such as 2/8) or auto (from SLURM, AWS Batch or Kubernetes), not ${JSON.stringify(text)}`);
    if (count !== undefined) throw new UsageError('--shard-count goes with --shard auto (N is already in --shard I/N)');
    return checked({ index: Number(match[1]), count: Number(match[2]), source: '--shard' });
  }
  if (env['SLURM_ARRAY_TASK_ID'] !== undefined) {
    // Tasks MIN, MIN+STEP, … (--array=10-30:10); an array of other ids (--array=1,4,9) has no arithmetic I.
    const id = whole(env['SLURM_ARRAY_TASK_ID'], 'SLURM_ARRAY_TASK_ID');
    const min = whole(env['SLURM_ARRAY_TASK_MIN'] ?? '0', 'SLURM_ARRAY_TASK_MIN');
    const step = whole(env['SLURM_ARRAY_TASK_STEP'] ?? '1', 'SLURM_ARRAY_TASK_STEP') || 1;
    const n = sameCount(flagCount, env['SLURM_ARRAY_TASK_COUNT'], 'SLURM_ARRAY_TASK_COUNT');
    if ((id - min) % step !== 0) throw new UsageError(`--shard auto: SLURM task ${id} is not on the array's grid (${min}, ${min + step}, …): give --shard I/N`);
    return checked({ index: (id - min) / step + 1, count: n, source: `SLURM array job ${env['SLURM_ARRAY_JOB_ID'] ?? '?'}, task ${id}` });
  }
  if (env['AWS_BATCH_JOB_ARRAY_INDEX'] !== undefined) {
    const index = whole(env['AWS_BATCH_JOB_ARRAY_INDEX'], 'AWS_BATCH_JOB_ARRAY_INDEX');
    const size = env['AWS_BATCH_JOB_ARRAY_SIZE'];
    if (flagCount === undefined && size === undefined) throw new UsageError('--shard auto in an AWS Batch array job: give --shard-count N (the array size; AWS Batch does not tell the task)');
    return checked({ index: index + 1, count: sameCount(flagCount, size, 'AWS_BATCH_JOB_ARRAY_SIZE'), source: `AWS Batch array index ${index}` });
  }
  if (env['JOB_COMPLETION_INDEX'] !== undefined) {
    const index = whole(env['JOB_COMPLETION_INDEX'], 'JOB_COMPLETION_INDEX');
    if (flagCount === undefined) throw new UsageError('--shard auto in a Kubernetes Indexed Job: give --shard-count N (the Job\'s completions)');
    return checked({ index: index + 1, count: flagCount, source: `Kubernetes Indexed Job completion index ${index}` });
  }
  throw new UsageError('--shard auto found no array job: none of SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX is set (give --shard I/N)');
}
