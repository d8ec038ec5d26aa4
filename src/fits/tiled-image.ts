// Tile-compressed FITS images (the .fz convention, what fpack writes): a BINTABLE whose rows are tiles of the
// image, compressed with RICE_1 or GZIP_1, stored in the table's heap. Floating-point images are usually
// quantized to integers with a per-tile ZSCALE/ZZERO and optional subtractive dithering (cfitsio's
// imcompress.c), which is undone here the way funpack does it.
import zlib from 'node:zlib';
import type { CardValue } from './fits-cards.js';
import { FitsError } from './fits-error.js';
import { riceDecode } from './rice.js';

type Header = ReadonlyMap<string, CardValue>;

export function isTiledImage(header: Header): boolean {
  return header.get('ZIMAGE') === true;
}

interface Column {
  readonly offset: number;
  readonly type: string;
  readonly repeat: number;
}

const TYPE_BYTES: Record<string, number> = { L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16 };

const N_RANDOM = 10000;
let randoms: Float32Array | undefined;
/** cfitsio's fits_init_randoms: the Park–Miller sequence every FITS writer and reader shares for dithering. */
function ditherRandoms(): Float32Array {
  if (randoms) return randoms;
  randoms = new Float32Array(N_RANDOM);
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const temp = 16807 * seed;
    seed = temp - 2147483647 * Math.trunc(temp / 2147483647);
    randoms[i] = seed / 2147483647;
  }
  return randoms;
}

const NULL_VALUE = -2147483647;

/**
 * Quantized values back to floats, with cfitsio's subtractive dither (its random sequence from `seed`): a loop
 * of its own, small enough for V8 to optimise (inside decodeTile it ran ~5× slower).
 */
function undither(values: Int32Array, out: Float64Array, scale: number, zero: number, zblank: number, seed: number, zeroIsZero: boolean): void {
  const r = ditherRandoms();
  let iseed = seed;
  let nextrand = Math.trunc(r[iseed]! * 500);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === zblank) out[i] = NaN;
    else if (zeroIsZero && v === ZERO_VALUE) out[i] = 0;
    else out[i] = (v - r[nextrand]! + 0.5) * scale + zero;
    nextrand++;
    if (nextrand === N_RANDOM) {
      iseed = (iseed + 1) % N_RANDOM;
      nextrand = Math.trunc(r[iseed]! * 500);
    }
  }
}
const ZERO_VALUE = -2147483646;

export class TiledImageDecoder {
  private readonly columns = new Map<string, Column>();
  private readonly rowBytes: number;
  private readonly tiles: number;
  private readonly heap: number;
  private readonly width: number;
  private readonly height: number;
  private readonly tile1: number;
  private readonly tile2: number;
  private readonly zbitpix: number;

  constructor(
    private readonly name: string,
    private readonly hduIndex: number,
    private readonly header: Header,
    private readonly data: Uint8Array,
  ) {
    const int = (key: string, fallback?: number): number => {
      const value = header.get(key);
      if (typeof value === 'number') return value;
      if (fallback !== undefined) return fallback;
      throw this.error(`the compressed image header has no ${key}`);
    };
    this.rowBytes = int('NAXIS1');
    this.tiles = int('NAXIS2');
    this.heap = int('THEAP', this.rowBytes * this.tiles);
    this.zbitpix = int('ZBITPIX');
    this.width = int('ZNAXIS1');
    this.height = int('ZNAXIS2');
    this.tile1 = int('ZTILE1', this.width);
    this.tile2 = int('ZTILE2', 1);
    let offset = 0;
    for (let i = 1; i <= int('TFIELDS'); i++) {
      const form = String(header.get(`TFORM${i}`) ?? '').trim();
      const match = /^(\d*)([LXBIJKAEDCMPQ])/.exec(form);
      if (!match) throw this.error(`column ${i} has an unknown TFORM '${form}'`);
      const repeat = match[1] === '' ? 1 : Number(match[1]);
      const type = match[2]!;
      const ttype = String(header.get(`TTYPE${i}`) ?? '').trim().toUpperCase();
      this.columns.set(ttype, { offset, type, repeat });
      offset += type === 'X' ? Math.ceil(repeat / 8) : repeat * TYPE_BYTES[type]!;
    }
    const expectedTiles = Math.ceil(this.width / this.tile1) * Math.ceil(this.height / this.tile2);
    if (expectedTiles !== this.tiles) throw this.error(`it has ${this.tiles} tiles but ZNAXIS/ZTILE promise ${expectedTiles}`);
  }

  private cachedBlockSize: number | undefined;

  private get blockSize(): number {
    return (this.cachedBlockSize ??= this.zval('BLOCKSIZE', 32));
  }

  private error(problem: string): FitsError {
    return new FitsError(this.name, this.hduIndex, `${problem}; re-create the .fz file (fpack) or unpack it with funpack`);
  }

  private zval(name: string, fallback: number): number {
    for (let i = 1; i < 100; i++) {
      const key = this.header.get(`ZNAME${i}`);
      if (key === undefined) break;
      if (String(key).trim().toUpperCase() === name) {
        const value = this.header.get(`ZVAL${i}`);
        if (typeof value === 'number') return value;
      }
    }
    return fallback;
  }

  private cellNumber(column: string, tile: number): number | undefined {
    const col = this.columns.get(column);
    if (!col) return undefined;
    const view = new DataView(this.data.buffer, this.data.byteOffset + tile * this.rowBytes + col.offset);
    switch (col.type) {
      case 'I':
        return view.getInt16(0);
      case 'J':
        return view.getInt32(0);
      case 'K':
        return Number(view.getBigInt64(0));
      case 'E':
        return view.getFloat32(0);
      case 'D':
        return view.getFloat64(0);
      default:
        return undefined;
    }
  }

  /** Bytes of a variable-length array cell (P or Q descriptor into the heap). */
  private cellBytes(column: string, tile: number): Uint8Array | undefined {
    const col = this.columns.get(column);
    if (!col || (col.type !== 'P' && col.type !== 'Q')) return undefined;
    const view = new DataView(this.data.buffer, this.data.byteOffset + tile * this.rowBytes + col.offset);
    const count = col.type === 'P' ? view.getInt32(0) : Number(view.getBigInt64(0));
    const offset = col.type === 'P' ? view.getInt32(4) : Number(view.getBigInt64(8));
    if (count === 0) return undefined;
    const start = this.heap + offset;
    if (count < 0 || offset < 0 || start + count > this.data.length) throw this.error(`tile ${tile + 1} points outside the heap`);
    return this.data.subarray(start, start + count);
  }

  /** Physical values of one tile, row-major, NaN = missing. */
  /** Scratch for a tile's integers (riceDecode), reused from tile to tile. */
  private ints: Int32Array | undefined;

  private decodeTile(tile: number, pixels: number, into: Float64Array): Float64Array {
    const out = into.subarray(0, pixels);
    const isFloat = this.zbitpix < 0;
    const quantized = isFloat && this.columns.has('ZSCALE');
    const compressed = this.cellBytes('COMPRESSED_DATA', tile);
    const cmptype = String(this.header.get('ZCMPTYPE') ?? '').trim();
    let ints: Int32Array | undefined;
    let floats: Float64Array | undefined;
    if (compressed) {
      if (cmptype === 'RICE_1') {
        const bytePix = quantized ? 4 : this.zval('BYTEPIX', this.zbitpix === 8 ? 1 : this.zbitpix === 16 ? 2 : 4);
        if (bytePix !== 1 && bytePix !== 2 && bytePix !== 4) throw this.error(`RICE_1 with BYTEPIX ${bytePix} is not supported`);
        if (this.ints === undefined || this.ints.length < pixels) this.ints = new Int32Array(pixels);
        const decoded = riceDecode(compressed, pixels, bytePix, this.blockSize, this.ints);
        if (!decoded) throw this.error(`tile ${tile + 1} does not decode (its RICE_1 data is corrupt or short)`);
        ints = decoded;
      } else if (cmptype === 'GZIP_1') {
        let raw: Buffer;
        try {
          raw = zlib.gunzipSync(compressed);
        } catch (cause) {
          throw new FitsError(this.name, this.hduIndex, `tile ${tile + 1} does not decode (its GZIP_1 data is corrupt); re-create the .fz file`, { cause });
        }
        const bits = quantized ? 32 : this.zbitpix;
        const size = Math.abs(bits) / 8;
        if (raw.length < pixels * size) throw this.error(`tile ${tile + 1} does not decode (GZIP_1 data holds ${raw.length} bytes, ${pixels * size} expected)`);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        if (bits > 0) {
          ints = new Int32Array(pixels);
          for (let i = 0; i < pixels; i++) ints[i] = bits === 8 ? raw[i]! : bits === 16 ? view.getInt16(2 * i) : view.getInt32(4 * i);
        } else {
          floats = new Float64Array(pixels);
          for (let i = 0; i < pixels; i++) floats[i] = bits === -32 ? view.getFloat32(4 * i) : view.getFloat64(8 * i);
        }
      } else {
        throw this.error(`ZCMPTYPE '${cmptype}' is not supported (only RICE_1 and GZIP_1)`);
      }
    } else {
      // fpack stores a float tile it could not quantize losslessly, gzipped, in GZIP_COMPRESSED_DATA.
      const fallback = this.cellBytes('GZIP_COMPRESSED_DATA', tile);
      if (!fallback || !isFloat) throw this.error(`tile ${tile + 1} has no data`);
      let raw: Buffer;
      try {
        raw = zlib.gunzipSync(fallback);
      } catch (cause) {
        throw new FitsError(this.name, this.hduIndex, `tile ${tile + 1} does not decode (corrupt gzip); re-create the .fz file`, { cause });
      }
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < pixels; i++) out[i] = this.zbitpix === -32 ? view.getFloat32(4 * i) : view.getFloat64(8 * i);
      return out;
    }
    if (floats) {
      out.set(floats);
      return out;
    }
    const values = ints!;
    if (quantized) {
      const scale = this.cellNumber('ZSCALE', tile) ?? 1;
      const zero = this.cellNumber('ZZERO', tile) ?? 0;
      const method = String(this.header.get('ZQUANTIZ') ?? 'NO_DITHER').trim();
      const zblank = this.cellNumber('ZBLANK', tile) ?? (this.header.get('ZBLANK') as number | undefined) ?? NULL_VALUE;
      if (method === 'SUBTRACTIVE_DITHER_1' || method === 'SUBTRACTIVE_DITHER_2') {
        const dither0 = Number(this.header.get('ZDITHER0') ?? 1);
        undither(values, out, scale, zero, zblank, (tile + 1 + dither0 - 2) % N_RANDOM, method === 'SUBTRACTIVE_DITHER_2');
      } else {
        for (let i = 0; i < pixels; i++) out[i] = values[i] === zblank ? NaN : values[i]! * scale + zero;
      }
      return out;
    }
    // Integer image: the original BSCALE/BZERO/BLANK travel in the compressed header.
    const bscale = Number(this.header.get('BSCALE') ?? 1);
    const bzero = Number(this.header.get('BZERO') ?? 0);
    const blank = this.header.get('ZBLANK') ?? this.header.get('BLANK');
    for (let i = 0; i < pixels; i++) out[i] = values[i] === blank ? NaN : bzero + bscale * values[i]!;
    return out;
  }

  /** Image rows in file order (row 1 first), decoding one band of tiles at a time. */
  *rows(): Generator<Float64Array> {
    const across = Math.ceil(this.width / this.tile1);
    const row = new Float64Array(this.width);
    // One buffer per tile of a band, reused band after band (a 4096² image in row tiles would otherwise
    // allocate 128 MB of short-lived arrays).
    const buffers = Array.from({ length: across }, () => new Float64Array(this.tile1 * this.tile2));
    for (let band = 0; band * this.tile2 < this.height; band++) {
      const bandHeight = Math.min(this.tile2, this.height - band * this.tile2);
      const tiles: Float64Array[] = [];
      for (let t = 0; t < across; t++) {
        const tileWidth = Math.min(this.tile1, this.width - t * this.tile1);
        tiles.push(this.decodeTile(band * across + t, tileWidth * bandHeight, buffers[t]!));
      }
      for (let y = 0; y < bandHeight; y++) {
        for (let t = 0; t < across; t++) {
          const tileWidth = Math.min(this.tile1, this.width - t * this.tile1);
          row.set(tiles[t]!.subarray(y * tileWidth, (y + 1) * tileWidth), t * this.tile1);
        }
        yield row;
      }
    }
  }
}
