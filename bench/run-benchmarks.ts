// `npm run bench`: imgbuild against peers measured in the same run, reported as ratios.
//   1. Tiling an 8192×8192 RGB PNG to a full study pyramid: imgbuild ÷ `vips dzsave --layout google`.
//   2. A no-op build over 10,000 built inputs (a trivial copy rule): imgbuild ÷ ninja on the same graph.
//   3. Publishing 5,000 tiles to Azurite and s3rver: files per second, and the cost of a no-op republish.
//   4. Watch mode: in-session replan ÷ ninja's no-op, arrival-to-index latency, a 1,000-image burst ÷ `all`.
//   5. The archive catalog: 10,000 exposures ingested, and a box query, in SQLite and PostgreSQL.
//   6. FITS: a 4096² float32 asinh 99.5 % preview ÷ fitscut (and peak RSS ÷ file size); Rice .fz decode ÷ funpack.
//   7. A 5,000-item feed refreshed with nothing new: wall time and requests, ÷ one repository check per item (toasty's way).
// `npm run bench -- tiling|noop|publish|watch|catalog|bzip2|preview|toast|feed` runs one of them; `tiling-16k` (not in the default run) tiles 16384².
// Needs Debian's libvips-tools, ninja-build and time (GNU time, for peak RSS):
//   apt-get install -y libvips-tools ninja-build time
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { previewBenchmark } from './preview-benchmark.js';
import { publishBenchmark } from './publish-benchmark.js';
import { toastBenchmark } from './toast-benchmark.js';
import { watchBenchmark } from './watch-benchmark.js';
import { catalogBenchmark } from './catalog-benchmark.js';
import { bzip2Benchmark } from './bzip2-benchmark.js';
import { feedBenchmark } from './feed-benchmark.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'bench', '.out');
const BIN = path.join(ROOT, 'bin', 'imgbuild.js');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);

interface Measure {
  wallS: number;
  rssMb: number;
}

function requireTool(name: string, apt: string): void {
  if (spawnSync('which', [name]).status !== 0) {
    console.error(`bench: ${name} is missing; install it with: apt-get install -y ${apt}`);
    process.exit(2);
  }
}

/** Run a command under GNU time; wall seconds and peak RSS of the process tree's largest member. */
function timed(argv: string[], cwd: string): Measure {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  const match = /TIME ([\d.]+) (\d+)/.exec(result.stderr);
  if (!match) throw new Error(`no timing from GNU time:\n${result.stderr}`);
  return { wallS: Number(match[1]), rssMb: Number(match[2]) / 1024 };
}

/** Wall time in seconds measured here, for sub-second commands where GNU time's 10 ms resolution is too coarse. */
function wall(argv: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stderr}`);
  return seconds;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function makeBigPng(file: string, side: number): Promise<void> {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true }); // `bench -- toast` alone runs before the tiling benchmark made it
  console.log(`generating ${side}×${side} RGB PNG …`);
  // A smooth sky with stars and noise: compresses like a real image, not like a flat test card.
  const raw = Buffer.alloc(side * side * 3);
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      const glow = 40 + 60 * Math.exp(-(((x - side / 2) ** 2 + (y - side / 3) ** 2) / (side * side * 0.05)));
      raw[i] = Math.min(255, glow + random() * 12);
      raw[i + 1] = Math.min(255, glow * 0.8 + random() * 12);
      raw[i + 2] = Math.min(255, glow * 1.2 + random() * 12);
    }
  }
  for (let s = 0; s < side * 4; s++) {
    const i = (Math.floor(random() * side) * side + Math.floor(random() * side)) * 3;
    raw[i] = raw[i + 1] = raw[i + 2] = 255;
  }
  await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png().toFile(file);
}

/** A 16384² image is past what the JS generator above can fill quickly: libvips makes its noise. */
async function makeHugePng(file: string, side: number): Promise<void> {
  if (fs.existsSync(file)) return;
  console.log(`generating ${side}×${side} RGB PNG …`);
  await sharp({ limitInputPixels: false, create: { width: side, height: side, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 60, sigma: 20 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

async function tilingBenchmark(side = 8192): Promise<void> {
  const dir = path.join(OUT, side === 8192 ? 'tiling' : `tiling-${side}`);
  fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
  const image = path.join(dir, 'incoming', 'big.png');
  if (side === 8192) await makeBigPng(image, side);
  else await makeHugePng(image, side);
  const ours: Measure[] = [];
  const peer: Measure[] = [];
  for (let run = 0; run < RUNS; run++) {
    fs.rmSync(path.join(dir, 'dz'), { recursive: true, force: true });
    peer.push(timed(['vips', 'dzsave', image, path.join(dir, 'dz'), '--layout', 'google', '--suffix', '.png'], dir));
    for (const folder of ['work', 'cache']) fs.rmSync(path.join(dir, folder), { recursive: true, force: true });
    // The whole tool, as a user runs it: start-up, placement, tiling, hashing and recording the outputs.
    ours.push(timed([process.execPath, BIN, 'tiles', '--incoming', 'incoming', '--work', 'work', '--cache', 'cache', '--local', 'repo'], dir));
  }
  const tiles = fs.readdirSync(path.join(dir, 'work', 'big', 'tiles')).length;
  const oursWall = median(ours.map((m) => m.wallS));
  const peerWall = median(peer.map((m) => m.wallS));
  const oursRss = Math.max(...ours.map((m) => m.rssMb));
  console.log(`\nTiling ${side}×${side} RGB PNG → full study pyramid (median of %d)`, RUNS);
  console.log(`  vips dzsave --layout google --suffix .png   ${peerWall.toFixed(2)} s   peak RSS ${Math.max(...peer.map((m) => m.rssMb)).toFixed(0)} MB`);
  console.log(`  imgbuild tiles                                ${oursWall.toFixed(2)} s   peak RSS ${oursRss.toFixed(0)} MB   (${tiles} levels)`);
  console.log(`  ratio imgbuild / vips dzsave                  ${(oursWall / peerWall).toFixed(2)}   (goal ≤ 1.0; peak RSS goal ≤ 300 MB)`);
}

const NOOP_CONFIG = `import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'copy', version: 1, forEach: { files: '{id}.txt' },
  inputs: (n) => ({ text: n.file! }), outputs: (n) => ({ out: n.item + '.txt' }),
  run: (ctx) => fs.copyFileSync(ctx.inputs['text']!, ctx.outputs['out']!),
})] });
`;

function noOpBenchmark(): void {
  const count = 10_000;
  const dir = path.join(OUT, 'noop');
  if (!fs.existsSync(path.join(dir, 'build.ninja'))) {
    console.log(`\ngenerating ${count} inputs …`);
    fs.mkdirSync(path.join(dir, 'incoming'), { recursive: true });
    const ninja = ['rule cp', '  command = cp $in $out', ''];
    for (let i = 0; i < count; i++) {
      fs.writeFileSync(path.join(dir, 'incoming', `f${i}.txt`), `input ${i}\n`);
      ninja.push(`build ninja-out/f${i}.txt: cp incoming/f${i}.txt`);
    }
    fs.writeFileSync(path.join(dir, 'build.ninja'), ninja.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'pipeline.config.ts'), NOOP_CONFIG);
  }
  // Build once (both tools), then no-op until files hashed in the racy window are settled and the no-op
  // snapshot is written (a no-op is remembered only once no stamp is younger than the 2 s racy window).
  spawnSync('ninja', ['-j', '2'], { cwd: dir, stdio: 'ignore' });
  spawnSync(process.execPath, [BIN, 'all'], { cwd: dir, stdio: 'ignore' });
  for (let i = 0; i < 5 && !fs.readdirSync(path.join(dir, 'cache')).some((n) => n.startsWith('fresh-')); i++) {
    spawnSync('sleep', ['1']);
    spawnSync(process.execPath, [BIN, 'all'], { cwd: dir, stdio: 'ignore' });
  }
  const check = spawnSync(process.execPath, [BIN, 'all', '--json'], { cwd: dir, encoding: 'utf8' });
  const report = JSON.parse(check.stdout) as { ran: unknown[]; fresh: number };
  if (report.ran.length !== 0 || report.fresh !== count) throw new Error(`expected a no-op over ${count} nodes, got ${check.stdout.slice(0, 200)}`);
  const ours: number[] = [];
  const planned: number[] = [];
  const peer: number[] = [];
  const dropSnapshots = (): void => {
    for (const name of fs.readdirSync(path.join(dir, 'cache'))) if (name.startsWith('fresh-')) fs.rmSync(path.join(dir, 'cache', name));
  };
  // The full plan (graph, keys, state.json) is what the first no-op after any change pays; measure it too.
  for (let run = 0; run < Math.max(RUNS, 10); run++) {
    dropSnapshots();
    planned.push(wall([process.execPath, BIN, 'all'], dir));
  }
  for (let run = 0; run < 3; run++) spawnSync(process.execPath, [BIN, 'all'], { cwd: dir, stdio: 'ignore' });
  const verbose = spawnSync(process.execPath, [BIN, 'all', '-v'], { cwd: dir, encoding: 'utf8' }).stdout;
  if (!verbose.includes('since the last no-op')) throw new Error(`the no-op snapshot was not used:\n${verbose}`);
  for (let run = 0; run < Math.max(RUNS, 10); run++) {
    peer.push(wall(['ninja'], dir));
    ours.push(wall([process.execPath, BIN, 'all'], dir));
  }
  const node = median(Array.from({ length: 10 }, () => wall([process.execPath, '-e', '0'], dir)));
  console.log(`\nNo-op over ${count} built inputs (median of ${ours.length})`);
  console.log(`  ninja                                   ${(median(peer) * 1000).toFixed(0)} ms`);
  console.log(`  imgbuild all                            ${(median(ours) * 1000).toFixed(0)} ms   (node -e 0 alone: ${(node * 1000).toFixed(0)} ms)`);
  console.log(`  imgbuild all, full plan (no snapshot)   ${(median(planned) * 1000).toFixed(0)} ms   (the first no-op after a change)`);
  console.log(`  ratio imgbuild / ninja                  ${(median(ours) / median(peer)).toFixed(2)}   (goal ≤ 3)`);
  console.log(`  ratio full plan / ninja                 ${(median(planned) / median(peer)).toFixed(2)}`);
}

requireTool('vips', 'libvips-tools');
requireTool('ninja', 'ninja-build');
if (!fs.existsSync('/usr/bin/time')) {
  console.error('bench: GNU time is missing; install it with: apt-get install -y time');
  process.exit(2);
}
const which = process.argv[2];
if (which === undefined || which === 'tiling') await tilingBenchmark();
// Opt-in (about five minutes): the 16k × 16k case the streaming requirement names.
if (which === 'tiling-16k') await tilingBenchmark(16384);
if (which === undefined || which === 'noop') noOpBenchmark();
if (which === undefined || which === 'preview') previewBenchmark(OUT, RUNS);
if (which === undefined || which === 'publish') await publishBenchmark(OUT);
if (which === undefined || which === 'watch') await watchBenchmark(OUT, BIN, process.argv[3]);
if (which === undefined || which === 'catalog') await catalogBenchmark(OUT);
if (which === undefined || which === 'bzip2') await bzip2Benchmark(OUT);
if (which === undefined || which === 'feed') await feedBenchmark(OUT);
if (which === undefined || which === 'toast') {
  const yardstick = path.join(OUT, 'tiling', 'incoming', 'big.png');
  await makeBigPng(yardstick, 8192);
  await toastBenchmark(OUT, yardstick, RUNS);
}
