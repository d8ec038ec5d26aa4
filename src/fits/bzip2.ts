// A bzip2 decoder in plain TypeScript (no package on npm decodes bzip2 as a stream with its CRCs checked):
// Photon Ranch's large FITS files arrive as `.fits.bz2`. It follows the format as bzip2 1.0 writes it — stream
// header `BZh1`…`BZh9`; blocks of Huffman-coded MTF/RLE2 symbols over a Burrows–Wheeler transform of RLE1'd
// bytes; a 48-bit end-of-stream marker with the combined CRC — and concatenated streams (`cat a.bz2 b.bz2`).
// Decoding is block by block: memory stays near the 900 kB block size (plus one compressed block of input),
// whatever the file's size. Every block's CRC and the stream's CRC are checked: a damaged file is an error.

export class Bzip2Error extends Error {
  override readonly name = 'Bzip2Error';
}

const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const END_MAGIC_HI = 0x177245;
const END_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LENGTH = 20;
const GROUP_SIZE = 50;

/** bzip2's CRC-32: polynomial 0x04c11db7, most significant bit first (not zlib's reflected CRC). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** Signals that the buffered input ended inside a block: the block is decoded again with more input. */
class NeedInput extends Error {}

class BitReader {
  private bitBuffer = 0;
  private bitCount = 0;
  position = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly final: boolean,
  ) {}

  bits(n: number): number {
    while (this.bitCount < n) {
      if (this.position >= this.data.length) {
        if (this.final) throw new Bzip2Error('the file is truncated (it ends inside a block)');
        throw new NeedInput();
      }
      this.bitBuffer = ((this.bitBuffer << 8) | this.data[this.position++]!) >>> 0;
      this.bitCount += 8;
    }
    this.bitCount -= n;
    return (this.bitBuffer >>> this.bitCount) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  /** Drop bits to the next byte boundary (streams are byte-aligned; blocks are not). */
  align(): void {
    this.bitCount -= this.bitCount % 8;
  }

  /** Bytes fully consumed, and the bits still held of a partly consumed one. */
  get state(): { byte: number; heldBits: number } {
    return { byte: this.position, heldBits: this.bitCount };
  }

  restore(data: Uint8Array, byte: number, heldBits: number): BitReader {
    const reader = new BitReader(data, this.final);
    reader.position = byte;
    if (heldBits > 0) {
      reader.bitBuffer = data[byte - 1]! & ((1 << heldBits) - 1);
      reader.bitCount = heldBits;
    }
    return reader;
  }
}

/** A canonical Huffman table decoded bit by bit with limit/base/perm arrays (bzip2's own scheme). */
interface HuffmanTable {
  readonly minLength: number;
  readonly limit: Int32Array;
  readonly base: Int32Array;
  readonly perm: Int32Array;
}

function huffmanTable(lengths: Uint8Array, alphaSize: number): HuffmanTable {
  let minLength = 32;
  let maxLength = 0;
  for (let i = 0; i < alphaSize; i++) {
    minLength = Math.min(minLength, lengths[i]!);
    maxLength = Math.max(maxLength, lengths[i]!);
  }
  const perm = new Int32Array(MAX_ALPHA);
  let pp = 0;
  for (let length = minLength; length <= maxLength; length++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === length) perm[pp++] = s;
  const base = new Int32Array(MAX_CODE_LENGTH + 2);
  for (let s = 0; s < alphaSize; s++) base[lengths[s]! + 1]!++;
  for (let i = 1; i < base.length; i++) base[i]! += base[i - 1]!;
  const limit = new Int32Array(MAX_CODE_LENGTH + 1).fill(-1);
  let vec = 0;
  for (let i = minLength; i <= maxLength; i++) {
    vec += base[i + 1]! - base[i]!;
    limit[i] = vec - 1;
    vec <<= 1;
  }
  for (let i = minLength + 1; i <= maxLength; i++) base[i] = ((limit[i - 1]! + 1) << 1) - base[i]!;
  return { minLength, limit, base, perm };
}

function decodeSymbol(reader: BitReader, table: HuffmanTable): number {
  let length = table.minLength;
  let code = reader.bits(length);
  for (;;) {
    if (length > MAX_CODE_LENGTH) throw new Bzip2Error('the data is damaged (a Huffman code is too long)');
    if (code <= table.limit[length]!) {
      const index = code - table.base[length]!;
      if (index < 0 || index >= MAX_ALPHA) throw new Bzip2Error('the data is damaged (a Huffman code out of range)');
      return table.perm[index]!;
    }
    length++;
    code = (code << 1) | reader.bit();
  }
}

/** Decode one block after its magic: the block's bytes (with RLE1 undone) and its stored CRC. */
function decodeBlock(reader: BitReader, blockSizeMax: number): { bytes: Uint8Array; crc: number } {
  const crc = ((reader.bits(16) << 16) | reader.bits(16)) >>> 0;
  if (reader.bit()) throw new Bzip2Error('the file uses randomised blocks (bzip2 before 0.9.5), which are not supported');
  const origPtr = reader.bits(24);
  // Which byte values occur: 16 ranges, then 16 values in each range used.
  const used: number[] = [];
  const ranges = reader.bits(16);
  for (let i = 0; i < 16; i++) {
    if (!(ranges & (0x8000 >>> i))) continue;
    const values = reader.bits(16);
    for (let j = 0; j < 16; j++) if (values & (0x8000 >>> j)) used.push(i * 16 + j);
  }
  if (used.length === 0) throw new Bzip2Error('the data is damaged (a block uses no byte values)');
  const alphaSize = used.length + 2;
  const groups = reader.bits(3);
  if (groups < 2 || groups > MAX_GROUPS) throw new Bzip2Error('the data is damaged (bad number of Huffman tables)');
  const selectorCount = reader.bits(15);
  if (selectorCount < 1) throw new Bzip2Error('the data is damaged (no selectors)');
  const mtfGroups = Array.from({ length: groups }, (_, i) => i);
  const selectors = new Uint8Array(selectorCount);
  for (let i = 0; i < selectorCount; i++) {
    let j = 0;
    while (reader.bit()) {
      j++;
      if (j >= groups) throw new Bzip2Error('the data is damaged (a selector out of range)');
    }
    const value = mtfGroups[j]!;
    mtfGroups.splice(j, 1);
    mtfGroups.unshift(value);
    selectors[i] = value;
  }
  const tables: HuffmanTable[] = [];
  for (let t = 0; t < groups; t++) {
    const lengths = new Uint8Array(MAX_ALPHA);
    let length = reader.bits(5);
    for (let s = 0; s < alphaSize; s++) {
      for (;;) {
        if (length < 1 || length > MAX_CODE_LENGTH) throw new Bzip2Error('the data is damaged (a bad code length)');
        if (!reader.bit()) break;
        length += reader.bit() ? -1 : 1;
      }
      lengths[s] = length;
    }
    tables.push(huffmanTable(lengths, alphaSize));
  }

  // Huffman → MTF/RLE2 symbols → the BWT'd block (tt holds bytes; counts per byte for the inverse BWT).
  const endOfBlock = alphaSize - 1;
  const mtf = Uint8Array.from(used);
  const counts = new Int32Array(256);
  const tt = new Uint32Array(blockSizeMax);
  let count = 0;
  let groupIndex = -1;
  let groupLeft = 0;
  let table = tables[0]!;
  let runLength = 0;
  let runWeight = 1;
  const flushRun = (): void => {
    if (runLength === 0) return;
    const value = mtf[0]!;
    if (count + runLength > blockSizeMax) throw new Bzip2Error('the data is damaged (a block is larger than its header allows)');
    counts[value]! += runLength;
    for (let k = 0; k < runLength; k++) tt[count++] = value;
    runLength = 0;
    runWeight = 1;
  };
  for (;;) {
    if (groupLeft === 0) {
      groupIndex++;
      if (groupIndex >= selectorCount) throw new Bzip2Error('the data is damaged (more symbols than selectors)');
      table = tables[selectors[groupIndex]!]!;
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    const symbol = decodeSymbol(reader, table);
    if (symbol <= 1) {
      // RUNA (0) and RUNB (1): a bijective base-2 count of repeats of the front symbol.
      runLength += (symbol + 1) * runWeight;
      runWeight <<= 1;
      if (runLength > blockSizeMax) throw new Bzip2Error('the data is damaged (a run is too long)');
      continue;
    }
    flushRun();
    if (symbol === endOfBlock) break;
    const position = symbol - 1;
    if (position >= used.length) throw new Bzip2Error('the data is damaged (an MTF index out of range)');
    const value = mtf[position]!;
    mtf.copyWithin(1, 0, position);
    mtf[0] = value;
    if (count >= blockSizeMax) throw new Bzip2Error('the data is damaged (a block is larger than its header allows)');
    counts[value]!++;
    tt[count++] = value;
  }
  if (origPtr >= count) throw new Bzip2Error('the data is damaged (the BWT origin is outside the block)');

  // Inverse BWT: link each position to the next in the original order (tt's high bits hold the links).
  const starts = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    starts[i] = sum;
    sum += counts[i]!;
  }
  for (let i = 0; i < count; i++) {
    const value = tt[i]! & 0xff;
    tt[starts[value]!++]! |= i << 8;
  }
  // Walk the links and undo RLE1 (four equal bytes are followed by a count of 0–255 more).
  let outBytes = new Uint8Array(Math.max(1024, count + (count >> 2)));
  let outLength = 0;
  const push = (byte: number): void => {
    if (outLength === outBytes.length) {
      const bigger = new Uint8Array(outBytes.length * 2);
      bigger.set(outBytes);
      outBytes = bigger;
    }
    outBytes[outLength++] = byte;
  };
  let position = tt[origPtr]! >>> 8;
  let previous = -1;
  let same = 0;
  for (let i = 0; i < count; i++) {
    const entry = tt[position]!;
    const byte = entry & 0xff;
    position = entry >>> 8;
    if (same === 4) {
      for (let k = 0; k < byte; k++) push(previous);
      same = 0;
      previous = -1;
      continue;
    }
    push(byte);
    if (byte === previous) same++;
    else {
      previous = byte;
      same = 1;
    }
  }
  return { bytes: outBytes.subarray(0, outLength), crc };
}

function blockCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return ~crc >>> 0;
}

/**
 * Decompress a bzip2 stream (or several concatenated) given as chunks; yields the decompressed bytes block by
 * block. Throws Bzip2Error for anything that is not intact bzip2.
 */
export async function* bunzip2(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  let ended = false;
  const iterator = (Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (chunks as Iterable<Uint8Array>)[Symbol.iterator]()) as
    | AsyncIterator<Uint8Array>
    | Iterator<Uint8Array>;
  /** Read more input; false when there is none. */
  const more = async (atLeast: number): Promise<boolean> => {
    const parts: Uint8Array[] = [buffer];
    let size = buffer.length;
    let got = false;
    while (size < atLeast && !ended) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      parts.push(next.value);
      size += next.value.length;
      got = true;
    }
    if (got) {
      const joined = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        joined.set(part, at);
        at += part.length;
      }
      buffer = joined;
    }
    return got;
  };

  let streams = 0;
  let offset = 0;
  for (;;) {
    // A stream header, or the end of the input (after at least one stream).
    await more(offset + 4);
    if (offset >= buffer.length) {
      if (streams === 0) throw new Bzip2Error('the file is empty, not bzip2');
      return;
    }
    if (buffer.length - offset < 4 || buffer[offset] !== 0x42 || buffer[offset + 1] !== 0x5a || buffer[offset + 2] !== 0x68 || buffer[offset + 3]! < 0x31 || buffer[offset + 3]! > 0x39) {
      if (streams > 0 && buffer.subarray(offset).every((b) => b === 0)) return; // zero padding after the last stream
      throw new Bzip2Error(streams === 0 ? 'it does not start with a bzip2 header (BZh1–BZh9): is it really .bz2?' : 'there is garbage after the last bzip2 stream');
    }
    const blockSizeMax = (buffer[offset + 3]! - 0x30) * 100_000;
    // Enough input for one whole compressed block (never larger than the block plus its tables) before decoding it.
    const window = blockSizeMax + (blockSizeMax >> 2) + 16_384;
    let at = { byte: offset + 4, heldBits: 0 };
    let combined = 0;
    streams++;
    for (;;) {
      await more(at.byte + window);
      // Bytes before the current byte are done with: drop them, so memory stays near one block.
      if (at.byte > window) {
        const keep = at.heldBits > 0 ? at.byte - 1 : at.byte;
        buffer = buffer.slice(keep);
        at = { byte: at.byte - keep, heldBits: at.heldBits };
        offset = 0;
      }
      const reader = new BitReader(buffer, ended).restore(buffer, at.byte, at.heldBits);
      let block: { bytes: Uint8Array; crc: number } | undefined;
      let endCrc: number | undefined;
      try {
        const hi = reader.bits(24);
        const lo = reader.bits(24);
        if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) block = decodeBlock(reader, blockSizeMax);
        else if (hi === END_MAGIC_HI && lo === END_MAGIC_LO) endCrc = ((reader.bits(16) << 16) | reader.bits(16)) >>> 0;
        else throw new Bzip2Error('the data is damaged (no block or end-of-stream marker where one must be)');
      } catch (error) {
        // Input ran out inside the block: read more and decode it again (at the end of input, the reader
        // made next time is final and reports a truncated file instead).
        if (error instanceof NeedInput) {
          await more(buffer.length + window);
          continue;
        }
        throw error;
      }
      if (block !== undefined) {
        const actual = blockCrc(block.bytes);
        if (actual !== block.crc) throw new Bzip2Error(`the data is damaged (block CRC ${actual.toString(16)} ≠ ${block.crc.toString(16)})`);
        combined = (((combined << 1) | (combined >>> 31)) ^ block.crc) >>> 0;
        at = reader.state;
        if (block.bytes.length > 0) yield block.bytes;
        continue;
      }
      if (endCrc !== combined) throw new Bzip2Error(`the data is damaged (stream CRC ${combined.toString(16)} ≠ ${endCrc!.toString(16)})`);
      reader.align();
      offset = reader.state.byte;
      break;
    }
  }
}
