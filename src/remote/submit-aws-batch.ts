// `imgbuild submit aws-batch`: the SubmitJob requests of AWS Batch (as `aws batch submit-job --cli-input-json`
// takes them): an array job of N children (AWS_BATCH_JOB_ARRAY_INDEX is each child's shard, 0-based; N rides along
// as --shard-count, since the children are not told the size), then the reduce job with dependsOn the array job
// (AWS Batch starts it once every child succeeded). Documented limits: an array's size is 2…10,000.
import type { ArrayJob } from './array-job.js';
import { shellQuote } from './array-job.js';

export interface AwsBatchOptions {
  readonly jobQueue: string;
  readonly jobDefinition: string;
  readonly name: string;
}

/** The placeholder the reduce request carries until the array job's id is known. */
export const ARRAY_JOB_ID = '${ARRAY_JOB_ID}';

export function awsBatchRequests(job: ArrayJob, o: AwsBatchOptions): { readonly array: object; readonly reduce: object | undefined } {
  const targets = job.targets.length > 0 ? job.targets : ['all'];
  const array = {
    jobName: o.name,
    jobQueue: o.jobQueue,
    jobDefinition: o.jobDefinition,
    arrayProperties: { size: job.tasks },
    containerOverrides: {
      command: ['imgbuild', ...targets, '--shard', 'auto', '--shard-count', String(job.tasks), '--work', '/tmp/imgbuild/work', '--cache', '/tmp/imgbuild/cache', ...job.flags],
    },
  };
  const reduce = job.reduce
    ? {
        jobName: `${o.name}-reduce`,
        jobQueue: o.jobQueue,
        jobDefinition: o.jobDefinition,
        dependsOn: [{ jobId: ARRAY_JOB_ID }],
        containerOverrides: { command: ['imgbuild', 'reindex', '--work', '/tmp/imgbuild/work', '--cache', '/tmp/imgbuild/cache', ...job.flags] },
      }
    : undefined;
  return { array, reduce };
}

/** A shell script that submits both (the AWS CLI's --cli-input-json; the array job's id fills the reduce's dependsOn). */
export function awsBatchScript(job: ArrayJob, o: AwsBatchOptions): string {
  const { array, reduce } = awsBatchRequests(job, o);
  const lines = [
    '#!/bin/sh',
    `# imgbuild: ${job.tasks} shards as an AWS Batch array job, then the reduce job once every child succeeded`,
    'set -eu',
    `ARRAY_JOB_ID=$(aws batch submit-job --cli-input-json ${shellQuote(JSON.stringify(array))} --query jobId --output text)`,
    'echo "array job: $ARRAY_JOB_ID"',
  ];
  if (reduce !== undefined) {
    // Split at the dependsOn value itself: a flag holding the same text is inside another JSON string, escaped.
    const marker = JSON.stringify({ jobId: ARRAY_JOB_ID });
    const text = JSON.stringify(reduce);
    const at = text.indexOf(marker) + marker.indexOf(ARRAY_JOB_ID);
    const [before, after] = [text.slice(0, at), text.slice(at + ARRAY_JOB_ID.length)];
    lines.push(`aws batch submit-job --cli-input-json ${shellQuote(before)}"$ARRAY_JOB_ID"${shellQuote(after)} --query jobId --output text`);
  }
  return lines.join('\n') + '\n';
}
