// `imgbuild submit k8s`: a Kubernetes Indexed Job (each pod's JOB_COMPLETION_INDEX is its shard) and the reduce
// Job, as YAML to `kubectl apply -f`. Kubernetes has no dependency between Jobs: apply the reduce Job once the
// array Job is Complete (`kubectl wait --for=condition=complete job/NAME`), as the printed comment says.
// Fields as documented for batch/v1 Job: completionMode Indexed, completions, parallelism, backoffLimitPerIndex.
import { stringify } from 'yaml';
import type { ArrayJob } from './array-job.js';

export interface KubernetesOptions {
  readonly image: string;
  readonly name: string;
  /** A Secret whose keys become the tasks' environment (credentials: the variables the flags name). */
  readonly secret?: string;
  /** Tasks running at once (default: all). */
  readonly parallelism?: number;
}

function container(args: readonly string[], o: KubernetesOptions): object {
  return {
    name: 'imgbuild',
    image: o.image,
    command: ['imgbuild'],
    args,
    ...(o.secret !== undefined ? { envFrom: [{ secretRef: { name: o.secret } }] } : {}),
  };
}

export function kubernetesManifests(job: ArrayJob, o: KubernetesOptions): { readonly array: object; readonly reduce: object | undefined } {
  const targets = job.targets.length > 0 ? job.targets : ['all'];
  const array = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, labels: { 'app.kubernetes.io/name': 'imgbuild' } },
    spec: {
      completionMode: 'Indexed',
      completions: job.tasks,
      parallelism: o.parallelism ?? job.tasks,
      // One failed shard fails its index only; the others finish (their work is kept in the remote cache).
      backoffLimitPerIndex: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [container([...targets, '--shard', 'auto', '--shard-count', String(job.tasks), '--work', '/tmp/imgbuild/work', '--cache', '/tmp/imgbuild/cache', ...job.flags], o)],
        },
      },
    },
  };
  const reduce = job.reduce
    ? {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: `${o.name}-reduce`, labels: { 'app.kubernetes.io/name': 'imgbuild' } },
        spec: {
          completions: 1,
          backoffLimit: 0,
          template: { spec: { restartPolicy: 'Never', containers: [container(['reindex', '--work', '/tmp/imgbuild/work', '--cache', '/tmp/imgbuild/cache', ...job.flags], o)] } },
        },
      }
    : undefined;
  return { array, reduce };
}

export function kubernetesYaml(job: ArrayJob, o: KubernetesOptions, files?: { readonly array: string; readonly reduce: string }): string {
  const { array, reduce } = kubernetesManifests(job, o);
  const how = files
    ? `#   kubectl apply -f ${files.array}\n#   kubectl wait --for=condition=complete --timeout=24h job/${o.name}\n#   kubectl apply -f ${files.reduce}\n`
    : `#   apply the first Job, kubectl wait --for=condition=complete job/${o.name}, then apply the reduce Job\n`;
  const parts = [`# imgbuild: ${job.tasks} shards as an Indexed Job, then the reduce Job (Kubernetes has no dependencies between Jobs):\n${how}`, stringify(array)];
  if (reduce !== undefined) parts.push(`---\n${stringify(reduce)}`);
  return parts.join('');
}
