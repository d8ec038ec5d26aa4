// A FITS image as 8-bit JPEG previews (full size and a thumbnail), as CALDP makes them with fitscut; the grey
// picture itself comes from fits-grey.ts (streamed, strided above `maxPixels`).
import { loadSharp } from '../wwt/sharp-loader.js';
import { renderFitsGrey } from './fits-grey.js';
import type { CutLevels, PreviewScaling } from './preview-scaling.js';

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

export async function renderFitsPreview(file: string, options: PreviewOptions): Promise<PreviewResult> {
  const picture = await renderFitsGrey(file, options);
  const sharp = await loadSharp();
  const raw = { raw: { width: picture.outWidth, height: picture.outHeight, channels: 1 as const } };
  // Huffman tables optimised over the whole image need libjpeg to hold every coefficient first (+90 MB at
  // 4096²): standard tables (as fitscut's libjpeg writes them) cost ~5 % in size and keep memory flat.
  await sharp(picture.pixels, raw).jpeg({ quality: options.quality, optimiseCoding: false }).toFile(options.preview);
  await sharp(picture.pixels, raw)
    .resize({ width: options.thumbSize, height: options.thumbSize, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: options.quality })
    .toFile(options.thumb);
  return { hdu: picture.hdu, width: picture.width, height: picture.height, stride: picture.stride, cuts: picture.cuts };
}
