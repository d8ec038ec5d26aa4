// A celestial WCS for the gnomonic (TAN) projection, in FITS terms: 1-based pixel coordinates, a CD matrix in
// degrees per pixel, CRVAL in degrees. Only what study tiling needs: pixel → world, parity, scales.
//
// Convention used throughout imgbuild: a `Wcs` describes the image *as stored top-down* (pixel (1, 1) is the
// top-left pixel of the file, rows count downwards) unless a function says otherwise.

export interface Wcs {
  readonly ctype: readonly [string, string];
  readonly crval: readonly [number, number];
  readonly crpix: readonly [number, number];
  /** CD1_1, CD1_2, CD2_1, CD2_2 in degrees per pixel. */
  readonly cd: readonly [number, number, number, number];
}

const DEG = Math.PI / 180;

/** Projections that a WWT study (a flat tangent-plane pyramid) can represent. */
const TILEABLE_PROJECTIONS = new Set(['TAN', 'TPV', 'TAN-SIP']);

export class WcsError extends Error {
  override readonly name = 'WcsError';
}

export function determinant(wcs: Wcs): number {
  const [a, b, c, d] = wcs.cd;
  return a * d - b * c;
}

/** The projection code of an equatorial WCS (`TAN` for `RA---TAN`), or an error saying why it is not one. */
export function projectionOf(wcs: Wcs): string {
  const [c1, c2] = wcs.ctype;
  const lon = c1.slice(0, 4).replace(/-+$/, '');
  const lat = c2.slice(0, 4).replace(/-+$/, '');
  if (lon !== 'RA' || lat !== 'DEC') {
    throw new WcsError(`axes are ${c1}/${c2}; only equatorial (RA/DEC) coordinates can be placed`);
  }
  const p1 = c1.slice(5);
  const p2 = c2.slice(5);
  if (p1 !== p2) throw new WcsError(`the two axes disagree on the projection (${c1} vs ${c2})`);
  return p1;
}

/** Throws a WcsError unless the WCS can be tiled as a WWT study: TAN-like projection, square pixels. */
export function assertTileable(wcs: Wcs): void {
  // A backstop for every source: the parsers name the field; this catches a WCS made any other way.
  if (![...wcs.crval, ...wcs.crpix, ...wcs.cd].every(Number.isFinite)) throw new WcsError('the WCS holds a value that is not a finite number');
  if (wcs.crval[1] < -90 || wcs.crval[1] > 90) throw new WcsError(`the reference declination is ${wcs.crval[1]}, outside −90…90 degrees`);
  const projection = projectionOf(wcs);
  if (!TILEABLE_PROJECTIONS.has(projection)) {
    throw new WcsError(
      `projection ${projection} cannot be tiled as a WWT study (only TAN/TPV); reproject the image to TAN first`,
    );
  }
  const { scaleX, scaleY } = pixelScales(wcs);
  if (!(scaleX > 0 && scaleY > 0 && Number.isFinite(scaleX) && Number.isFinite(scaleY))) {
    throw new WcsError('the CD matrix is singular or not finite');
  }
  const ratio = Math.max(scaleX, scaleY) / Math.min(scaleX, scaleY);
  if (ratio > 1.05) {
    throw new WcsError(
      `pixels are not square (x/y scale ratio ${ratio.toFixed(3)}); WWT studies need square pixels (within 5%)`,
    );
  }
}

/** Pixel sizes along the image's x and y axes, in degrees (always positive). */
export function pixelScales(wcs: Wcs): { scaleX: number; scaleY: number } {
  const [a, b, c, d] = wcs.cd;
  return { scaleX: Math.hypot(a, c), scaleY: Math.hypot(b, d) };
}

/**
 * The same sky mapping after the image's rows are reversed (row r becomes row height + 1 − r). Used to turn a
 * FITS-like bottom-up description (AVM, FITS files) into a top-down one, and to fix negative parity.
 */
export function flipRows(wcs: Wcs, height: number): Wcs {
  const [a, b, c, d] = wcs.cd;
  return {
    ctype: wcs.ctype,
    crval: wcs.crval,
    crpix: [wcs.crpix[0], height + 1 - wcs.crpix[1]],
    cd: [a, -b, c, -d],
  };
}

/** The same sky mapping for a copy of the image resampled by `factor` (new size = old size × factor). */
export function rescale(wcs: Wcs, factor: number): Wcs {
  const [a, b, c, d] = wcs.cd;
  return {
    ctype: wcs.ctype,
    crval: wcs.crval,
    crpix: [wcs.crpix[0] * factor, wcs.crpix[1] * factor],
    cd: [a / factor, b / factor, c / factor, d / factor],
  };
}

/** World coordinates (RA, Dec in degrees, RA in [0, 360)) of a 1-based pixel position, gnomonic projection. */
export function pixelToWorld(wcs: Wcs, p1: number, p2: number): [number, number] {
  const [a, b, c, d] = wcs.cd;
  const dx = p1 - wcs.crpix[0];
  const dy = p2 - wcs.crpix[1];
  // Intermediate world coordinates (standard coordinates ξ, η) in radians.
  const xi = (a * dx + b * dy) * DEG;
  const eta = (c * dx + d * dy) * DEG;
  const ra0 = wcs.crval[0] * DEG;
  const dec0 = wcs.crval[1] * DEG;
  const denominator = Math.cos(dec0) - eta * Math.sin(dec0);
  const ra = ra0 + Math.atan2(xi, denominator);
  const dec = Math.atan2(Math.sin(dec0) + eta * Math.cos(dec0), Math.hypot(xi, denominator));
  const raDeg = (((ra / DEG) % 360) + 360) % 360;
  return [raDeg, dec / DEG];
}

/** CD matrix from the classic CDELT + CROTA2 description (AIPS convention, also what AVM's Rotation means). */
export function cdFromRotation(cdelt1: number, cdelt2: number, rotationDeg: number): Wcs['cd'] {
  const cos = Math.cos(rotationDeg * DEG);
  const sin = Math.sin(rotationDeg * DEG);
  return [cdelt1 * cos, -cdelt2 * sin, cdelt1 * sin, cdelt2 * cos];
}
