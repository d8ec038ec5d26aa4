// A FITS image as 8-bit JPEG previews (full size and a thumbnail), as CALDP makes them with fitscut. Two
// streaming passes over the rows: a strided sample for the cut levels, then the grey levels. Only the 8-bit
// picture is held (a quarter of a float32 file); a picture above `maxPixels` is made from every s-th row and
// column, so a file far larger than memory still gets a preview.
import { loadSharp } from '../wwt/sharp-loader.js';
import { openFitsImage } from './fits-reader.js';
import { autoscaleCuts, type CutLevels, greyLevels, type PreviewScaling } from './preview-scaling.js';

export interface PreviewOptions {
  readonly scaling: PreviewScaling;
  /** Percent of the histogram kept (fitscut's --autoscale). */
  readonly percent: number;
  /** HDU number (0 = primary); undefined = the first HDU with image data. */
  readonly hdu?: number;
  readonly preview: string;
  readonly thumb: string;
  /** Longest side of the thumbnail. */
  readonly thumbSize: number;
  readonly quality: number;
  /** Largest preview made at full size; above it the preview is strided. */
  readonly maxPixels: number;
  /** Values sampled for the cut levels. */
  readonly sampleSize?: number;
}

export interface PreviewResult {
  readonly hdu: number;
  readonly width: number;
  readonly height: number;
  /** 1 = full size; s = every s-th row and column. */
  readonly stride: number;
  readonly cuts: CutLevels;
}

async function sampleValues(file: string, hdu: number | undefined, target: number): Promise<Float64Array> {
  const image = await openFitsImage(file, hdu);
  try {
    const step = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / target)));
    // One typed array of the sample (8 bytes a value), missing values left out as they come.
    const values = new Float64Array(Math.ceil(image.width / step) * Math.ceil(image.height / step));
    let n = 0;
    let r = 0;
    for await (const row of image.rows()) {
      if (r++ % step !== 0) continue;
      for (let x = 0; x < row.length; x += step) {
        const v = row[x]!;
        if (!Number.isNaN(v)) values[n++] = v;
      }
    }
    return values.subarray(0, n);
  } finally {
    image.close();
  }
}

export async function renderFitsPreview(file: string, options: PreviewOptions): Promise<PreviewResult> {
  const sample = await sampleValues(file, options.hdu, options.sampleSize ?? 1 << 20);
  const cuts = autoscaleCuts(sample, options.percent);
  const grey = greyLevels(options.scaling, cuts);
  const image = await openFitsImage(file, options.hdu);
  let pixels: Buffer;
  let stride: number;
  let outWidth: number;
  let outHeight: number;
  try {
    stride = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / options.maxPixels)));
    outWidth = Math.ceil(image.width / stride);
    outHeight = Math.ceil(image.height / stride);
    pixels = Buffer.alloc(outWidth * outHeight);
    let r = 0;
    for await (const row of image.rows()) {
      if (r % stride === 0) {
        // FITS row 1 is the BOTTOM of the picture (GUIDE §2): it fills the JPEG's last line.
        const line = outHeight - 1 - r / stride;
        const start = line * outWidth;
        for (let x = 0, o = start; x < row.length; x += stride, o++) pixels[o] = grey(row[x]!);
      }
      r++;
    }
  } finally {
    image.close();
  }
  const sharp = await loadSharp();
  const raw = { raw: { width: outWidth, height: outHeight, channels: 1 as const } };
  await sharp(pixels, raw).jpeg({ quality: options.quality }).toFile(options.preview);
  await sharp(pixels, raw)
    .resize({ width: options.thumbSize, height: options.thumbSize, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: options.quality })
    .toFile(options.thumb);
  return { hdu: image.hdu.index, width: image.width, height: image.height, stride, cuts };
}
