// Watch mode, measured (issue 9):
//   1. replan in a running session after one changed file over 10,000 inputs ÷ ninja's no-op of the same graph
//   2. latency from a small image renamed into incoming to its data set listed in the root index (median of 20),
//      next to that image's own processing time (the sum of its nodes' times)
//   3. a 1,000-image burst under the watcher ÷ the same images built by one `imgbuild all`
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { defineRule } from '../src/graph/rule.js';
import { BuildSession } from '../src/run/build-session.js';
import type { BuildEvent } from '../src/run/events.js';
import { watchIncoming } from '../src/watch/watch-incoming.js';
import type { WatchEvent } from '../src/watch/watch-events.js';
import { wwtStudyRules } from '../rules/index.js';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (s: number): string => `${s.toFixed(1)} ms`;

function wallMs(argv: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function replanBenchmark(out: string): Promise<void> {
  const count = 10_000;
  const dir = path.join(out, 'watch-replan');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
  const ninja = ['rule cp', '  command = cp $in $out', ''];
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(path.join(dir, 'incoming', `f${i}.txt`), `input ${i}\n`);
    ninja.push(`build ninja-out/f${i}.txt: cp incoming/f${i}.txt`);
  }
  fs.writeFileSync(path.join(dir, 'build.ninja'), ninja.join('\n') + '\n');
  spawnSync('ninja', ['-j', '2'], { cwd: dir, stdio: 'ignore' });
  const copy = defineRule({
    name: 'copy',
    version: 1,
    forEach: { files: '{id}.txt' },
    inputs: (n) => ({ text: n.file! }),
    outputs: (n) => ({ out: `${n.item}.txt` }),
    run: (ctx) => fs.copyFileSync(ctx.inputs['text']!, ctx.outputs['out']!),
  });
  let planAt = 0;
  const session = await BuildSession.open({
    config: { rules: [copy] },
    projectDir: dir,
    cwd: dir,
    defaultRules: [],
    targets: ['all'],
    emit: (event) => {
      if (event.type === 'plan') planAt = performance.now();
    },
  });
  try {
    await session.runOnce();
    const plans: number[] = [];
    const batches: number[] = [];
    for (let run = 0; run < 21; run++) {
      const file = path.join(dir, 'incoming', `f${(run * 397) % count}.txt`);
      fs.writeFileSync(file, `changed ${run}\n`);
      const start = performance.now();
      const { summary } = await session.runOnce({ changed: [file] });
      const end = performance.now();
      if (summary.ran.length !== 1) throw new Error(`expected one node to run, got ${summary.ran.length}`);
      plans.push(planAt - start);
      batches.push(end - start);
    }
    const peer = Array.from({ length: 21 }, () => wallMs(['ninja'], dir));
    console.log(`\nWatch: replan after one changed file over ${count} inputs (median of 21)`);
    console.log(`  ninja no-op (same graph)                 ${ms(median(peer))}`);
    console.log(`  imgbuild session replan (to the plan)    ${ms(median(plans))}`);
    console.log(`  … and the whole batch (run + state)      ${ms(median(batches))}`);
    console.log(`  ratio replan / ninja no-op               ${(median(plans) / median(peer)).toFixed(2)}   (goal ≤ 1)`);
  } finally {
    session.close();
  }
}

async function smallImage(file: string, seed: number, side = 48): Promise<void> {
  const raw = Buffer.alloc(side * side * 3, seed % 256);
  for (let i = 0; i < raw.length; i += 7) raw[i] = (i * seed) % 256;
  await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png().toFile(file);
}

interface LiveWatcher {
  readonly events: WatchEvent[];
  /** performance.now() of each batch start. */
  readonly startedAt: number[];
  readonly nodeMs: Map<string, number>;
  stop(): Promise<void>;
}

async function startWatcher(dir: string): Promise<LiveWatcher> {
  const events: WatchEvent[] = [];
  const startedAt: number[] = [];
  const nodeMs = new Map<string, number>();
  const controller = new AbortController();
  const session = await BuildSession.open({
    config: { local: 'repo', publishUrlPrefix: 'https://data.example.org/wwt/', folderName: 'bench' },
    projectDir: dir,
    cwd: dir,
    defaultRules: wwtStudyRules(),
    targets: ['all'],
  });
  const emit = (event: BuildEvent): void => {
    if (event.type === 'node-done') nodeMs.set(event.node.id, event.ms);
  };
  const running = watchIncoming(session, { signal: controller.signal, emit, onWatch: (e) => {
      if (e.type === 'batch-start') startedAt.push(performance.now());
      events.push(e);
    } }).finally(() => session.close());
  while (!events.some((e) => e.type === 'batch-done')) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    events,
    startedAt,
    nodeMs,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

async function latencyBenchmark(out: string): Promise<void> {
  const dir = path.join(out, 'watch-latency');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
  const watcher = await startWatcher(dir);
  const latencies: number[] = [];
  const processing: number[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const id = `late${i}`;
      const temporary = path.join(dir, 'incoming', `${id}.png.tmp`);
      await smallImage(temporary, i + 1);
      const start = performance.now();
      fs.renameSync(temporary, path.join(dir, 'incoming', `${id}.png`));
      const index = path.join(dir, 'repo', 'index.wtml');
      const deadline = Date.now() + 30_000;
      while (!(fs.existsSync(index) && fs.readFileSync(index, 'utf8').includes(`/${id}/`))) {
        if (Date.now() > deadline) throw new Error(`${id} never reached the root index`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      latencies.push(performance.now() - start);
      // Its own processing: every node of the image, and the root index.
      let own = watcher.nodeMs.get('index') ?? 0;
      for (const [node, took] of watcher.nodeMs) if (node.endsWith(`:${id}`)) own += took;
      processing.push(own);
      watcher.nodeMs.clear();
    }
  } finally {
    await watcher.stop();
  }
  const overhead = latencies.map((l, i) => l - processing[i]!);
  console.log('\nWatch: latency from a 48×48 image renamed into incoming to its entry in the root index (median of 20)');
  console.log(`  latency                                  ${ms(median(latencies))}`);
  console.log(`  its own processing (its nodes + index)   ${ms(median(processing))}`);
  console.log(`  watcher overhead (latency − processing)  ${ms(median(overhead))}   (goal ≤ 1000 ms; the write-finish wait is 300 ms)`);
}

async function burstBenchmark(out: string, bin: string): Promise<void> {
  const count = 1000;
  const source = path.join(out, 'watch-burst-images');
  if (!fs.existsSync(path.join(source, `b${count - 1}.png`))) {
    fs.mkdirSync(source, { recursive: true });
    for (let i = 0; i < count; i++) await smallImage(path.join(source, `b${i}.png`), i + 7, 32);
  }
  const peers: number[] = [];
  const ours: number[] = [];
  const waits: number[] = [];
  let batches = 0;
  // Alternate the two, twice, so that a machine busy with something else weighs on both alike.
  for (let round = 0; round < 2; round++) {
    // Peer: the same files built by one `imgbuild all` from a fresh project.
    const oneShot = path.join(out, 'watch-burst-all');
    fs.rmSync(oneShot, { recursive: true, force: true });
    fs.cpSync(source, path.join(oneShot, 'incoming'), { recursive: true });
    peers.push(wallMs([process.execPath, bin, 'all', '--local', 'repo', '--publish-url-prefix', 'https://data.example.org/wwt/'], oneShot));

    const dir = path.join(out, 'watch-burst');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
    // The watcher as users run it: its own process, its lines on stderr.
    const child = spawn(process.execPath, [bin, 'watch', '--local', 'repo', '--publish-url-prefix', 'https://data.example.org/wwt/'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const startedAt: number[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      if (text.includes('batch of')) startedAt.push(performance.now());
    });
    try {
      const deadline = Date.now() + 600_000;
      const wait = async (condition: () => boolean, what: string): Promise<void> => {
        while (!condition()) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what} did not happen:\n${stderr.slice(-2000)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await wait(() => stderr.includes('first pass'), 'the first pass');
      const start = performance.now();
      const copy = spawn('sh', ['-c', `cp "${source}"/*.png "${path.join(dir, 'incoming')}/"`], { stdio: 'ignore' });
      await new Promise((resolve) => copy.on('close', resolve));
      const done = (): number => [...stderr.matchAll(/batch of (\d+) files?/g)].reduce((n, m) => n + Number(m[1]), 0);
      await wait(() => done() >= count, 'the burst');
      ours.push(performance.now() - start);
      batches = Math.max(batches, [...stderr.matchAll(/batch of/g)].length);
      const firstBatch = /batch of \d+ files?: .*\(([\d.]+) (s|ms)\)/.exec(stderr);
      const batchMs = firstBatch ? Number(firstBatch[1]) * (firstBatch[2] === 's' ? 1000 : 1) : 0;
      waits.push(performance.now() - start - batchMs);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('close', resolve));
    }
  }
  const best = (values: number[]): number => Math.min(...values);
  console.log(`\nWatch: a burst of ${count} 32×32 images (each: place, tiles, thumbnail, wtml, publish); best of 2, alternated`);
  console.log(`  imgbuild all (one shot, fresh project)   ${(best(peers) / 1000).toFixed(2)} s   (${peers.map((p) => (p / 1000).toFixed(1)).join(', ')})`);
  console.log(`  imgbuild watch, drop to last batch done  ${(best(ours) / 1000).toFixed(2)} s   (${ours.map((p) => (p / 1000).toFixed(1)).join(', ')}; at most ${batches} batch${batches === 1 ? '' : 'es'}; waiting before the batch: ${(best(waits) / 1000).toFixed(2)} s)`);
  console.log(`  ratio watch / all                        ${(best(ours) / best(peers)).toFixed(2)}   (goal ≤ 1.1)`);
}

export async function watchBenchmark(out: string, bin: string, only?: string): Promise<void> {
  if (only === undefined || only === 'replan') await replanBenchmark(out);
  if (only === undefined || only === 'latency') await latencyBenchmark(out);
  if (only === undefined || only === 'burst') await burstBenchmark(out, bin);
}
