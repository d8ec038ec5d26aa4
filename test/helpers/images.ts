// Synthetic test images whose pixel values say where they are: R = x mod 256, G = y mod 256, B = 200.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export function coordinatePixels(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = x % 256;
      raw[i + 1] = y % 256;
      raw[i + 2] = 200;
    }
  }
  return raw;
}

export async function writeCoordinatePng(file: string, width: number, height: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(coordinatePixels(width, height), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(file);
}

export async function writeSolidJpeg(file: string, width: number, height: number, rgb: [number, number, number]): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg().toFile(file);
}

/** RGBA pixel of a PNG tile at (x, y). */
export async function pixelAt(file: string, x: number, y: number): Promise<[number, number, number, number]> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * 4;
  return [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
}

export async function rawRgba(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
