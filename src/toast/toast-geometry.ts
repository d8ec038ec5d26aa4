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
 * The subdivision's vertices of one tile (257 × 257 unit vectors, xyz interleaved): what its pixel centres are
 * made from (pixelCentre). Kept apart from the centres because a sampler needs only some of them exactly — and
 * so the finest vertices (an odd row or column, three quarters of them) are made only when a centre needs them
 * (`known` marks those made).
 */
export interface PixelGrid {
  readonly grid: Float64Array;
  readonly known: Uint8Array;
  readonly increasing: boolean;
}

/** Room for one tile's vertex grid: a caller tiling many tiles makes one (pixelGridScratch) and passes it on. */
export interface PixelGridScratch {
  readonly grid: Float64Array;
  readonly known: Uint8Array;
}

const SIDE = TILE_SIZE + 1;

export function pixelGridScratch(): PixelGridScratch {
  return { grid: new Float64Array(SIDE * SIDE * 3), known: new Uint8Array(SIDE * SIDE) };
}

/** grid[target] = the midpoint of grid[a] and grid[b] (vertex indices). */
function midInto(grid: Float64Array, target: number, a: number, b: number): void {
  const x = grid[a * 3]! + grid[b * 3]!;
  const y = grid[a * 3 + 1]! + grid[b * 3 + 1]!;
  const z = grid[a * 3 + 2]! + grid[b * 3 + 2]!;
  const norm = Math.sqrt(x * x + y * y + z * z); // not Math.hypot: several times slower in V8
  grid[target * 3] = x / norm;
  grid[target * 3 + 1] = y / norm;
  grid[target * 3 + 2] = z / norm;
}

/**
 * The vertices of the subdivision eight levels down (each pixel is one of its quads), on the 257 × 257 grid,
 * coarse to fine with no allocation per point: each new vertex is the midpoint of an edge of its quad, or of the
 * quad's diagonal, exactly as the recursive definition makes it (the same sums in the same order, so the same
 * bits). Made here down to the even rows and columns; the last subdivision is left to pixelCentre. `scratch`, if
 * given, is overwritten and used (no allocation per tile).
 */
export function pixelGrid(tile: ToastTile, scratch?: PixelGridScratch): PixelGrid {
  const n = TILE_SIZE;
  const { grid, known } = scratch ?? pixelGridScratch();
  known.fill(0);
  const put = (i: number, j: number, v: Vec3): void => {
    const k = (j * SIDE + i) * 3;
    grid[k] = v[0];
    grid[k + 1] = v[1];
    grid[k + 2] = v[2];
  };
  const [ul, ur, lr, ll] = tile.corners;
  put(0, 0, ul);
  put(n, 0, ur);
  put(n, n, lr);
  put(0, n, ll);
  const { increasing } = tile;
  for (let step = n; step >= 4; step /= 2) {
    const h = step / 2;
    for (let j = 0; j < n; j += step) {
      for (let i = 0; i < n; i += step) {
        const a = j * SIDE + i; // ul
        const b = j * SIDE + i + step; // ur
        const c = (j + step) * SIDE + i + step; // lr
        const d = (j + step) * SIDE + i; // ll
        if (increasing) midInto(grid, (j + h) * SIDE + i + h, d, b);
        else midInto(grid, (j + h) * SIDE + i + h, a, c);
        midInto(grid, j * SIDE + i + h, a, b); // top
        midInto(grid, (j + h) * SIDE + i + step, b, c); // right
        midInto(grid, (j + step) * SIDE + i + h, c, d); // bottom
        midInto(grid, (j + h) * SIDE + i, d, a); // left
      }
    }
  }
  return { grid, known, increasing };
}

/**
 * Make vertex (i, j) if it is one of the last subdivision's (i or j odd) not made yet: the midpoint of its 2×2
 * quad's diagonal (both odd) or of the quad edge it lies on, whose ends are even vertices, made by pixelGrid.
 */
function finestVertex(g: PixelGrid, i: number, j: number): void {
  const k = j * SIDE + i;
  if (((i | j) & 1) === 0 || g.known[k] === 1) return;
  if ((i & 1) !== 0 && (j & 1) !== 0) {
    if (g.increasing) midInto(g.grid, k, (j + 1) * SIDE + i - 1, (j - 1) * SIDE + i + 1); // lower-left, upper-right
    else midInto(g.grid, k, (j - 1) * SIDE + i - 1, (j + 1) * SIDE + i + 1); // upper-left, lower-right
  } else if ((i & 1) !== 0) midInto(g.grid, k, k - 1, k + 1); // on a horizontal edge
  else midInto(g.grid, k, k - SIDE, k + SIDE); // on a vertical edge
  g.known[k] = 1;
}

/** The centre of pixel (px, py) — its quad's diagonal midpoint — into out[0..2]. */
export function pixelCentre(g: PixelGrid, px: number, py: number, out: Float64Array): void {
  // Lower-left and upper-right corners, or upper-left and lower-right.
  const pj = g.increasing ? py + 1 : py;
  const qj = g.increasing ? py : py + 1;
  finestVertex(g, px, pj);
  finestVertex(g, px + 1, qj);
  const p = pj * SIDE + px;
  const q = qj * SIDE + px + 1;
  const { grid } = g;
  const x = grid[p * 3]! + grid[q * 3]!;
  const y = grid[p * 3 + 1]! + grid[q * 3 + 1]!;
  const z = grid[p * 3 + 2]! + grid[q * 3 + 2]!;
  const norm = Math.sqrt(x * x + y * y + z * z);
  out[0] = x / norm;
  out[1] = y / norm;
  out[2] = z / norm;
}

/** Unit vectors of the 256 × 256 pixel centres, row-major, xyz interleaved. */
export function pixelCentres(tile: ToastTile): Float64Array {
  const g = pixelGrid(tile);
  const n = TILE_SIZE;
  const out = new Float64Array(n * n * 3);
  const v = new Float64Array(3);
  for (let py = 0; py < n; py++) {
    for (let px = 0; px < n; px++) {
      pixelCentre(g, px, py, v);
      out.set(v, (py * n + px) * 3);
    }
  }
  return out;
}
