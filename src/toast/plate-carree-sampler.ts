// Sampling a plate-carrée (equirectangular) image at TOAST pixel centres, bilinear. Longitude wraps across
// the image's left/right edges (no seam), latitude is clamped to the first/last row (the poles).
import { fromEquatorial, type Frame } from './sky-frames.js';
import { type PixelGrid, pixelCentre } from './toast-geometry.js';

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

/** Continuous pixel coordinates (pixel centres at integers) of the unit vector (x, y, z), into uw[0..1]. */
function imageCoordinates(image: RasterImage, projection: AllSkyProjection, frame: Frame, x: number, y: number, z: number, v: Float64Array, uw: Float64Array): void {
  fromEquatorial(frame, x, y, z, v);
  const lon = Math.atan2(v[1]!, v[0]!);
  const lat = Math.asin(Math.max(-1, Math.min(1, v[2]!)));
  uw[0] = columnFraction(projection, lon) * image.width - 0.5;
  uw[1] = ((Math.PI / 2 - lat) / Math.PI) * image.height - 0.5;
}

/** Bilinear sample at continuous coordinates (u, w) into out[o..o+3]: longitude wraps, latitude is clamped. */
function sampleAt(image: RasterImage, u: number, wRaw: number, out: Uint8Array, o: number): void {
  const { data, width, height, channels } = image;
  const w = Math.min(height - 1, Math.max(0, wRaw));
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
  const step = channels >= 3 ? 1 : 0;
  out[o] = Math.floor(data[i00]! * w00 + data[i10]! * w10 + data[i01]! * w01 + data[i11]! * w11 + 0.5);
  out[o + 1] = Math.floor(data[i00 + step]! * w00 + data[i10 + step]! * w10 + data[i01 + step]! * w01 + data[i11 + step]! * w11 + 0.5);
  out[o + 2] = Math.floor(data[i00 + 2 * step]! * w00 + data[i10 + 2 * step]! * w10 + data[i01 + 2 * step]! * w01 + data[i11 + 2 * step]! * w11 + 0.5);
  out[o + 3] = 255;
}

/**
 * Fill `out` (RGBA, 4 bytes per centre) with the image sampled at the unit vectors `centres` (xyz per pixel,
 * equatorial for sky projections, the TOAST frame for planets).
 */
export function samplePlateCarree(image: RasterImage, projection: AllSkyProjection, centres: Float64Array, out: Uint8Array): void {
  const frame = frameOf(projection);
  const v = new Float64Array(3);
  const uw = new Float64Array(2);
  const count = centres.length / 3;
  for (let p = 0; p < count; p++) {
    imageCoordinates(image, projection, frame, centres[p * 3]!, centres[p * 3 + 1]!, centres[p * 3 + 2]!, v, uw);
    sampleAt(image, uw[0]!, uw[1]!, out, p * 4);
  }
}

/** Side of the blocks whose image coordinates are interpolated from their corners (see sampleTile). */
const BLOCK = 8;
/** Largest difference, in image pixels, between interpolated and exact coordinates a block may have. */
const BLOCK_TOLERANCE = 0.002;

/** Blocks no larger than this that fail the check are computed pixel by pixel; larger ones are split in four. */
const SMALLEST_BLOCK = 4;

/** Image coordinates of every pixel of a tile, reused from tile to tile (one set per thread). */
let coordinates: { u: Float64Array; w: Float64Array } | undefined;

/**
 * samplePlateCarree for a whole tile (its pixel grid, 256 × 256 pixels, row-major), with a fraction of the
 * trigonometry: image coordinates are computed exactly at the corners of 8×8-pixel blocks and interpolated
 * inside them — after checking the block's centre pixel against its exact coordinates. A block where they
 * differ by more than 0.002 pixel (near a pole, where longitude turns fast), or that straddles the ±180° seam,
 * is split into four and each checked the same way; one of 4×4 pixels or less that still fails is computed
 * pixel by pixel. The mapping is smooth, so elsewhere the interpolation error is far below that. Pixel centres
 * are made from the grid only where they are needed exactly (about one pixel in fifteen).
 *
 * The coordinates of the whole tile first, then all its pixels sampled in one tight loop (samplePixels).
 */
export function sampleTile(image: RasterImage, projection: AllSkyProjection, pixels: PixelGrid, side: number, out: Uint8Array): void {
  const frame = frameOf(projection);
  const v = new Float64Array(3);
  const uw = new Float64Array(2);
  const centre = new Float64Array(3);
  const exact = (px: number, py: number): void => {
    pixelCentre(pixels, px, py, centre);
    imageCoordinates(image, projection, frame, centre[0]!, centre[1]!, centre[2]!, v, uw);
  };
  if (coordinates?.u.length !== side * side) coordinates = { u: new Float64Array(side * side), w: new Float64Array(side * side) };
  const { u: U, w: W } = coordinates;
  const half = image.width / 2;
  /**
   * Coordinates of the block from (x0, y0) to (x1, y1), whose corners' exact coordinates are given: its pixels
   * x0 ≤ px < x1 and y0 ≤ py < y1, and column x1 / row y1 too if `lastX` / `lastY` (the tile's last ones).
   */
  const block = (x0: number, y0: number, x1: number, y1: number, lastX: boolean, lastY: boolean, u00: number, u10: number, u01: number, u11: number, w00: number, w10: number, w01: number, w11: number): void => {
    const spanX = x1 - x0, spanY = y1 - y0;
    const xEnd = lastX ? x1 + 1 : x1, yEnd = lastY ? y1 + 1 : y1;
    const xm = x0 + (spanX >> 1), ym = y0 + (spanY >> 1); // the middle pixel
    let uM = NaN, wM = NaN;
    let smooth = Math.max(u00, u10, u01, u11) - Math.min(u00, u10, u01, u11) < half;
    if (smooth) {
      // The block's middle pixel, exact and interpolated (as below: down the block's sides, then across), must agree.
      exact(xm, ym);
      uM = uw[0]!;
      wM = uw[1]!;
      const fx = (xm - x0) / spanX, fy = (ym - y0) / spanY;
      const uL = u00 + (u01 - u00) * fy, uR = u10 + (u11 - u10) * fy;
      const wL = w00 + (w01 - w00) * fy, wR = w10 + (w11 - w10) * fy;
      smooth = Math.abs(uL + (uR - uL) * fx - uM) < BLOCK_TOLERANCE && Math.abs(wL + (wR - wL) * fx - wM) < BLOCK_TOLERANCE;
    }
    if (smooth) {
      for (let py = y0; py < yEnd; py++) {
        const fy = (py - y0) / spanY;
        const uL = u00 + (u01 - u00) * fy, uR = u10 + (u11 - u10) * fy;
        const wL = w00 + (w01 - w00) * fy, wR = w10 + (w11 - w10) * fy;
        const du = (uR - uL) / spanX, dw = (wR - wL) / spanX;
        for (let px = x0, p = py * side + x0; px < xEnd; px++, p++) {
          U[p] = uL + (px - x0) * du;
          W[p] = wL + (px - x0) * dw;
        }
      }
      return;
    }
    if (Math.max(spanX, spanY) <= SMALLEST_BLOCK) {
      for (let py = y0; py < yEnd; py++) {
        for (let px = x0, p = py * side + x0; px < xEnd; px++, p++) {
          exact(px, py);
          U[p] = uw[0]!;
          W[p] = uw[1]!;
        }
      }
      return;
    }
    // Split in four at the middle pixel: the new corners exactly (the middle's is known if it was checked), then
    // each quarter.
    if (Number.isNaN(uM)) {
      exact(xm, ym);
      uM = uw[0]!;
      wM = uw[1]!;
    }
    exact(xm, y0);
    const uT = uw[0]!, wT = uw[1]!;
    exact(x0, ym);
    const uLm = uw[0]!, wLm = uw[1]!;
    exact(x1, ym);
    const uRm = uw[0]!, wRm = uw[1]!;
    exact(xm, y1);
    const uB = uw[0]!, wB = uw[1]!;
    block(x0, y0, xm, ym, false, false, u00, uT, uLm, uM, w00, wT, wLm, wM);
    block(xm, y0, x1, ym, lastX, false, uT, u10, uM, uRm, wT, w10, wM, wRm);
    block(x0, ym, xm, y1, false, lastY, uLm, uM, u01, uB, wLm, wM, w01, wB);
    block(xm, ym, x1, y1, lastX, lastY, uM, uRm, uB, u11, wM, wRm, wB, w11);
  };
  // Exact coordinates on the lattice of block corners: columns/rows 0, 8, …, side−8 and side−1.
  const lattice = side / BLOCK + 1;
  const at = (k: number): number => Math.min(side - 1, k * BLOCK);
  const cu = new Float64Array(lattice * lattice);
  const cw = new Float64Array(lattice * lattice);
  for (let j = 0; j < lattice; j++) {
    for (let i = 0; i < lattice; i++) {
      exact(at(i), at(j));
      cu[j * lattice + i] = uw[0]!;
      cw[j * lattice + i] = uw[1]!;
    }
  }
  for (let bj = 0; bj < lattice - 1; bj++) {
    for (let bi = 0; bi < lattice - 1; bi++) {
      const k = bj * lattice + bi;
      block(at(bi), at(bj), at(bi + 1), at(bj + 1), bi === lattice - 2, bj === lattice - 2, cu[k]!, cu[k + 1]!, cu[k + lattice]!, cu[k + lattice + 1]!, cw[k]!, cw[k + 1]!, cw[k + lattice]!, cw[k + lattice + 1]!);
    }
  }
  samplePixels(image, U, W, side * side, out, 0);
}

/**
 * Bilinear samples (sampleAt's arithmetic) at the continuous coordinates (us[i], ws[i]), i < count, into out
 * (RGBA) from byte `o`: longitude wraps, latitude is clamped. Integer parts by `| 0` where the value is ≥ 0
 * (there it is Math.floor); u ≥ −1 here, so the wrap needs no modulo except for a coordinate past the width.
 */
function samplePixels(image: RasterImage, us: Float64Array, ws: Float64Array, count: number, out: Uint8Array, o: number): void {
  const { data, width, height, channels } = image;
  const step = channels >= 3 ? 1 : 0; // a grey map repeats its one channel
  const maxW = height - 1;
  for (let i = 0; i < count; i++, o += 4) {
    const u = us[i]!;
    const wRaw = ws[i]!;
    const w = wRaw < 0 ? 0 : wRaw > maxW ? maxW : wRaw;
    const fu = u >= 0 ? u | 0 : Math.floor(u);
    const ax = u - fu;
    const x0 = fu >= 0 && fu < width ? fu : ((fu % width) + width) % width;
    const x1 = x0 + 1 === width ? 0 : x0 + 1; // across the ±180° seam
    const y0 = w | 0;
    const ay = w - y0;
    const y1 = y0 < maxW ? y0 + 1 : maxW;
    const i00 = (y0 * width + x0) * channels;
    const i10 = (y0 * width + x1) * channels;
    const i01 = (y1 * width + x0) * channels;
    const i11 = (y1 * width + x1) * channels;
    const s00 = (1 - ax) * (1 - ay), s10 = ax * (1 - ay), s01 = (1 - ax) * ay, s11 = ax * ay;
    // Values are 0…255, so (v + 0.5) | 0 is Math.round.
    out[o] = (data[i00]! * s00 + data[i10]! * s10 + data[i01]! * s01 + data[i11]! * s11 + 0.5) | 0;
    out[o + 1] = (data[i00 + step]! * s00 + data[i10 + step]! * s10 + data[i01 + step]! * s01 + data[i11 + step]! * s11 + 0.5) | 0;
    out[o + 2] = (data[i00 + 2 * step]! * s00 + data[i10 + 2 * step]! * s10 + data[i01 + 2 * step]! * s01 + data[i11 + 2 * step]! * s11 + 0.5) | 0;
    out[o + 3] = 255;
  }
}
