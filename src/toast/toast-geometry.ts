// TOAST geometry (GUIDE §4): the four fixed level-1 quadrilaterals, children split at great-circle midpoints,
// and pixel centres by recursive midpoint subdivision (there is no closed form). Points are unit vectors in
// the TOAST frame (x towards lon 0, y towards lon 90°, z to the north pole), which makes a great-circle
// midpoint simply the normalised sum and keeps the poles free of longitude singularities.

export type Vec3 = readonly [number, number, number];

export const TILE_SIZE = 256;

export function unitVector(lonDeg: number, latDeg: number): Vec3 {
  const lon = (lonDeg * Math.PI) / 180;
  const lat = (latDeg * Math.PI) / 180;
  return [Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)];
}

export function midpoint(a: Vec3, b: Vec3): Vec3 {
  const x = a[0] + b[0];
  const y = a[1] + b[1];
  const z = a[2] + b[2];
  const n = Math.sqrt(x * x + y * y + z * z); // not Math.hypot: several times slower in V8, called ~90k times a tile
  return [x / n, y / n, z / n];
}

/**
 * A TOAST tile: corners upper-left, upper-right, lower-right, lower-left. `increasing` says which diagonal
 * joins its two triangles (lower-left → upper-right if true, else upper-left → lower-right); the quad's
 * centre is that diagonal's midpoint.
 */
export interface ToastTile {
  readonly level: number;
  readonly x: number;
  readonly y: number;
  readonly corners: readonly [Vec3, Vec3, Vec3, Vec3];
  readonly increasing: boolean;
}

/** GUIDE §4, corners (lon, lat) in degrees, in ul, ur, lr, ll order. */
const LEVEL1: ReadonlyArray<[number, number, Array<[number, number]>, boolean]> = [
  [0, 0, [[0, -90], [90, 0], [0, 90], [180, 0]], true],
  [1, 0, [[90, 0], [0, -90], [0, 0], [0, 90]], false],
  [0, 1, [[180, 0], [0, 90], [270, 0], [0, -90]], false],
  [1, 1, [[0, 90], [0, 0], [0, -90], [270, 0]], true],
];

export function level1Tiles(): ToastTile[] {
  return LEVEL1.map(([x, y, corners, increasing]) => ({
    level: 1,
    x,
    y,
    corners: corners.map(([lon, lat]) => unitVector(lon, lat)) as unknown as ToastTile['corners'],
    increasing,
  }));
}

function centreOf(ul: Vec3, ur: Vec3, lr: Vec3, ll: Vec3, increasing: boolean): Vec3 {
  return increasing ? midpoint(ll, ur) : midpoint(ul, lr);
}

/** The four children in order (x, y), (x+1, y), (x, y+1), (x+1, y+1). */
export function childrenOf(tile: ToastTile): ToastTile[] {
  const [ul, ur, lr, ll] = tile.corners;
  const top = midpoint(ul, ur);
  const right = midpoint(ur, lr);
  const bottom = midpoint(lr, ll);
  const left = midpoint(ll, ul);
  const centre = centreOf(ul, ur, lr, ll, tile.increasing);
  const level = tile.level + 1;
  const x = tile.x * 2;
  const y = tile.y * 2;
  const { increasing } = tile;
  return [
    { level, x, y, corners: [ul, top, centre, left], increasing },
    { level, x: x + 1, y, corners: [top, ur, right, centre], increasing },
    { level, x, y: y + 1, corners: [left, centre, bottom, ll], increasing },
    { level, x: x + 1, y: y + 1, corners: [centre, right, lr, bottom], increasing },
  ];
}

/** The tile at (level ≥ 1, x, y), by descending from its level-1 ancestor. */
export function toastTile(level: number, x: number, y: number): ToastTile {
  if (level < 1) throw new RangeError('TOAST tiles below level 1 are not quadrilaterals');
  let tile = level1Tiles()[((y >> (level - 1)) & 1) * 2 + ((x >> (level - 1)) & 1)]!;
  for (let l = 2; l <= level; l++) {
    const shift = level - l;
    tile = childrenOf(tile)[((y >> shift) & 1) * 2 + ((x >> shift) & 1)]!;
  }
  return tile;
}

/**
 * Unit vectors of the 256 × 256 pixel centres, row-major, xyz interleaved: each pixel is a quad of the
 * subdivision eight levels down, and its centre is that quad's diagonal midpoint.
 */
export function pixelCentres(tile: ToastTile): Float64Array {
  const out = new Float64Array(TILE_SIZE * TILE_SIZE * 3);
  const walk = (ul: Vec3, ur: Vec3, lr: Vec3, ll: Vec3, n: number, px: number, py: number): void => {
    const centre = centreOf(ul, ur, lr, ll, tile.increasing);
    if (n === 1) {
      const i = (py * TILE_SIZE + px) * 3;
      out[i] = centre[0];
      out[i + 1] = centre[1];
      out[i + 2] = centre[2];
      return;
    }
    const top = midpoint(ul, ur);
    const right = midpoint(ur, lr);
    const bottom = midpoint(lr, ll);
    const left = midpoint(ll, ul);
    const h = n / 2;
    walk(ul, top, centre, left, h, px, py);
    walk(top, ur, right, centre, h, px + h, py);
    walk(left, centre, bottom, ll, h, px, py + h);
    walk(centre, right, lr, bottom, h, px + h, py + h);
  };
  const [ul, ur, lr, ll] = tile.corners;
  walk(ul, ur, lr, ll, TILE_SIZE, 0, 0);
  return out;
}
