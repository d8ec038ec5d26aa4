// Sampling a plate-carrée (equirectangular) image at TOAST pixel centres, bilinear. Longitude wraps across
// the image's left/right edges (no seam), latitude is clamped to the first/last row (the poles).
import { fromEquatorial, type Frame } from './sky-frames.js';

export type AllSkyProjection = 'plate-carree' | 'plate-carree-ecliptic' | 'plate-carree-galactic' | 'plate-carree-planet';

export const ALL_SKY_PROJECTIONS: readonly AllSkyProjection[] = [
  'plate-carree',
  'plate-carree-ecliptic',
  'plate-carree-galactic',
  'plate-carree-planet',
];

export interface RasterImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

const TWO_PI = 2 * Math.PI;

function frameOf(projection: AllSkyProjection): Frame {
  if (projection === 'plate-carree-ecliptic') return 'ecliptic';
  if (projection === 'plate-carree-galactic') return 'galactic';
  return 'equatorial';
}

/**
 * Horizontal position, as a fraction of the image width from its left edge, of longitude `lon` (radians).
 * Sky images (toasty's conventions): longitude increases to the left, 0 in the centre — except ecliptic maps,
 * whose centre is ecliptic longitude 180° (as toasty samples them, e.g. the TESS all-sky map). Planet maps are
 * seen from outside the sphere: mirrored, longitude increasing to the right, with TOAST's planetary frame
 * rotated 180° so that longitude 0 of the TOAST frame is the left edge.
 */
function columnFraction(projection: AllSkyProjection, lon: number): number {
  switch (projection) {
    case 'plate-carree':
    case 'plate-carree-galactic':
      return (Math.PI - lon) / TWO_PI;
    case 'plate-carree-ecliptic':
      return (TWO_PI - lon) / TWO_PI;
    case 'plate-carree-planet':
      return lon / TWO_PI;
  }
}

/**
 * Fill `out` (RGBA, 4 bytes per centre) with the image sampled at the unit vectors `centres` (xyz per pixel,
 * equatorial for sky projections, the TOAST frame for planets).
 */
export function samplePlateCarree(image: RasterImage, projection: AllSkyProjection, centres: Float64Array, out: Uint8Array): void {
  const { data, width, height, channels } = image;
  const frame = frameOf(projection);
  const v = new Float64Array(3);
  const count = centres.length / 3;
  for (let p = 0; p < count; p++) {
    fromEquatorial(frame, centres[p * 3]!, centres[p * 3 + 1]!, centres[p * 3 + 2]!, v);
    const lon = Math.atan2(v[1]!, v[0]!);
    const lat = Math.asin(Math.max(-1, Math.min(1, v[2]!)));
    // Continuous pixel coordinates, pixel centres at integers.
    const u = columnFraction(projection, lon) * width - 0.5;
    const w = Math.min(height - 1, Math.max(0, ((Math.PI / 2 - lat) / Math.PI) * height - 0.5));
    const fu = Math.floor(u);
    const ax = u - fu;
    const x0 = ((fu % width) + width) % width;
    const x1 = x0 + 1 === width ? 0 : x0 + 1; // across the ±180° seam
    const y0 = Math.floor(w);
    const ay = w - y0;
    const y1 = Math.min(height - 1, y0 + 1);
    const i00 = (y0 * width + x0) * channels;
    const i10 = (y0 * width + x1) * channels;
    const i01 = (y1 * width + x0) * channels;
    const i11 = (y1 * width + x1) * channels;
    // Bilinear weights once per pixel; channels unrolled (a grey map repeats its one channel). Values are
    // 0…255, so floor(v + 0.5) is Math.round.
    const w00 = (1 - ax) * (1 - ay);
    const w10 = ax * (1 - ay);
    const w01 = (1 - ax) * ay;
    const w11 = ax * ay;
    const o = p * 4;
    const step = channels >= 3 ? 1 : 0;
    out[o] = Math.floor(data[i00]! * w00 + data[i10]! * w10 + data[i01]! * w01 + data[i11]! * w11 + 0.5);
    out[o + 1] = Math.floor(data[i00 + step]! * w00 + data[i10 + step]! * w10 + data[i01 + step]! * w01 + data[i11 + step]! * w11 + 0.5);
    out[o + 2] = Math.floor(data[i00 + 2 * step]! * w00 + data[i10 + 2 * step]! * w10 + data[i01 + 2 * step]! * w01 + data[i11 + 2 * step]! * w11 + 0.5);
    out[o + 3] = 255;
  }
}
