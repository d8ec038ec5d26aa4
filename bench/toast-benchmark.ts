// `npm run bench -- toast`: TOAST depth 5 from a generated 4096×2048 plate-carrée (CPU seconds, wall, peak
// RSS), against the wall time of `vips dzsave --layout google --suffix .png` on an 8192×8192 image measured in
// the same run (the same 1,365 tiles), and against toasty's ≈ 69 CPU-s for the same job on this kind of machine.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'toast-run.js');
const TOASTY_CPU_S = 69;

interface Timing {
  wallS: number;
  cpuS: number;
  rssMb: number;
  stdout: string;
}

function timed(argv: string[]): Timing {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr);
  if (!match) throw new Error(`no timing from GNU time:\n${result.stderr}`);
  return { wallS: Number(match[1]), cpuS: Number(match[2]) + Number(match[3]), rssMb: Number(match[4]) / 1024, stdout: result.stdout };
}

async function makeSky(file: string, width: number, height: number): Promise<void> {
  if (fs.existsSync(file)) return;
  console.log(`generating ${width}×${height} plate-carrée …`);
  // A band of glow along the equator with noise and stars: compresses like a real sky.
  const raw = Buffer.alloc(width * height * 3);
  let seed = 4242;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < height; y++) {
    const glow = 30 + 90 * Math.exp(-(((y - height / 2) / (height * 0.08)) ** 2));
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.min(255, glow + random() * 20);
      raw[i + 1] = Math.min(255, glow * 0.8 + random() * 20);
      raw[i + 2] = Math.min(255, glow * 1.1 + random() * 20);
    }
  }
  for (let s = 0; s < width * 4; s++) {
    const i = (Math.floor(random() * height) * width + Math.floor(random() * width)) * 3;
    raw[i] = raw[i + 1] = raw[i + 2] = 255;
  }
  await sharp(raw, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

export async function toastBenchmark(outRoot: string, yardstickImage: string, runs: number): Promise<void> {
  const dir = path.join(outRoot, 'toast');
  fs.mkdirSync(dir, { recursive: true });
  const sky = path.join(dir, 'sky-4096x2048.png');
  await makeSky(sky, 4096, 2048);
  const ours: Timing[] = [];
  const peer: Timing[] = [];
  for (let run = 0; run < runs; run++) {
    fs.rmSync(path.join(dir, 'dz'), { recursive: true, force: true });
    peer.push(timed(['vips', 'dzsave', yardstickImage, path.join(dir, 'dz'), '--layout', 'google', '--suffix', '.png']));
    fs.rmSync(path.join(dir, 'tiles'), { recursive: true, force: true });
    ours.push(timed([process.execPath, RUNNER, sky, path.join(dir, 'tiles'), '5']));
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const wall = median(ours.map((m) => m.wallS));
  const cpu = median(ours.map((m) => m.cpuS));
  const peerWall = median(peer.map((m) => m.wallS));
  const tiles = /TILES (\d+)/.exec(ours[0]!.stdout)?.[1];
  console.log(`\nTOAST depth 5 from a 4096×2048 plate-carrée (${tiles} tiles; median of ${runs})`);
  console.log(`  imgbuild TOAST           wall ${wall.toFixed(2)} s   CPU ${cpu.toFixed(2)} s   peak RSS ${Math.max(...ours.map((m) => m.rssMb)).toFixed(0)} MB   (goal ≤ 400 MB)`);
  console.log(`  vips dzsave 8192² google wall ${peerWall.toFixed(2)} s   (the same 1,365 tiles)`);
  console.log(`  ratio TOAST / dzsave     ${(wall / peerWall).toFixed(2)}`);
  console.log(`  CPU vs toasty            ${cpu.toFixed(1)} CPU-s vs ≈ ${TOASTY_CPU_S} CPU-s: ${(TOASTY_CPU_S / cpu).toFixed(1)}× faster (goal ≥ 5×, ≤ 14 CPU-s)`);
}
