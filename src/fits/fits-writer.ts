// A minimal FITS writer (one image HDU, optional extra HDUs as raw header cards + data): enough for tests and
// fixtures to describe files exactly, byte for byte, without an external tool.
import { BLOCK, CARD } from './fits-cards.js';

export type CardInput = readonly [key: string, value?: string | number | boolean, comment?: string] | string;

function formatValue(value: string | number | boolean): string {
  if (typeof value === 'string') return `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  if (typeof value === 'boolean') return (value ? 'T' : 'F').padStart(20);
  return (Number.isInteger(value) ? String(value) : value.toExponential()).toUpperCase().padStart(20);
}

/** Header bytes: each input is a [key, value, comment] triple or a raw 80-column card text. Adds END and padding. */
export function headerBytes(cards: readonly CardInput[]): Buffer {
  let text = '';
  for (const card of cards) {
    if (typeof card === 'string') text += card.padEnd(CARD).slice(0, CARD);
    else {
      const [key, value, comment] = card;
      const body = value === undefined ? key.padEnd(8) : `${key.padEnd(8)}= ${formatValue(value)}${comment ? ` / ${comment}` : ''}`;
      text += body.padEnd(CARD).slice(0, CARD);
    }
  }
  text += 'END'.padEnd(CARD);
  return Buffer.from(text.padEnd(Math.ceil(text.length / BLOCK) * BLOCK, ' '), 'latin1');
}

/** Data bytes padded with zeros to a whole block. */
export function paddedData(data: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** Big-endian raw pixels for BITPIX from raw (pre-scaling) values. */
export function rawPixels(bitpix: number, values: ArrayLike<number | bigint>): Buffer {
  const size = Math.abs(bitpix) / 8;
  const out = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (bitpix === 8) out.writeUInt8(Number(v), i);
    else if (bitpix === 16) out.writeInt16BE(Number(v), 2 * i);
    else if (bitpix === 32) out.writeInt32BE(Number(v), 4 * i);
    else if (bitpix === 64) out.writeBigInt64BE(BigInt(v), 8 * i);
    else if (bitpix === -32) out.writeFloatBE(Number(v), 4 * i);
    else out.writeDoubleBE(Number(v), 8 * i);
  }
  return out;
}

/** A whole single-image FITS file: primary HDU with the given pixels and extra cards. */
export function imageFile(bitpix: number, width: number, height: number, values: ArrayLike<number | bigint>, extra: readonly CardInput[] = []): Buffer {
  const header = headerBytes([['SIMPLE', true], ['BITPIX', bitpix], ['NAXIS', 2], ['NAXIS1', width], ['NAXIS2', height], ...extra]);
  return Buffer.concat([header, paddedData(rawPixels(bitpix, values))]);
}
