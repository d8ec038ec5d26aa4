// How a FITS preview maps physical values to 8-bit grey: cut levels from the histogram, then a stretch.
//
// Cut levels follow Debian's fitscut 1.4.4 (what CALDP runs), checked with `fitscut -v -v -v --autoscale=99.5`:
// a single percent P means the LOW cut is the (100 − P) percentile and the HIGH cut the P percentile
// ("Autoscaling channel 0 by histogram 0.5000% - 99.5000%"), so 99.5 keeps the middle 99 % — not (100 ± P)/2.
// The stretch curves are ds9's (log with a = 1000, asinh with a = 10) on t = (v − low)/(high − low) clamped
// to [0, 1]: simple closed forms a test can derive by hand, where fitscut's asinh re-autoscales its own output.
export type PreviewScaling = 'linear' | 'log' | 'sqrt' | 'asinh';

export const PREVIEW_SCALINGS: readonly PreviewScaling[] = ['linear', 'log', 'sqrt', 'asinh'];

export interface CutLevels {
  readonly low: number;
  readonly high: number;
}

/**
 * Cut levels keeping `percent` of the histogram (percentiles by nearest rank on (n − 1) of the sorted values, so
 * the 0th is the minimum and the 100th the maximum) (fitscut's --autoscale=percent) from a sample of values.
 * NaN (missing, BLANK) is ignored; an empty sample gives 0..1 so an all-blank image comes out black.
 */
export function autoscaleCuts(sample: ArrayLike<number>, percent: number): CutLevels {
  // One copy of the finite values, sorted in place (a 2^20 sample is 8 MB).
  const sorted = new Float64Array(sample.length);
  let n = 0;
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i]!;
    if (Number.isFinite(v)) sorted[n++] = v;
  }
  if (n === 0) return { low: 0, high: 1 };
  const values = sorted.subarray(0, n);
  const keep = Math.min(100, Math.max(0, percent));
  const lowP = Math.min(keep, 100 - keep);
  // The two ranks a full sort would read, found by selection: O(n) instead of sorting a million values.
  const rank = (p: number): number => Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))));
  const lowRank = rank(lowP);
  const highRank = rank(100 - lowP);
  const low = select(values, lowRank, 0, n - 1);
  // Selection leaves everything at or above lowRank from lowRank on: the high rank is searched there.
  const high = select(values, highRank, lowRank, n - 1);
  return { low, high };
}

/**
 * The k-th smallest of values[left..right], in place: quickselect with a median-of-three pivot and a three-way
 * partition (below, equal to, above the pivot). The equal band matters: a picture is often mostly one value
 * (zero padding, a blank sky), and a two-way partition then moves one element per pass, O(n²) — a 512×256 map
 * of zeros took 10 s.
 */
function select(values: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    const a = values[left]!;
    const b = values[mid]!;
    const c = values[right]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // values[left..lt-1] < pivot, values[lt..i-1] == pivot, values[gt+1..right] > pivot.
    let lt = left;
    let gt = right;
    let i = left;
    while (i <= gt) {
      const v = values[i]!;
      if (v < pivot) swap(values, lt++, i++);
      else if (v > pivot) swap(values, i, gt--);
      else i++;
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return pivot;
  }
  return values[k]!;
}

function swap(values: Float64Array, i: number, j: number): void {
  const t = values[i]!;
  values[i] = values[j]!;
  values[j] = t;
}

const LOG_A = 1000;
const ASINH_A = 10;

/** The stretch of t in [0, 1] to [0, 1]. */
export function stretch(scaling: PreviewScaling, t: number): number {
  switch (scaling) {
    case 'linear':
      return t;
    case 'sqrt':
      return Math.sqrt(t);
    case 'log':
      return Math.log10(LOG_A * t + 1) / Math.log10(LOG_A + 1);
    case 'asinh':
      return Math.asinh(ASINH_A * t) / Math.asinh(ASINH_A);
  }
}

/** Steps of t in the lookup table of a curved stretch: at log's steepest (t = 0) one step moves < 0.02 grey. */
const TABLE_STEPS = 1 << 20;

/**
 * A function from a physical value to a grey level 0..255 (rounded). Missing values (NaN) are black, as
 * fitscut marks blank pixels. A flat image (low = high) maps everything at or above the level to white.
 * Curved stretches go through a table of 2^20 + 1 steps of t: Math.asinh on every pixel of a 4096² image
 * costs ~0.5 s, the table ~30 ms to build.
 */
export function greyLevels(scaling: PreviewScaling, cuts: CutLevels): (value: number) => number {
  const span = cuts.high - cuts.low;
  let table: Uint8Array | undefined;
  if (scaling !== 'linear') {
    table = new Uint8Array(TABLE_STEPS + 1);
    for (let i = 0; i <= TABLE_STEPS; i++) table[i] = Math.round(255 * stretch(scaling, i / TABLE_STEPS));
  }
  return (value) => {
    if (Number.isNaN(value)) return 0;
    let t = span > 0 ? (value - cuts.low) / span : value >= cuts.high ? 1 : 0;
    if (t < 0) t = 0;
    else if (t > 1) t = 1;
    return table ? table[Math.round(t * TABLE_STEPS)]! : Math.round(255 * t);
  };
}

/**
 * The same mapping for a whole row at once: row[0], row[stride], … into out[offset], out[offset + 1], …. One
 * tight loop (no call per pixel): a 4096² image is 16 million of them.
 */
export function greyRowMapper(scaling: PreviewScaling, cuts: CutLevels): (row: Float64Array, out: Uint8Array, offset: number, stride: number) => void {
  const span = cuts.high - cuts.low;
  const low = cuts.low;
  const high = cuts.high;
  if (!(span > 0)) {
    return (row, out, offset, stride) => {
      for (let x = 0, o = offset; x < row.length; x += stride, o++) {
        const v = row[x]!;
        out[o] = v >= high ? 255 : 0; // as greyLevels with a flat image; NaN compares false: black
      }
    };
  }
  // Exactly greyLevels' arithmetic (t = (v − low) / span, clamped), so both give the same grey levels.
  if (scaling === 'linear') {
    return (row, out, offset, stride) => {
      for (let x = 0, o = offset; x < row.length; x += stride, o++) {
        const v = row[x]!;
        if (v !== v) {
          out[o] = 0; // NaN: missing
          continue;
        }
        let t = (v - low) / span;
        if (t < 0) t = 0;
        else if (t > 1) t = 1;
        out[o] = (255 * t + 0.5) | 0; // Math.round for t ≥ 0, without the call
      }
    };
  }
  const table = new Uint8Array(TABLE_STEPS + 1);
  for (let i = 0; i <= TABLE_STEPS; i++) table[i] = Math.round(255 * stretch(scaling, i / TABLE_STEPS));
  return (row, out, offset, stride) => {
    for (let x = 0, o = offset; x < row.length; x += stride, o++) {
      const v = row[x]!;
      if (v !== v) {
        out[o] = 0; // NaN: missing
        continue;
      }
      let t = (v - low) / span;
      if (t < 0) t = 0;
      else if (t > 1) t = 1;
      out[o] = table[(t * TABLE_STEPS + 0.5) | 0]!; // Math.round for t ≥ 0
    }
  };
}
