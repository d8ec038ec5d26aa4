// The geometry of a WWT study pyramid (GUIDE §1): 256-pixel tiles, the image centred on a power-of-two canvas.

export const TILE_SIZE = 256;

export interface StudyLayout {
  readonly width: number;
  readonly height: number;
  /** Canvas side in pixels at the deepest level: the next power of two ≥ max(w, h), at least one tile. */
  readonly side: number;
  /** Deepest level; level 0 is one tile covering the whole canvas. */
  readonly tileLevels: number;
  /** Top-left corner of the image on the deepest-level canvas. */
  readonly x0: number;
  readonly y0: number;
}

export function studyLayout(width: number, height: number): StudyLayout {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  let side = TILE_SIZE;
  while (side < width || side < height) side *= 2;
  return {
    width,
    height,
    side,
    tileLevels: Math.log2(side / TILE_SIZE),
    x0: Math.floor((side - width) / 2),
    y0: Math.floor((side - height) / 2),
  };
}

/** Inclusive tile index range [first, last] at `level` that overlaps the image (other tiles are not written). */
export function tileRange(layout: StudyLayout, level: number): { x: [number, number]; y: [number, number] } {
  // One tile at `level` covers this many deepest-level canvas pixels.
  const span = TILE_SIZE * 2 ** (layout.tileLevels - level);
  return {
    x: [Math.floor(layout.x0 / span), Math.floor((layout.x0 + layout.width - 1) / span)],
    y: [Math.floor(layout.y0 / span), Math.floor((layout.y0 + layout.height - 1) / span)],
  };
}

/** Number of tiles written at each level, 0..tileLevels. */
export function tileCounts(layout: StudyLayout): number[] {
  const counts: number[] = [];
  for (let level = 0; level <= layout.tileLevels; level++) {
    const r = tileRange(layout, level);
    counts.push((r.x[1] - r.x[0] + 1) * (r.y[1] - r.y[0] + 1));
  }
  return counts;
}

/** Path of a tile in toasty's layout, relative to the pyramid root: `{level}/{y}/{y}_{x}.png`. */
export function tilePath(level: number, x: number, y: number): string {
  return `${level}/${y}/${y}_${x}.png`;
}

/** The WTML `Url` template matching `tilePath` ({1} level, {2} x, {3} y). */
export const TILE_URL_TEMPLATE = '{1}/{3}/{3}_{2}.png';
