// Raw FITS pixels (big-endian, BITPIX-typed) to physical values: physical = BZERO + BSCALE × raw; the BLANK
// value of an integer image and NaN of a float image are missing (NaN). Unsigned 16/32-bit images are the
// usual signed storage with BZERO = 32768 / 2147483648, which this formula already handles exactly.
import os from 'node:os';
import type { CardValue } from './fits-cards.js';

export interface Scaling {
  readonly scale: number;
  readonly zero: number;
  /** The raw integer that means "missing", for integer images. */
  readonly blank: number | bigint | undefined;
}

export function rawBytesPerPixel(bitpix: number): number {
  return Math.abs(bitpix) / 8;
}

export function scalingOf(header: ReadonlyMap<string, CardValue>, bitpix: number): Scaling {
  const number = (key: string, fallback: number): number => {
    const value = header.get(key);
    return typeof value === 'number' ? value : fallback;
  };
  const blankCard = bitpix > 0 ? header.get('BLANK') : undefined;
  const blank = typeof blankCard === 'number' ? (bitpix === 64 ? BigInt(blankCard) : blankCard) : undefined;
  return { scale: number('BSCALE', 1), zero: number('BZERO', 0), blank };
}

/** An aligned scratch copy of a row, reused: byte-swapped in place (native, fast) and read as a typed array. */
let scratch = new Uint8Array(0);

function swapped(bytes: Uint8Array, width: 2 | 4): Uint8Array {
  if (scratch.length < bytes.length) scratch = new Uint8Array(bytes.length);
  const copy = scratch.subarray(0, bytes.length);
  copy.set(bytes);
  const buffer = Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength);
  if (width === 2) buffer.swap16();
  else buffer.swap32();
  return copy;
}

/** Decode one row of raw pixels into `out` (length = pixels in the row). */
export function decodeRawRow(bytes: Uint8Array, bitpix: number, scaling: Scaling, out: Float64Array): void {
  if (bitpix === -32 && os.endianness() === 'LE' && bytes.length === out.length * 4) {
    // The common float image: swap the row's bytes natively and convert the whole row at once.
    const copy = swapped(bytes, 4);
    const values = new Float32Array(copy.buffer, copy.byteOffset, out.length);
    const { scale, zero } = scaling;
    if (scale === 1 && zero === 0) out.set(values);
    else for (let i = 0; i < out.length; i++) out[i] = zero + scale * values[i]!;
    return;
  }
  if (bitpix === 16 && os.endianness() === 'LE' && bytes.length === out.length * 2) {
    const copy = swapped(bytes, 2);
    const values = new Int16Array(copy.buffer, copy.byteOffset, out.length);
    const { scale, zero, blank } = scaling;
    for (let i = 0; i < out.length; i++) {
      const raw = values[i]!;
      out[i] = raw === blank ? NaN : zero + scale * raw;
    }
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { scale, zero, blank } = scaling;
  const n = out.length;
  switch (bitpix) {
    case 8:
      for (let i = 0; i < n; i++) {
        const raw = bytes[i]!;
        out[i] = raw === blank ? NaN : zero + scale * raw;
      }
      return;
    case 16:
      for (let i = 0; i < n; i++) {
        const raw = view.getInt16(2 * i);
        out[i] = raw === blank ? NaN : zero + scale * raw;
      }
      return;
    case 32:
      for (let i = 0; i < n; i++) {
        const raw = view.getInt32(4 * i);
        out[i] = raw === blank ? NaN : zero + scale * raw;
      }
      return;
    case 64:
      for (let i = 0; i < n; i++) {
        const raw = view.getBigInt64(8 * i);
        // BZERO = 2^63 marks unsigned 64-bit storage: add it in integer arithmetic before going to a double.
        out[i] = raw === blank ? NaN : zero === 9223372036854775808 && scale === 1 ? Number(raw + 9223372036854775808n) : zero + scale * Number(raw);
      }
      return;
    case -32:
      for (let i = 0; i < n; i++) out[i] = zero + scale * view.getFloat32(4 * i);
      return;
    case -64:
      for (let i = 0; i < n; i++) out[i] = zero + scale * view.getFloat64(8 * i);
      return;
    default:
      throw new RangeError(`BITPIX ${bitpix}`);
  }
}
