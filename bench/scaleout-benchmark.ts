// Scale-out (issue 13), each figure against a peer measured in the same run:
//   1. Restoring a tiled 8192² image from a file:// remote cache ÷ tiling it (goal ≤ 0.2).
//   2. The CPU of 4 shards (and the reduce step) ÷ the CPU of one unsharded build of the same 40 images (goal ≤ 1.1).
//   3. SLURM's own overhead per task, on the single-node cluster the tests use.
//   4. From those, a projected wall time for 10,000 images on 100 nodes, with its assumptions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeBigPng } from './big-png.js';
import { slurmUnavailable, startSlurm } from '../test/helpers/slurm-cluster.js';

interface Timed {
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
}

/** GNU time: wall, user + system CPU (threads included) and peak RSS. */
function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Timed {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...argv], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !match) throw new Error(`${argv.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return { wallS: Number(match[1]), cpuS: Number(match[2]) + Number(match[3]), rssMb: Number(match[4]) / 1024 };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fresh = (dir: string, ...names: string[]): void => names.forEach((n) => fs.rmSync(path.join(dir, n), { recursive: true, force: true }));

async function restoreVersusTiling(out: string, bin: string, runs: number): Promise<number> {
  const dir = path.join(out, 'scaleout-restore');
  fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
  await makeBigPng(path.join(dir, 'incoming', 'big.png'), 8192);
  const args = (work: string, cache: string, remote?: string): string[] => [process.execPath, bin, 'tiles', '--work', work, '--cache', cache, '--local', 'repo', ...(remote ? ['--remote-cache', `file://${remote}`] : [])];
  const plain: Timed[] = [];
  const storing: Timed[] = [];
  const restoring: Timed[] = [];
  for (let run = 0; run < runs; run++) {
    fresh(dir, 'w0', 'c0', 'w1', 'c1', 'w2', 'c2', 'shared');
    plain.push(timed(args('w0', 'c0'), dir));
    storing.push(timed(args('w1', 'c1', path.join(dir, 'shared')), dir));
    restoring.push(timed(args('w2', 'c2', path.join(dir, 'shared')), dir));
    if (fs.readdirSync(path.join(dir, 'w2', 'big', 'tiles')).length !== fs.readdirSync(path.join(dir, 'w0', 'big', 'tiles')).length) throw new Error('the restore did not bring back the pyramid');
  }
  const [p, s, r] = [plain, storing, restoring].map((m) => median(m.map((t) => t.wallS))) as [number, number, number];
  const files = spawnSync('find', [path.join(dir, 'w2', 'big', 'tiles'), '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n').length;
  console.log(`\nRemote cache: an 8192² image's tile pyramid (${files} files) from a file:// cache (median of ${runs})`);
  console.log(`  imgbuild tiles, no remote cache          ${p.toFixed(2)} s`);
  console.log(`  imgbuild tiles, storing into the cache   ${s.toFixed(2)} s   (storing costs ${(((s - p) / p) * 100).toFixed(0)} %)`);
  console.log(`  imgbuild tiles, restoring from it        ${r.toFixed(2)} s   peak RSS ${Math.max(...restoring.map((t) => t.rssMb)).toFixed(0)} MB`);
  console.log(`  ratio restore / tiling                   ${(r / p).toFixed(3)}   (goal ≤ 0.2)`);
  return r;
}

async function makeImages(dir: string, n: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `img-${String(i).padStart(2, '0')}.png`);
    if (fs.existsSync(file)) continue;
    await sharp({ create: { width: 2048, height: 1536, channels: 3, background: { r: 20 + i, g: 30, b: 40 }, noise: { type: 'gaussian', mean: 50 + i, sigma: 12 } } })
      .png({ compressionLevel: 1 })
      .toFile(file);
  }
}

interface ShardFigures {
  readonly singleCpu: number;
  readonly singleWall: number;
  readonly shardCpu: number;
  readonly reduceCpu: number;
  readonly reduceWall: number;
  readonly images: number;
}

function shardsVersusOne(out: string, bin: string, runs: number): ShardFigures {
  const dir = path.join(out, 'scaleout-shards');
  const images = fs.readdirSync(path.join(dir, 'incoming')).length;
  const common = ['--publish-url-prefix', 'https://data.example.org/wwt/', '--jobs', '2'];
  const single: Timed[] = [];
  const sharded: number[] = [];
  const reduce: Timed[] = [];
  for (let run = 0; run < runs; run++) {
    fresh(dir, 'work', 'cache', 'repo', 'repo-sharded', 'shards');
    single.push(timed([process.execPath, bin, 'all', '--local', 'repo', ...common], dir));
    let cpu = 0;
    for (let i = 1; i <= 4; i++) cpu += timed([process.execPath, bin, 'all', '--shard', `${i}/4`, '--work', `shards/${i}/work`, '--cache', `shards/${i}/cache`, '--local', 'repo-sharded', ...common], dir).cpuS;
    sharded.push(cpu);
    reduce.push(timed([process.execPath, bin, 'reindex', '--work', 'shards/r/work', '--cache', 'shards/r/cache', '--local', 'repo-sharded', ...common], dir));
  }
  const figures = {
    singleCpu: median(single.map((t) => t.cpuS)),
    singleWall: median(single.map((t) => t.wallS)),
    shardCpu: median(sharded),
    reduceCpu: median(reduce.map((t) => t.cpuS)),
    reduceWall: median(reduce.map((t) => t.wallS)),
    images,
  };
  console.log(`\nShards: ${images} images (2048×1536), 4 shards one after another ÷ one unsharded build (median of ${runs})`);
  console.log(`  imgbuild all                             ${figures.singleCpu.toFixed(2)} CPU-s   ${figures.singleWall.toFixed(2)} s`);
  console.log(`  4 × imgbuild all --shard i/4             ${figures.shardCpu.toFixed(2)} CPU-s`);
  console.log(`  + imgbuild reindex (the reduce step)     ${figures.reduceCpu.toFixed(2)} CPU-s   ${figures.reduceWall.toFixed(2)} s`);
  console.log(`  ratio shards / one build                 ${(figures.shardCpu / figures.singleCpu).toFixed(3)}   with the reduce ${((figures.shardCpu + figures.reduceCpu) / figures.singleCpu).toFixed(3)}   (goal ≤ 1.1)`);
  return figures;
}

async function slurmOverhead(): Promise<{ perTaskS: number; latencyS: number } | undefined> {
  const why = slurmUnavailable();
  if (why !== undefined) {
    console.log(`\nSLURM overhead: skipped (${why})`);
    return undefined;
  }
  const cpus = Math.max(1, os.availableParallelism());
  const cluster = await startSlurm(cpus);
  try {
    const follow = (args: string[]): number => {
      const start = process.hrtime.bigint();
      const id = spawnSync('sbatch', ['--parsable', `--chdir=${cluster.dir}`, '--output=/dev/null', ...args, '--wrap=true'], { env: cluster.env, encoding: 'utf8' }).stdout.trim();
      for (let i = 0; i < 6000; i++) {
        if (spawnSync('squeue', ['-h', '-j', id], { env: cluster.env, encoding: 'utf8' }).stdout.trim() === '') break;
        spawnSync('sleep', ['0.05']);
      }
      return Number(process.hrtime.bigint() - start) / 1e9;
    };
    const latency = median([follow([]), follow([]), follow([])]);
    const tasks = 16;
    const array = median([follow([`--array=1-${tasks}`]), follow([`--array=1-${tasks}`])]);
    const perTask = (array * cpus) / tasks;
    console.log(`\nSLURM (22.05, single node, ${cpus} CPUs): its own cost, measured with tasks that do nothing (\`true\`)`);
    console.log(`  one job, submit → gone from squeue      ${latency.toFixed(2)} s`);
    console.log(`  a ${tasks}-task array                       ${array.toFixed(2)} s   → ${perTask.toFixed(2)} s of a CPU slot per task`);
    return { perTaskS: perTask, latencyS: latency };
  } finally {
    await cluster.stop();
  }
}

export async function scaleoutBenchmark(out: string, bin: string, runs: number): Promise<void> {
  await restoreVersusTiling(out, bin, runs);
  await makeImages(path.join(out, 'scaleout-shards', 'incoming'), 40);
  const shards = shardsVersusOne(out, bin, runs);
  const slurm = await slurmOverhead();
  // The projection: every figure above, scaled; its assumptions said with it.
  const perImageCpu = shards.singleCpu / shards.images;
  const shardFactor = shards.shardCpu / shards.singleCpu;
  const nodes = 100;
  const coresPerNode = 32;
  const images = 10_000;
  const perNodeImages = images / nodes;
  const taskWall = (perNodeImages * perImageCpu * shardFactor) / coresPerNode + (slurm?.latencyS ?? 3);
  const reduceWall = (shards.reduceWall / shards.images) * images;
  console.log(`\nProjection: ${images.toLocaleString('en')} images like these on ${nodes} nodes of ${coresPerNode} cores (on paper)`);
  console.log(`  per image ${perImageCpu.toFixed(2)} CPU-s (measured here) × shard overhead ${shardFactor.toFixed(2)}; ${perNodeImages} images per node over ${coresPerNode} cores`);
  console.log(`  → each task ≈ ${taskWall.toFixed(0)} s (with SLURM's ${(slurm?.latencyS ?? 3).toFixed(1)} s start), reduce ≈ ${reduceWall.toFixed(0)} s (reindex time per data set × ${images}, local repository)`);
  console.log(`  → ≈ ${((taskWall + reduceWall) / 60).toFixed(1)} min end to end; assumes cores as fast as this machine's, perfect ${coresPerNode}-way use inside a node,`);
  console.log(`    a shared filesystem that keeps up (inputs read once, tiles written once), items dealt evenly (hash: ±${(100 / Math.sqrt(perNodeImages)).toFixed(0)} % per node), no queue wait.`);
}
