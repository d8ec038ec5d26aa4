// imgbuild submit: a real single-node SLURM cluster (started here, stopped at the end) runs a build as a job array
// plus a reduce job; Kubernetes and AWS Batch submissions are checked for shape against their documented fields.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { listFiles, REPO_ROOT, TempProject } from './helpers/project.js';
import { type SlurmCluster, slurmUnavailable, startSlurm } from './helpers/slurm-cluster.js';
import { assertSameRepository } from './helpers/repo-compare.js';
import { shardOf } from '../src/remote/shard.js';

const test = suite('submit');

const NAMES = ['m31', 'm42', 'm45', 'ngc1', 'ngc2', 'ngc3'];
const COMMON = ['--publish-url-prefix', 'https://data.example.org/wwt/'];

function project(prefix: string): TempProject {
  const p = new TempProject(prefix);
  for (const name of NAMES) p.write(`incoming/${name}.jpg`, fs.readFileSync(path.join(REPO_ROOT, 'example/incoming/orion-vst.jpg')));
  return p;
}

const unavailable = slurmUnavailable();
let cluster: SlurmCluster | undefined;

test.before(async () => {
  if (unavailable !== undefined) {
    // A developer's laptop without SLURM: one line. CI sets IMGBUILD_REQUIRE_SLURM, so there it is a failure.
    if (process.env['IMGBUILD_REQUIRE_SLURM']) throw new Error(`the SLURM tests must run here: ${unavailable}`);
    console.log(`\n  skipping the SLURM tests: ${unavailable}`);
    return;
  }
  cluster = await startSlurm(2);
});

test.after(async () => {
  await cluster?.stop();
});

test('submit slurm --tasks 3 --wait: an array job and a reduce job build the repository one imgbuild all builds', async () => {
  if (cluster === undefined) return;
  const single = project('imgbuild-slurm-single-');
  const p = project('imgbuild-slurm-');
  const shared = new TempProject('imgbuild-slurm-cache-');
  try {
    assert.is(single.cli(['all', ...COMMON]).code, 0);
    const run = await p.cliAsync(['submit', 'slurm', '--tasks', '3', '--wait', '--cpus-per-task', '1', '--remote-cache', `file://${shared.dir}`, ...COMMON], { SLURM_CONF: cluster.env['SLURM_CONF']! });
    assert.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /submitted array job (\d+) \(3 tasks\) and reduce job (\d+) \(after every task succeeded\); scripts and logs in cache\/submit\//);
    for (let i = 1; i <= 3; i++) assert.match(run.stderr, new RegExp(`shard ${i}/3 \\(job \\d+_${i}\\): done`));
    assert.match(run.stderr, /reduce \(job \d+\): done/);
    assertSameRepository(single.path('repo'), p.path('repo'));
    // The scripts are kept to read and rerun; no secret or environment value is written into them.
    const folder = fs.readdirSync(p.path('cache', 'submit'))[0]!;
    const script = fs.readFileSync(p.path('cache', 'submit', folder, 'array.sbatch'), 'utf8');
    assert.match(script, /#SBATCH --array=1-3/);
    assert.match(script, / all --shard "\$SLURM_ARRAY_TASK_ID\/3" --jobs "\$\{SLURM_CPUS_PER_TASK:-1\}" --work .*\/"\$SLURM_ARRAY_TASK_ID"\/work/);
    assert.match(fs.readFileSync(p.path('cache', 'submit', folder, 'reduce.sbatch'), 'utf8'), / reindex --remote-cache/);
    // The tasks stored their outputs in the remote cache: a fresh machine restores them instead of tiling.
    assert.ok(listFiles(path.join(shared.dir, 'entries')).length >= NAMES.length * 4);
    const other = project('imgbuild-slurm-other-');
    try {
      const again = other.json(['all', '--remote-cache', `file://${shared.dir}`, ...COMMON]);
      const restored = ((again.report as { restored?: Array<{ id: string }> }).restored ?? []).map((r) => r.id);
      assert.equal(restored.filter((id) => id.startsWith('tiles:')).length, NAMES.length, again.stderr);
    } finally {
      other.remove();
    }
  } finally {
    single.remove();
    p.remove();
    shared.remove();
  }
});

test('a failing shard: the reduce job does not run, and the outcome names the shard, its error and its log', async () => {
  if (cluster === undefined) return;
  // A project folder with a space in its path: sbatch gets it as one argument, the script quotes it.
  const p = project('imgbuild slurm-fail-');
  try {
    p.write('incoming/broken.jpg', 'not a JPEG at all');
    const bad = shardOf('broken', 3);
    const run = await p.cliAsync(['submit', 'slurm', '--tasks', '3', '--wait', ...COMMON], { SLURM_CONF: cluster.env['SLURM_CONF']! });
    assert.is(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`shard ${bad}/3 \\(job \\d+_${bad}\\): FAILED \\(exit 1: .*broken\\.jpg.*\\); log cache/submit/[^ ]+/task-${bad}\\.log`));
    for (let i = 1; i <= 3; i++) if (i !== bad) assert.match(run.stderr, new RegExp(`shard ${i}/3 \\(job \\d+_${i}\\): done`));
    assert.match(run.stderr, /reduce \(job \d+\): not run/);
    assert.not.ok(fs.existsSync(p.path('repo', 'index.wtml')), 'the reduce job did not run');
  } finally {
    p.remove();
  }
});

test('without sbatch on PATH: one clear line', () => {
  const p = project('imgbuild-slurm-none-');
  try {
    const run = p.cli(['submit', 'slurm', '--tasks', '2', ...COMMON], { PATH: '/nonexistent' });
    assert.is(run.code, 1);
    assert.equal(run.stderr.trim().split('\n'), ["imgbuild: sbatch was not found: imgbuild submit slurm needs SLURM's client commands on PATH (Debian: slurm-client)"]);
    const dry = p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '--partition', 'gpu', '--time', '01:00:00', '--sbatch-arg=--account=astro', '--local', 'repo-x', ...COMMON]);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /#SBATCH --partition=gpu\n#SBATCH --time=01:00:00\n#SBATCH --account=astro/);
    assert.match(dry.stdout, / --local repo-x --publish-url-prefix https:\/\/data\.example\.org\/wwt\/\n/);
    assert.match(p.cli(['submit', 'slurm']).stderr, /needs --tasks N/);
    assert.match(p.cli(['submit', 'slurm', '--tasks', '2', '--image', 'x']).stderr, /--image is an option of imgbuild submit k8s/);
    const secret = p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '--remote-cache', 's3://cache/x', '--s3-endpoint', 'http://me:hunter2@127.0.0.1:9', ...COMMON]);
    assert.match(secret.stderr, /holds a URL with a credential/);
    for (const url of ['https://ghp_abcdefghijklmnopqrstuvwxyz0123@feeds.example.org/x', 'https://feeds.example.org/x?api_key=abcdef123456', 'http://u:pa ss@127.0.0.1:9']) {
      const refused = p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '--source-type', 'astropix', '--source-url', url, ...COMMON]);
      assert.match(refused.stderr, /holds a URL with a credential/, url);
      assert.not.match(refused.stderr + refused.stdout, /ghp_|abcdef123456|pa ss/);
    }
    assert.match(p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '--sbatch-arg=--comment=x --array=1-99', ...COMMON]).stderr, /one sbatch option per flag/);
    assert.match(p.cli(['submit', 'slurm', 'reindex', '--tasks', '2', '--dry-run', ...COMMON]).stderr, /reindex is the reduce step/);
    assert.match(p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '-j', '8', ...COMMON]).stderr, /give --cpus-per-task N/);
    const asJson = JSON.parse(p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run', '--json', ...COMMON]).stdout);
    assert.match(asJson.array, /#SBATCH --array=1-2/);
    assert.match(asJson.reduce, / reindex /);
    assert.not.match(secret.stderr + secret.stdout, /hunter2/);
    // A configuration error is told once, at submission, not by every task.
    const unset = p.cli(['submit', 'slurm', '--tasks', '2', '--dry-run']);
    assert.is(unset.code, 2);
    assert.match(unset.stderr, /publish_url_prefix is not set/);
  } finally {
    p.remove();
  }
});

test('submit k8s: an Indexed Job (completions N, JOB_COMPLETION_INDEX → --shard auto --shard-count N) and the reduce Job', () => {
  const p = project('imgbuild-k8s-');
  try {
    const run = p.cli(['submit', 'k8s', '--tasks', '4', '--image', 'registry.example.org/imgbuild:1', '--secret', 'imgbuild-credentials', '--remote-cache', 's3://cache/x', ...COMMON]);
    assert.is(run.code, 0, run.stderr);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS() as Record<string, any>);
    assert.is(docs.length, 2);
    const [array, reduce] = docs as [Record<string, any>, Record<string, any>];
    assert.is(array['apiVersion'], 'batch/v1');
    assert.is(array['kind'], 'Job');
    assert.is(array['spec'].completionMode, 'Indexed');
    assert.is(array['spec'].completions, 4);
    const pod = array['spec'].template.spec;
    assert.is(pod.restartPolicy, 'Never');
    assert.is(pod.containers[0].image, 'registry.example.org/imgbuild:1');
    assert.equal(pod.containers[0].envFrom, [{ secretRef: { name: 'imgbuild-credentials' } }]);
    const args: string[] = pod.containers[0].args;
    assert.equal(args.slice(0, 5), ['all', '--shard', 'auto', '--shard-count', '4']);
    assert.ok(args.includes('--remote-cache') && args.includes('s3://cache/x'));
    assert.is(reduce['kind'], 'Job');
    assert.is(reduce['spec'].template.spec.containers[0].args[0], 'reindex');
    assert.match(run.stdout, /kubectl wait --for=condition=complete/);
    const folder = fs.readdirSync(p.path('cache', 'submit'))[0]!;
    assert.is((parseYaml(fs.readFileSync(p.path('cache', 'submit', folder, 'reduce.yaml'), 'utf8')) as Record<string, any>)['metadata'].name, `${array['metadata'].name}-reduce`);
  } finally {
    p.remove();
  }
});

test('submit aws-batch: SubmitJob requests (arrayProperties.size, dependsOn the array job) and the script that sends them', () => {
  const p = project('imgbuild-batch-');
  try {
    const json = p.cli(['submit', 'aws-batch', '--tasks', '3', '--job-queue', 'q', '--job-definition', 'imgbuild:3', '--json', ...COMMON]);
    assert.is(json.code, 0, json.stderr);
    const { array, reduce } = JSON.parse(json.stdout);
    assert.equal(Object.keys(array).sort(), ['arrayProperties', 'containerOverrides', 'jobDefinition', 'jobName', 'jobQueue']);
    assert.equal(array.arrayProperties, { size: 3 });
    assert.equal(array.containerOverrides.command.slice(0, 6), ['imgbuild', 'all', '--shard', 'auto', '--shard-count', '3']);
    assert.equal(reduce.dependsOn, [{ jobId: '${ARRAY_JOB_ID}' }]);
    assert.is(reduce.containerOverrides.command[1], 'reindex');
    const script = p.cli(['submit', 'aws-batch', '--tasks', '3', '--job-queue', 'q', '--job-definition', 'imgbuild:3', ...COMMON]);
    assert.match(script.stdout, /ARRAY_JOB_ID=\$\(aws batch submit-job --cli-input-json '\{.*"arrayProperties":\{"size":3\}.*\}' --query jobId --output text\)/);
    assert.match(script.stdout, /"dependsOn":\[\{"jobId":"'"\$ARRAY_JOB_ID"'"\}\]/);
    assert.match(p.cli(['submit', 'aws-batch', '--tasks', '1', '--job-queue', 'q', '--job-definition', 'd', ...COMMON]).stderr, /--tasks takes a whole number 2…10000/);
  } finally {
    p.remove();
  }
});

test.run();
