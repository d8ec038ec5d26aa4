// Astronomy Visualization Metadata (AVM 1.2) from an image's XMP packet: the spatial fields become a WCS,
// the descriptive fields become WTML text.
import { cdFromRotation, flipRows, rescale, WcsError, type Wcs } from './wcs.js';
import { readXmp, xmpValues, type XmpPacket } from './xmp.js';

const AVM = 'http://www.communicatingastronomy.org/avm/1.0/';
const DC = 'http://purl.org/dc/elements/1.1/';
const PHOTOSHOP = 'http://ns.adobe.com/photoshop/1.0/';

/** AVM 1.2's controlled vocabulary for `Type`. */
const AVM_TYPES = ['Observation', 'Artwork', 'Photographic', 'Planetary', 'Simulation', 'Chart', 'Collage'];

export interface ImageMetadata {
  readonly title?: string;
  readonly description?: string;
  readonly credit?: string;
  readonly referenceUrl?: string;
  /** When its source published it (ISO 8601 UTC): a feed's date, which orders the root index. */
  readonly published?: string;
}

export interface AvmSpatial {
  readonly coordinateFrame?: string;
  readonly equinox?: string;
  readonly projection: string;
  readonly referenceValue: [number, number];
  readonly referenceDimension?: [number, number];
  readonly referencePixel: [number, number];
  readonly scale?: [number, number];
  readonly rotation: number;
  readonly cdMatrix?: [number, number, number, number];
}

export interface Avm {
  readonly metadata: ImageMetadata;
  /** Absent when the packet has no Spatial.* fields at all (a picture with credits but no placement). */
  readonly spatial?: AvmSpatial;
  /** Problems that do not stop placement, each naming the AVM field. */
  readonly warnings: string[];
}

export class AvmError extends Error {
  override readonly name = 'AvmError';
}

function numbers(packet: XmpPacket, field: string, count: number): number[] | undefined {
  const values = xmpValues(packet, AVM, field);
  if (values === undefined) return undefined;
  const parsed = values.map((v) => Number(v));
  if (parsed.length !== count || parsed.some((v) => !Number.isFinite(v)) || values.some((v) => v === '')) {
    throw new AvmError(`AVM field ${field} must hold ${count} number(s), found ${JSON.stringify(values)}`);
  }
  return parsed;
}

function text(packet: XmpPacket, uri: string, field: string): string | undefined {
  const value = xmpValues(packet, uri, field)?.join(', ').trim();
  return value ? value : undefined;
}

/** Parse an XMP packet's AVM fields. Returns undefined when the packet has no AVM namespace at all. */
export function parseAvm(xmp: string): Avm | undefined {
  const packet = readXmp(xmp);
  const hasAvm = packet.prefixes.has(AVM);
  const metadata: ImageMetadata = {
    ...optional('title', text(packet, DC, 'title') ?? text(packet, PHOTOSHOP, 'Headline')),
    ...optional('description', text(packet, DC, 'description')),
    ...optional('credit', text(packet, PHOTOSHOP, 'Credit')),
    ...optional('referenceUrl', hasAvm ? text(packet, AVM, 'ReferenceURL') : undefined),
  };
  if (!hasAvm) return undefined;
  const warnings: string[] = [];
  const type = text(packet, AVM, 'Type');
  if (type !== undefined && !AVM_TYPES.includes(type)) {
    warnings.push(`AVM field Type is ${JSON.stringify(type)}, not one of ${AVM_TYPES.join(', ')}`);
  }
  const referenceValue = numbers(packet, 'Spatial.ReferenceValue', 2);
  if (referenceValue === undefined) return { metadata, warnings };

  if (referenceValue[1]! < -90 || referenceValue[1]! > 90) {
    throw new AvmError(`AVM field Spatial.ReferenceValue has declination ${referenceValue[1]}, outside −90…90 degrees`);
  }
  const referencePixel = numbers(packet, 'Spatial.ReferencePixel', 2);
  if (referencePixel === undefined) {
    throw new AvmError('AVM has Spatial.ReferenceValue but no Spatial.ReferencePixel');
  }
  const scale = numbers(packet, 'Spatial.Scale', 2);
  const cdMatrix = numbers(packet, 'Spatial.CDMatrix', 4);
  if (scale === undefined && cdMatrix === undefined) {
    throw new AvmError('AVM has neither Spatial.Scale nor Spatial.CDMatrix, so the pixel scale is unknown');
  }
  const rotation = numbers(packet, 'Spatial.Rotation', 1)?.[0] ?? 0;
  const referenceDimension = numbers(packet, 'Spatial.ReferenceDimension', 2);
  if (referenceDimension !== undefined && !referenceDimension.every((v) => v > 0)) {
    throw new AvmError(`AVM field Spatial.ReferenceDimension must be two positive pixel counts, found ${JSON.stringify(referenceDimension)}`);
  }
  if (scale !== undefined && cdMatrix === undefined && scale.some((v) => v === 0)) {
    throw new AvmError(`AVM field Spatial.Scale must be two non-zero numbers of degrees per pixel, found ${JSON.stringify(scale)}`);
  }
  const spatial: AvmSpatial = {
    projection: text(packet, AVM, 'Spatial.CoordsystemProjection') ?? 'TAN',
    referenceValue: referenceValue as [number, number],
    referencePixel: referencePixel as [number, number],
    rotation,
    ...optional('coordinateFrame', text(packet, AVM, 'Spatial.CoordinateFrame')),
    ...optional('equinox', text(packet, AVM, 'Spatial.Equinox')),
    ...optional('referenceDimension', referenceDimension as [number, number] | undefined),
    ...optional('scale', scale as [number, number] | undefined),
    ...optional('cdMatrix', cdMatrix as [number, number, number, number] | undefined),
  };
  return { metadata, spatial, warnings };
}

/** Galactic and ecliptic frames are real AVM values, but a study WTML can only be placed in equatorial ones. */
const EQUATORIAL_FRAMES = new Set(['ICRS', 'FK5', 'FK4']);

/** Aspect ratios within this fraction are taken to be the same image at another size. */
export const ASPECT_TOLERANCE = 0.005;

/**
 * The top-down WCS of a `width`×`height` rendition of the image the AVM describes.
 *
 * AVM describes its image FITS-like (row 1 at the bottom), so the result is always row-flipped. When the
 * rendition is smaller or larger than ReferenceDimension, the WCS is rescaled by the x ratio on both axes,
 * CRPIX multiplied and the scale divided, as pyavm (and so toasty) does it; see GUIDE §2.
 */
export function avmToWcs(spatial: AvmSpatial, width: number, height: number): Wcs {
  const frame = spatial.coordinateFrame?.toUpperCase();
  if (frame !== undefined && !EQUATORIAL_FRAMES.has(frame)) {
    throw new WcsError(`AVM Spatial.CoordinateFrame is ${frame}; only ICRS/FK5/FK4 (equatorial) can be placed`);
  }
  const projection = spatial.projection.toUpperCase();
  const [cdelt1, cdelt2] = spatial.scale ?? [0, 0];
  let wcs: Wcs = {
    ctype: [`RA---${projection}`, `DEC--${projection}`],
    crval: spatial.referenceValue,
    crpix: spatial.referencePixel,
    cd: spatial.cdMatrix ?? cdFromRotation(cdelt1, cdelt2, spatial.rotation),
  };
  const dimension = spatial.referenceDimension;
  if (dimension !== undefined && (dimension[0] !== width || dimension[1] !== height)) {
    const expected = dimension[0] / dimension[1];
    const actual = width / height;
    if (Math.abs(actual / expected - 1) > ASPECT_TOLERANCE) {
      throw new WcsError(
        `AVM Spatial.ReferenceDimension is ${dimension[0]}×${dimension[1]} but the image is ${width}×${height}, ` +
          'a different aspect ratio: the AVM packet does not describe this image (crop or re-solve it)',
      );
    }
    wcs = rescale(wcs, width / dimension[0]);
  }
  return flipRows(wcs, height);
}

/** `{ key: value }` when value is defined, `{}` otherwise: keeps optional fields truly absent. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
