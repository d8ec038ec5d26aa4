// Reading FITS files with our own code: every HDU (primary, IMAGE, skipped tables), BITPIX 8/16/32/64/−32/−64,
// BSCALE/BZERO, BLANK and NaN as missing, .gz through node:zlib, and tile-compressed images (.fz: RICE_1,
// GZIP_1). Rows come out in file order (FITS row 1 first — the BOTTOM row of the picture, GUIDE §2), one row at
// a time, so a large image never sits in memory whole.
import path from 'node:path';
import { ByteSource, compressionOf } from './byte-source.js';
import { BLOCK, type CardValue, parseCards } from './fits-cards.js';
import { FitsError } from './fits-error.js';
import { decodeRawRow, rawBytesPerPixel, type Scaling, scalingOf } from './pixel-format.js';
import { isTiledImage, TiledImageDecoder } from './tiled-image.js';

export type FitsHeader = ReadonlyMap<string, CardValue>;

export interface FitsHdu {
  /** 0 for the primary HDU. */
  readonly index: number;
  readonly header: FitsHeader;
  readonly kind: 'image' | 'table' | 'compressed-image';
  /** Pixel type of the image (ZBITPIX for a compressed image). */
  readonly bitpix: number;
  /** Axis lengths of the image (ZNAXISn for a compressed image); empty when there is no data. */
  readonly axes: readonly number[];
}

/** An image HDU opened for reading its rows in order. */
export interface FitsImage {
  readonly file: string;
  readonly hdu: FitsHdu;
  readonly width: number;
  readonly height: number;
  /**
   * Physical values of each row (NaN = missing), row 1 (bottom) first. The array is reused between rows. With
   * `every` = s, only every s-th row (0, s, 2s, …) is converted (the others are read past): a strided sample.
   */
  rows(every?: number): AsyncGenerator<Float64Array>;
  close(): void;
}

function intCard(header: FitsHeader, key: string): number | undefined {
  const value = header.get(key);
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

interface HduLayout {
  readonly hdu: FitsHdu;
  /** Bytes of the data unit, before padding to 2880. */
  readonly dataBytes: number;
}

function layoutOf(name: string, index: number, header: FitsHeader): HduLayout {
  const need = (key: string): number => {
    const value = intCard(header, key);
    if (value === undefined) throw new FitsError(name, index, `the header has no integer ${key}; the file is not valid FITS`);
    return value;
  };
  const bitpix = need('BITPIX');
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) throw new FitsError(name, index, `BITPIX = ${bitpix} is not a FITS pixel type`);
  const naxis = need('NAXIS');
  if (naxis < 0 || naxis > 999) throw new FitsError(name, index, `NAXIS = ${naxis} is out of range`);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const length = need(`NAXIS${i}`);
    if (length < 0) throw new FitsError(name, index, `NAXIS${i} = ${length} is negative`);
    axes.push(length);
  }
  const xtension = header.get('XTENSION');
  const isTable = typeof xtension === 'string' && xtension.trim() !== 'IMAGE';
  const pcount = isTable ? (intCard(header, 'PCOUNT') ?? 0) : 0;
  const gcount = intCard(header, 'GCOUNT') ?? 1;
  const elements = naxis === 0 ? 0 : axes.reduce((a, b) => a * b, 1);
  const dataBytes = (Math.abs(bitpix) / 8) * gcount * (pcount + elements);
  if (isTable && isTiledImage(header)) {
    const zbitpix = intCard(header, 'ZBITPIX') ?? 0;
    const zaxes: number[] = [];
    for (let i = 1; i <= (intCard(header, 'ZNAXIS') ?? 0); i++) zaxes.push(intCard(header, `ZNAXIS${i}`) ?? 0);
    return { hdu: { index, header, kind: 'compressed-image', bitpix: zbitpix, axes: zaxes }, dataBytes };
  }
  return { hdu: { index, header, kind: isTable ? 'table' : 'image', bitpix, axes }, dataBytes };
}

/** Keywords the layout of the file depends on: a broken value there is an error, elsewhere it is ignored. */
const MANDATORY = ['SIMPLE', 'XTENSION', 'BITPIX', 'NAXIS', 'BSCALE', 'BZERO', 'BLANK'];

async function readHeader(source: ByteSource, name: string, index: number): Promise<FitsHeader | undefined> {
  let bytes = Buffer.alloc(0);
  for (;;) {
    const block = await source.read(BLOCK);
    if (block.length === 0 && bytes.length === 0) return undefined; // clean end of file
    if (block.length < BLOCK) {
      throw new FitsError(name, index, `the file ends inside a header (after ${source.position} bytes); it is truncated, download it again`);
    }
    bytes = Buffer.concat([bytes, block]);
    const result = parseCards(bytes);
    if (result.ok === true) {
      const { values, unreadable } = result.cards;
      for (const key of MANDATORY) {
        const problem = unreadable.get(key);
        if (problem) throw new FitsError(name, index, `${problem}; fix or replace the file`);
      }
      for (const [key, problem] of unreadable) {
        if (/^(NAXIS\d+|ZNAXIS\d*|ZBITPIX|ZTILE\d+|PCOUNT|GCOUNT|THEAP|TFIELDS)$/.test(key)) throw new FitsError(name, index, `${problem}; fix or replace the file`);
      }
      return values;
    }
    if (result.ok === false) throw new FitsError(name, index, `${result.problem}; fix or replace the file`);
    if (bytes.length > 1000 * BLOCK) throw new FitsError(name, index, 'no END card in the first 1000 header blocks; the file is not FITS');
  }
}

function isImage(layout: HduLayout): boolean {
  const { hdu } = layout;
  return (hdu.kind === 'image' || hdu.kind === 'compressed-image') && hdu.axes.length >= 2 && hdu.axes[0]! > 0 && hdu.axes[1]! > 0;
}

function checkExtraAxes(name: string, hdu: FitsHdu): void {
  if (hdu.axes.slice(2).some((n) => n !== 1)) {
    throw new FitsError(name, hdu.index, `the image is a cube (${hdu.axes.join('×')}); imgbuild reads 2-D images only — extract one plane`);
  }
}

/** Every HDU of the file, in order; table data is skipped by its declared size. */
export async function listHdus(file: string): Promise<FitsHdu[]> {
  const name = path.basename(file);
  const source = openSource(file);
  try {
    const hdus: FitsHdu[] = [];
    for (let index = 0; ; index++) {
      const header = await readHeader(source, name, index);
      if (!header) return hdus;
      const layout = layoutOf(name, index, header);
      hdus.push(layout.hdu);
      await skipData(source, name, layout);
    }
  } finally {
    source.close();
  }
}

function openSource(file: string): ByteSource {
  return ByteSource.open(file, compressionOf(file));
}

async function skipData(source: ByteSource, name: string, layout: HduLayout): Promise<void> {
  const padded = Math.ceil(layout.dataBytes / BLOCK) * BLOCK;
  const got = await source.skip(padded);
  // The last block's padding is sometimes missing in the wild; only missing data is an error.
  if (got < layout.dataBytes) throw truncated(name, layout.hdu.index, layout.dataBytes, got);
}

function truncated(name: string, index: number, expected: number, got: number): FitsError {
  return new FitsError(name, index, `the data unit is truncated (${got} of ${expected} bytes; NAXIS/BITPIX promise more): download the file again`);
}

/**
 * Open the first HDU that holds a 2-D image (the primary, an IMAGE extension, or a tile-compressed image), or
 * HDU number `hdu` (0 = primary) when given: then that HDU must hold one.
 */
export async function openFitsImage(file: string, hdu?: number): Promise<FitsImage> {
  const name = path.basename(file);
  const source = openSource(file);
  try {
    for (let index = 0; ; index++) {
      const header = await readHeader(source, name, index);
      if (!header) {
        if (hdu !== undefined) throw new FitsError(name, hdu, `the file has only ${index} HDUs (0 to ${index - 1}); name another hdu`);
        throw new FitsError(name, undefined, 'no HDU holds a 2-D image; nothing to preview');
      }
      const layout = layoutOf(name, index, header);
      if (hdu !== undefined && index === hdu && !isImage(layout)) {
        throw new FitsError(name, index, `this HDU holds no 2-D image (${layout.hdu.kind}, NAXIS = ${layout.hdu.axes.length}); name another hdu`);
      }
      if (!isImage(layout) || (hdu !== undefined && index !== hdu)) {
        await skipData(source, name, layout);
        continue;
      }
      checkExtraAxes(name, layout.hdu);
      return imageReader(file, source, layout);
    }
  } catch (error) {
    source.close();
    throw error;
  }
}

function imageReader(file: string, source: ByteSource, layout: HduLayout): FitsImage {
  const name = path.basename(file);
  const { hdu } = layout;
  const [width, height] = [hdu.axes[0]!, hdu.axes[1]!];
  async function* plainRows(every: number): AsyncGenerator<Float64Array> {
    const scaling: Scaling = scalingOf(hdu.header, hdu.bitpix);
    const rowBytes = width * rawBytesPerPixel(hdu.bitpix);
    const row = new Float64Array(width);
    for (let r = 0; r < height; r++) {
      if (r % every !== 0) {
        // Read past (a stream cannot seek), without converting.
        const got = await source.skip(rowBytes);
        if (got < rowBytes) throw truncated(name, hdu.index, width * height * rawBytesPerPixel(hdu.bitpix), r * rowBytes + got);
        continue;
      }
      const bytes = await source.read(rowBytes);
      if (bytes.length < rowBytes) throw truncated(name, hdu.index, width * height * rawBytesPerPixel(hdu.bitpix), r * rowBytes + bytes.length);
      decodeRawRow(bytes, hdu.bitpix, scaling, row);
      yield row;
    }
  }
  async function* tiledRows(every: number): AsyncGenerator<Float64Array> {
    // The tiles live in the table's heap, addressed by offsets: the data unit is read whole (compressed size).
    const data = await source.read(layout.dataBytes);
    if (data.length < layout.dataBytes) throw truncated(name, hdu.index, layout.dataBytes, data.length);
    let r = 0;
    for (const row of new TiledImageDecoder(name, hdu.index, hdu.header, data).rows()) if (r++ % every === 0) yield row;
  }
  return {
    file,
    hdu,
    width,
    height,
    rows: (every = 1) => (hdu.kind === 'compressed-image' ? tiledRows(every) : plainRows(every)),
    close: () => source.close(),
  };
}

/**
 * A strided sample of the first image's physical values (missing values dropped), for percentiles: about
 * `target` values taken from every `step`-th row, read in one pass so any size of file works.
 */
export async function sampleFitsImage(file: string, target = 1 << 20): Promise<{ image: FitsHdu; width: number; height: number; values: Float64Array }> {
  const image = await openFitsImage(file);
  try {
    const step = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / target)));
    const values: number[] = [];
    let r = 0;
    for await (const row of image.rows()) {
      if (r++ % step !== 0) continue;
      for (let x = 0; x < row.length; x += step) {
        const v = row[x]!;
        if (!Number.isNaN(v)) values.push(v);
      }
    }
    return { image: image.hdu, width: image.width, height: image.height, values: Float64Array.from(values) };
  } finally {
    image.close();
  }
}
