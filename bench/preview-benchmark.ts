// `npm run bench -- preview`: a generated 4096×4096 float32 FITS (64 MiB).
//   1. asinh 99.5 % JPEG preview: ours ÷ `fitscut --asinh-scale --autoscale=99.5 --jpg` (goal ≤ 1.0), and our
//      peak RSS ÷ the file size (goal ≤ 2.5).
//   2. Decoding a Rice .fz of it (made with `fpack`): ours ÷ `funpack -S` (goal ≤ 2).
// Best of RUNS for each, both measured in this run. Needs fitscut, libcfitsio-bin (fpack, funpack) and time.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageFile } from '../src/fits/fits-writer.js';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'preview-run.js');
const SIDE = 4096;

interface Timing {
  wallS: number;
  rssMb: number;
}

function timed(argv: string[], stdout?: string): Timing {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...argv], { encoding: 'buffer', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed:\n${result.stderr.toString()}`);
  if (stdout) fs.writeFileSync(stdout, result.stdout);
  const match = /TIME ([\d.]+) (\d+)/.exec(result.stderr.toString());
  if (!match) throw new Error(`no timing from GNU time:\n${result.stderr.toString()}`);
  return { wallS: Number(match[1]), rssMb: Number(match[2]) / 1024 };
}

function best(runs: number, measure: () => Timing): Timing {
  let out: Timing | undefined;
  for (let i = 0; i < runs; i++) {
    const t = measure();
    if (!out || t.wallS < out.wallS) out = t;
  }
  return out!;
}

function makeSky(file: string): void {
  if (fs.existsSync(file)) return;
  console.log(`generating ${SIDE}×${SIDE} float32 FITS …`);
  // Sky background with noise, a galaxy-like glow and stars: a histogram like a real exposure's.
  const values = new Float32Array(SIDE * SIDE);
  let seed = 777;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const r2 = ((x - SIDE / 2) ** 2 + (y - SIDE / 2) ** 2) / (SIDE * 0.1) ** 2;
      values[y * SIDE + x] = 1000 + 30 * (random() - 0.5) + 5000 * Math.exp(-r2) + (random() < 0.0005 ? 40000 * random() : 0);
    }
  }
  fs.writeFileSync(file, imageFile(-32, SIDE, SIDE, values));
}

export function previewBenchmark(outDir: string, runs: number): void {
  for (const [tool, apt] of [['fitscut', 'fitscut'], ['fpack', 'libcfitsio-bin'], ['funpack', 'libcfitsio-bin']] as const) {
    if (spawnSync('which', [tool]).status !== 0) {
      console.error(`bench: ${tool} is missing; install it with: apt-get install -y ${apt}`);
      process.exit(2);
    }
  }
  const dir = path.join(outDir, 'preview');
  fs.mkdirSync(dir, { recursive: true });
  const fits = path.join(dir, 'sky.fits');
  makeSky(fits);
  const fileMb = fs.statSync(fits).size / 2 ** 20;
  const ours = best(runs, () => timed([process.execPath, RUNNER, 'preview', fits, dir]));
  const theirs = best(runs, () => timed(['fitscut', '--all', '--asinh-scale', '--autoscale=99.5', '--jpg', fits], path.join(dir, 'fitscut.jpg')));
  console.log(
    `preview 4096² float32, asinh 99.5 %: imgbuild ${ours.wallS.toFixed(2)} s (peak RSS ${ours.rssMb.toFixed(0)} MB = ` +
      `${(ours.rssMb / fileMb).toFixed(2)}× the ${fileMb.toFixed(0)} MB file), fitscut ${theirs.wallS.toFixed(2)} s ` +
      `(${theirs.rssMb.toFixed(0)} MB): ratio ${(ours.wallS / theirs.wallS).toFixed(2)} (goal ≤ 1.0; RSS goal ≤ 2.5×)`,
  );
  const fz = path.join(dir, 'sky.fits.fz');
  fs.rmSync(fz, { force: true });
  const packed = spawnSync('fpack', ['-r', '-O', fz, fits], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`fpack failed: ${packed.stderr}`);
  const decode = best(runs, () => timed([process.execPath, RUNNER, 'decode', fz]));
  const funpack = best(runs, () => timed(['funpack', '-S', fz], path.join(dir, 'funpacked.fits')));
  console.log(
    `decode Rice .fz (${(fs.statSync(fz).size / 2 ** 20).toFixed(0)} MB): imgbuild ${decode.wallS.toFixed(2)} s (${decode.rssMb.toFixed(0)} MB), ` +
      `funpack ${funpack.wallS.toFixed(2)} s: ratio ${(decode.wallS / funpack.wallS).toFixed(2)} (goal ≤ 2)`,
  );
}
