// FITS header cards (80-character records in 2880-byte blocks, ending at END), e.g. an astrometry.net
// `.wcs` sidecar. Values are typed: strings, numbers (including Fortran D exponents), booleans.
import { type Wcs, WcsError, cdFromRotation } from './wcs.js';

export type FitsValue = string | number | boolean;
export type FitsHeader = ReadonlyMap<string, FitsValue>;

export class FitsHeaderError extends Error {
  override readonly name = 'FitsHeaderError';
}

const CARD = 80;
const BLOCK = 2880;

/** Parse the primary header. Throws FitsHeaderError when the bytes are not a FITS header. */
export function parseFitsHeader(bytes: Uint8Array): FitsHeader {
  const header = new Map<string, FitsValue>();
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!text.startsWith('SIMPLE  =') && !text.startsWith('XTENSION=')) {
    throw new FitsHeaderError('not a FITS file (it does not start with a SIMPLE card)');
  }
  for (let at = 0; at + CARD <= text.length; at += CARD) {
    const card = text.slice(at, at + CARD);
    const keyword = card.slice(0, 8).trim();
    if (keyword === 'END') return header;
    if (card.slice(8, 10) !== '= ' || keyword === '') continue; // COMMENT, HISTORY, blank cards
    header.set(keyword, parseValue(card.slice(10), keyword));
    if (at > 1000 * BLOCK) break; // no real header is this long: refuse to wander through a data unit
  }
  throw new FitsHeaderError('the FITS header has no END card');
}

function parseValue(field: string, keyword: string): FitsValue {
  const trimmed = field.trimStart();
  if (trimmed.startsWith("'")) {
    // A string: single quotes, '' for a literal quote, trailing spaces not significant.
    let value = '';
    for (let i = 1; i < trimmed.length; i++) {
      const ch = trimmed[i];
      if (ch === "'") {
        if (trimmed[i + 1] === "'") {
          value += "'";
          i++;
          continue;
        }
        return value.trimEnd();
      }
      value += ch;
    }
    throw new FitsHeaderError(`card ${keyword}: unterminated string`);
  }
  const raw = trimmed.split('/')[0]?.trim() ?? '';
  if (raw === 'T') return true;
  if (raw === 'F') return false;
  const number = Number(raw.replace(/[dD]/, 'e'));
  if (raw === '' || !Number.isFinite(number)) return raw;
  return number;
}

/**
 * A numeric card, or undefined when absent. A card that is present but not a finite number (`'abc'`, `NaN`,
 * `Infinity`) is an error naming it: read as 0 or as its default, it would place the image wrong in silence.
 */
export function num(header: FitsHeader, key: string): number | undefined {
  const value = header.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WcsError(`card ${key} is ${JSON.stringify(value)}, not a finite number; fix or re-solve the WCS`);
  }
  return value;
}

function requireNumber(header: FitsHeader, key: string): number {
  const value = num(header, key);
  if (value === undefined) throw new WcsError(`the WCS header has no numeric ${key}`);
  return value;
}

/**
 * The celestial WCS a FITS header describes, in the header's own pixel convention. The linear part may be
 * given as CDi_j, as PCi_j with CDELTi, or as CDELTi with CROTA2.
 */
export function wcsFromFitsHeader(header: FitsHeader): Wcs {
  const ctype1 = header.get('CTYPE1');
  const ctype2 = header.get('CTYPE2');
  if (typeof ctype1 !== 'string' || typeof ctype2 !== 'string') {
    throw new WcsError('the header has no CTYPE1/CTYPE2, so it holds no celestial WCS');
  }
  const crval: [number, number] = [requireNumber(header, 'CRVAL1'), requireNumber(header, 'CRVAL2')];
  if (crval[1] < -90 || crval[1] > 90) throw new WcsError(`card CRVAL2 (the reference declination) is ${crval[1]}, outside −90…90 degrees`);
  const crpix: [number, number] = [requireNumber(header, 'CRPIX1'), requireNumber(header, 'CRPIX2')];
  let cd: Wcs['cd'];
  if (['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'].some((k) => header.has(k))) {
    cd = [num(header, 'CD1_1') ?? 0, num(header, 'CD1_2') ?? 0, num(header, 'CD2_1') ?? 0, num(header, 'CD2_2') ?? 0];
  } else {
    const cdelt1 = requireNumber(header, 'CDELT1');
    const cdelt2 = requireNumber(header, 'CDELT2');
    if (['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'].some((k) => header.has(k))) {
      const pc = [num(header, 'PC1_1') ?? 1, num(header, 'PC1_2') ?? 0, num(header, 'PC2_1') ?? 0, num(header, 'PC2_2') ?? 1];
      cd = [cdelt1 * pc[0]!, cdelt1 * pc[1]!, cdelt2 * pc[2]!, cdelt2 * pc[3]!];
    } else {
      cd = cdFromRotation(cdelt1, cdelt2, num(header, 'CROTA2') ?? 0);
    }
  }
  return { ctype: [ctype1.trim(), ctype2.trim()], crval, crpix, cd };
}
