// A FITS image as an 8-bit grey picture, right side up, the way CALDP's previews scale it (fitscut): cut levels
// from a strided sample of the physical values, then a stretch. Two streaming passes over the rows (sample, then
// grey levels), so only the 8-bit picture is held (a quarter of a float32 file). A picture above `maxPixels` is
// made from every s-th row and column, so a file far larger than memory still gets one.
import { openFitsImage } from './fits-reader.js';
import { autoscaleCuts, type CutLevels, greyRowMapper, type PreviewScaling } from './preview-scaling.js';

export interface GreyOptions {
  readonly scaling: PreviewScaling;
  /** Percent of the histogram kept (fitscut's --autoscale). */
  readonly percent: number;
  /** HDU number (0 = primary); undefined = the first HDU with image data. */
  readonly hdu?: number;
  /** Largest picture made at full size; above it the picture is strided. */
  readonly maxPixels: number;
  /** Values sampled for the cut levels. */
  readonly sampleSize?: number;
}

export interface GreyPicture {
  readonly hdu: number;
  /** The FITS image's size. */
  readonly width: number;
  readonly height: number;
  /** 1 = full size; s = every s-th row and column. */
  readonly stride: number;
  readonly cuts: CutLevels;
  /** One byte a pixel, top row first: FITS row 1 is the last line. */
  readonly pixels: Buffer;
  readonly outWidth: number;
  readonly outHeight: number;
}

async function sampleValues(file: string, hdu: number | undefined, target: number): Promise<Float64Array> {
  const image = await openFitsImage(file, hdu);
  try {
    const step = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / target)));
    // One typed array of the sample (8 bytes a value), missing values left out as they come.
    const values = new Float64Array(Math.ceil(image.width / step) * Math.ceil(image.height / step));
    let n = 0;
    for await (const row of image.rows(step)) {
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

export async function renderFitsGrey(file: string, options: GreyOptions): Promise<GreyPicture> {
  const sample = await sampleValues(file, options.hdu, options.sampleSize ?? 1 << 20);
  const cuts = autoscaleCuts(sample, options.percent);
  const greyRow = greyRowMapper(options.scaling, cuts);
  const image = await openFitsImage(file, options.hdu);
  try {
    const stride = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / options.maxPixels)));
    const outWidth = Math.ceil(image.width / stride);
    const outHeight = Math.ceil(image.height / stride);
    const pixels = Buffer.alloc(outWidth * outHeight);
    let r = 0;
    for await (const row of image.rows()) {
      if (r % stride === 0) {
        // FITS row 1 is the BOTTOM of the picture (GUIDE §2): it fills the last line.
        const line = outHeight - 1 - r / stride;
        const start = line * outWidth;
        greyRow(row, pixels, start, stride);
      }
      r++;
    }
    return { hdu: image.hdu.index, width: image.width, height: image.height, stride, cuts, pixels, outWidth, outHeight };
  } finally {
    image.close();
  }
}
