// AstroPix (https://astropix.ipac.caltech.edu): the feed is one JSON array of images, each with its
// placement as AVM-like `wcs_*` fields. Facts as toasty's toasty/pipeline/astropix.py uses them: the id is
// publisher_id + "_" + image_id lower-cased, with "/" made "_"; the image is resource_url; numbers may arrive as
// strings and dimensions with decimal points; AstroPix pixels count from the bottom row (AVM's convention), so
// the same AVM maths places them (src/wwt/avm.ts), rescaled to the downloaded image's real size.
import type { AvmSpatial } from '../wwt/avm.js';
import { sanitizeItemId, ItemIdError } from '../graph/item-id.js';
import { asJson, checkSpatial, FeedFieldError, type FeedMetadata, numberOf, numbersOf, requiredText, TEXT_LIMITS, textField, urlField } from './feed-item.js';
import { FeedError } from './feed-error.js';
import type { FeedCandidate, FeedReading } from './feed-reading.js';

/** The items of an AstroPix JSON answer. A body that is not a JSON array is the feed's own error. */
export function readAstroPixFeed(body: string, where: string): FeedReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const start = body.trimStart().slice(0, 40).replace(/\s+/g, ' ');
    throw new FeedError(`the AstroPix feed ${where} did not answer JSON (it begins ${JSON.stringify(start)}): check json_query_url`);
  }
  if (!Array.isArray(parsed)) throw new FeedError(`the AstroPix feed ${where} answered JSON that is not a list of images: check json_query_url`);
  const reading: FeedReading = { candidates: [], refused: [], ignored: [], problems: [] };
  parsed.forEach((entry: unknown, index) => {
    const raw = (entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? entry : {}) as Record<string, unknown>;
    const shownId = astroPixRawId(raw) ?? `#${index + 1}`;
    try {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new FeedFieldError('is not an object');
      const candidate = astroPixCandidate(raw);
      if ('ignored' in candidate) reading.ignored.push(`${shownId}: ${candidate.ignored}`);
      else reading.candidates.push(candidate);
    } catch (error) {
      if (!(error instanceof FeedFieldError) && !(error instanceof ItemIdError)) throw error;
      reading.refused.push({ id: shownId, problem: `${error.message}; it is left out` });
    }
  });
  return reading;
}

/** publisher_id + "_" + lower-cased image_id, "/" made "_" (toasty's get_unique_id). */
function astroPixRawId(raw: Record<string, unknown>): string | undefined {
  const publisher = raw['publisher_id'];
  const image = raw['image_id'];
  if (typeof publisher !== 'string' || typeof image !== 'string' || publisher === '' || image === '') return undefined;
  return `${publisher}_${image.toLowerCase()}`.replace(/\//g, '_').slice(0, 200);
}

function astroPixCandidate(raw: Record<string, unknown>): FeedCandidate | { ignored: string } {
  const rawId = astroPixRawId(raw);
  if (rawId === undefined) throw new FeedFieldError('it has no publisher_id and image_id');
  const id = sanitizeItemId(rawId);
  const projection = textField(raw, 'wcs_projection', 20);
  if (projection === undefined) throw new FeedFieldError('it has no wcs_projection');
  if (projection.toUpperCase() !== 'TAN') return { ignored: `its projection is ${JSON.stringify(projection)}; only TAN images can be placed as studies (skipped)` };
  const publisher = String(raw['publisher_id']);
  const imageId = String(raw['image_id']);
  // Without resource_url, toasty takes the image from AstroPix's own archive.
  const imageUrl =
    urlField(raw, 'resource_url') ??
    `http://astropix.ipac.caltech.edu/archive/${encodeURIComponent(publisher)}/${encodeURIComponent(imageId.toLowerCase())}/${encodeURIComponent(`${publisher}_${imageId.toLowerCase()}`)}_original.jpg`;
  const spatial: AvmSpatial = checkSpatial(
    {
      projection: 'TAN',
      referenceValue: numbersOf(raw['wcs_reference_value'], 'wcs_reference_value', 2) as [number, number],
      referencePixel: numbersOf(raw['wcs_reference_pixel'], 'wcs_reference_pixel', 2) as [number, number],
      referenceDimension: numbersOf(raw['wcs_reference_dimension'], 'wcs_reference_dimension', 2) as [number, number],
      scale: numbersOf(raw['wcs_scale'], 'wcs_scale', 2) as [number, number],
      rotation: raw['wcs_rotation'] === undefined || raw['wcs_rotation'] === null ? 0 : numberOf(raw['wcs_rotation'], 'wcs_rotation'),
      ...frame(raw),
    },
    'wcs_',
  );
  const creditsUrl = urlField(raw, 'reference_url') ?? `http://astropix.ipac.caltech.edu/image/${encodeURIComponent(publisher)}/${encodeURIComponent(imageId)}`;
  const credits = textField(raw, 'image_credit', TEXT_LIMITS.credits) ?? textField(raw, 'credit', TEXT_LIMITS.credits);
  const description = textField(raw, 'description', TEXT_LIMITS.description);
  const metadata: FeedMetadata = {
    imageUrl,
    title: requiredText(raw, 'title', TEXT_LIMITS.title),
    ...(credits !== undefined ? { credits } : {}),
    ...(creditsUrl !== undefined ? { creditsUrl } : {}),
    ...(description !== undefined ? { description } : {}),
    spatial,
  };
  return { id, data: asJson({ source: 'astropix', ...metadata }) };
}

function frame(raw: Record<string, unknown>): Pick<AvmSpatial, 'coordinateFrame' | 'equinox'> {
  const coordinateFrame = textField(raw, 'wcs_coordinate_frame', 20);
  const equinox = textField(raw, 'wcs_equinox', 20);
  return { ...(coordinateFrame !== undefined ? { coordinateFrame } : {}), ...(equinox !== undefined ? { equinox } : {}) };
}
