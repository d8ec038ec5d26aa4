// The benchmarks' 8192² input: a smooth sky with stars and noise, generated once.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export async function makeBigPng(file: string, side: number): Promise<void> {
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

