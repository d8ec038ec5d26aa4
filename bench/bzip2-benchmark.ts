// Decoding bzip2 (Photon Ranch's .fits.bz2): our decoder ÷ `bzip2 -d` on the same ~20 MB file, in the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bunzip2 } from '../src/fits/bzip2.js';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function bzip2Benchmark(out: string): Promise<void> {
  const dir = path.join(out, 'bzip2');
  fs.mkdirSync(dir, { recursive: true });
  const plain = path.join(dir, 'frame.fits');
  const packed = `${plain}.bz2`;
  if (!fs.existsSync(packed)) {
    // A float image with noise, as a FITS data unit compresses: neither flat nor random.
    const values = new Float32Array(5_000_000);
    let seed = 7;
    for (let i = 0; i < values.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      values[i] = 1000 + 50 * Math.sin(i / 3000) + (seed % 64);
    }
    fs.writeFileSync(plain, Buffer.from(values.buffer));
    spawnSync('bzip2', ['-kf9', plain]);
  }
  const ours: number[] = [];
  const peer: number[] = [];
  for (let run = 0; run < 3; run++) {
    let t = performance.now();
    const result = spawnSync('bzip2', ['-dc', packed], { maxBuffer: 1 << 28 });
    if (result.status !== 0) throw new Error('bzip2 -d failed');
    peer.push(performance.now() - t);
    t = performance.now();
    let bytes = 0;
    for await (const part of bunzip2(fs.createReadStream(packed, { highWaterMark: 1 << 20 }))) bytes += part.length;
    ours.push(performance.now() - t);
    if (bytes !== result.stdout.length) throw new Error('decoded sizes differ');
  }
  console.log(`\nbzip2: decoding ${(fs.statSync(packed).size / 1e6).toFixed(1)} MB → ${(fs.statSync(plain).size / 1e6).toFixed(0)} MB (median of 3)`);
  console.log(`  bzip2 -dc                                 ${(median(peer) / 1000).toFixed(2)} s`);
  console.log(`  imgbuild (src/fits/bzip2.ts)              ${(median(ours) / 1000).toFixed(2)} s`);
  console.log(`  ratio imgbuild / bzip2                    ${(median(ours) / median(peer)).toFixed(2)}`);
}
