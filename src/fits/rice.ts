// Rice decompression of one tile (FITS tiled-image convention, ZCMPTYPE = 'RICE_1'). A port of the algorithm in
// cfitsio's ricecomp.c (fits_rdecomp / _short / _byte): blocks of `blockSize` pixel differences, each block
// preceded by a split-length `fs`; fs = −1 means "all differences zero", fs = FSMAX means "raw bbits-bit values".
// Returns null when the bytes run out or are inconsistent, so the caller can name the file, HDU and tile.

const NONZERO = new Uint8Array(256);
for (let b = 1; b < 256; b++) NONZERO[b] = 32 - Math.clz32(b);

/** `into`: a buffer of at least `count` values to decode into (a caller decoding many tiles reuses one). */
export function riceDecode(input: Uint8Array, count: number, bytePix: 1 | 2 | 4, blockSize: number, into?: Int32Array): Int32Array | null {
  const fsBits = bytePix === 1 ? 3 : bytePix === 2 ? 4 : 5;
  const fsMax = bytePix === 1 ? 6 : bytePix === 2 ? 14 : 25;
  const bBits = 8 * bytePix;
  const out = into !== undefined && into.length >= count ? into.subarray(0, count) : new Int32Array(count);
  const n = input.length;
  if (n < bytePix + 1) return null;
  let next = 0;
  // The first pixel is stored raw, big-endian.
  let lastpix = 0;
  for (let k = 0; k < bytePix; k++) lastpix = (lastpix * 256 + input[next++]!) >>> 0;
  const wrap = (v: number): number => (bytePix === 4 ? v | 0 : bytePix === 2 ? (v << 16) >> 16 : v & 0xff);
  lastpix = wrap(lastpix);
  let b = input[next++]!;
  let nbits = 8;
  const byte = (): number => {
    if (next >= n) throw RANGE;
    return input[next++]!;
  };
  try {
    for (let i = 0; i < count; ) {
      nbits -= fsBits;
      while (nbits < 0) {
        b = ((b << 8) | byte()) >>> 0;
        nbits += 8;
      }
      const fs = (b >>> nbits) - 1;
      b &= (1 << nbits) - 1;
      const imax = Math.min(i + blockSize, count);
      if (fs < 0) {
        for (; i < imax; i++) out[i] = lastpix;
      } else if (fs === fsMax) {
        for (; i < imax; i++) {
          let k = bBits - nbits;
          // k may be 32 (nbits 0, b 0): JS shifts are mod 32, but b is 0 then, so the result is still right.
          let diff = k >= 32 ? 0 : (b << k) >>> 0;
          for (k -= 8; k >= 0; k -= 8) {
            b = byte();
            diff = (diff | (b << k)) >>> 0;
          }
          if (nbits > 0) {
            b = byte();
            diff = (diff | (b >>> -k)) >>> 0;
            b &= (1 << nbits) - 1;
          } else b = 0;
          const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
          lastpix = wrap(d + lastpix);
          out[i] = lastpix;
        }
      } else {
        // The hot loop (almost every block): everything inline, no calls, bounds checked against n.
        for (; i < imax; i++) {
          while (b === 0) {
            if (next >= n) throw RANGE;
            nbits += 8;
            b = input[next++]!;
          }
          const nzero = nbits - NONZERO[b]!;
          nbits -= nzero + 1;
          b ^= 1 << nbits;
          nbits -= fs;
          while (nbits < 0) {
            if (next >= n) throw RANGE;
            b = ((b << 8) | input[next++]!) >>> 0;
            nbits += 8;
          }
          const diff = ((nzero << fs) | (b >>> nbits)) >>> 0;
          b &= (1 << nbits) - 1;
          const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
          const sum = d + lastpix;
          lastpix = bytePix === 4 ? sum | 0 : bytePix === 2 ? (sum << 16) >> 16 : sum & 0xff;
          out[i] = lastpix;
        }
      }
    }
  } catch (error) {
    if (error === RANGE) return null;
    throw error;
  }
  return out;
}

const RANGE = new Error('rice input exhausted');
