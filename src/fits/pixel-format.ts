// Raw FITS pixels (big-endian, BITPIX-typed) to physical values: physical = BZERO + BSCALE × raw; the BLANK
// value of an integer image and NaN of a float image are missing (NaN). Unsigned 16/32-bit images are the
// usual signed storage with BZERO = 32768 / 2147483648, which this formula already handles exactly.
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

/** Decode one row of raw pixels into `out` (length = pixels in the row). */
export function decodeRawRow(bytes: Uint8Array, bitpix: number, scaling: Scaling, out: Float64Array): void {
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
