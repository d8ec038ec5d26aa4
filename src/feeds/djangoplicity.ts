// Djangoplicity sites (ESO, NOIRLab, ESA/Hubble, ESA/Webb), as toasty's toasty/pipeline/djangoplicity.py reads
// them: candidate ids from {base_url}archive/search/{search_page_name}/{n}/?type=Observation, page by page until
// a 404, from the page's embedded `var images = [...]` list; each image's metadata from {base_url}{id}/api/json/;
// the image from the resource whose ResourceType is Original; placement from its Spatial.* fields. Some
// installations send text as the repr of a Python bytes object (b'...'): decoded here, as toasty does.
import type { AvmSpatial } from '../wwt/avm.js';
import { sanitizeItemId } from '../graph/item-id.js';
import { asJson, checkSpatial, FeedFieldError, type FeedMetadata, isoDate, numberOf, numbersOf, requiredText, TEXT_LIMITS, textField, urlField } from './feed-item.js';
import type { FeedCandidate } from './feed-reading.js';

export interface DjangoplicitySettings {
  readonly baseUrl: string;
  readonly channelName: string;
  readonly searchPageName: string;
}

export function searchPageUrl(settings: DjangoplicitySettings, page: number): string {
  return `${settings.baseUrl}archive/search/${settings.searchPageName}/${page}/?type=Observation`;
}

export function metadataUrl(settings: Pick<DjangoplicitySettings, 'baseUrl'>, id: string): string {
  return `${settings.baseUrl}${encodeURIComponent(id)}/api/json/`;
}

/** The entries of a search page's `var images = [ … ];` list, or undefined when the page has none. */
export function searchPageEntries(html: string): Array<Record<string, unknown>> | undefined {
  const start = html.indexOf('var images = [');
  if (start < 0) return undefined;
  const end = html.indexOf('];', start);
  if (end < 0) return undefined;
  const block = html.slice(start + 'var images = ['.length, end);
  // A JavaScript literal, not JSON: each entry is `{ id: 'eso1234a', title: '…', … }`. Only the fields we key
  // on are taken, with a pattern per field (never evaluated).
  const entries: Array<Record<string, unknown>> = [];
  for (const object of block.split(/\}\s*,?\s*(?=\{|$)/)) {
    const fields: Record<string, unknown> = {};
    for (const match of object.matchAll(/["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?[0-9.eE+-]+))/g)) {
      const value = match[2] ?? match[3] ?? match[4] ?? '';
      fields[match[1]!] = value.replace(/\\(.)/g, '$1');
    }
    if (Object.keys(fields).length > 0) entries.push(fields);
  }
  return entries;
}

/** A candidate for each listed image: keyed on its listing (a changed title or URL in the list makes it change). */
export function djangoplicityCandidate(entry: Record<string, unknown>, settings: DjangoplicitySettings): FeedCandidate {
  const id = textField(entry, 'id', 200);
  if (id === undefined) throw new FeedFieldError('it has no id');
  if (sanitizeItemId(id) !== id) throw new FeedFieldError(`its id ${JSON.stringify(id)} is not a plain name (letters, digits, '.', '_', '-')`);
  const listing: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry)) if (typeof value === 'string' && value.length <= TEXT_LIMITS.description) listing[name] = value;
  return { id, data: asJson({ source: 'djangoplicity', baseUrl: settings.baseUrl, channel: settings.channelName, listing }) };
}

/** Python's bytes repr (b'caf\xc3\xa9') as the text it encodes; anything else unchanged. */
export function fixBytesRepr(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = /^b(['"])(.*)\1$/s.exec(value);
    if (!match) return value;
    const bytes: number[] = [];
    const body = match[2]!;
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== '\\') {
        bytes.push(...Buffer.from(c, 'utf8'));
        continue;
      }
      const next = body[++i];
      if (next === 'x') {
        bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(({ n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34 } as Record<string, number>)[next ?? ''] ?? (next ?? '').charCodeAt(0));
    }
    const text = Buffer.from(bytes).toString('utf8');
    return text.includes('\ufffd') ? value : text;
  }
  if (Array.isArray(value)) return value.map(fixBytesRepr);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fixBytesRepr(v)]));
  return value;
}

/** The metadata of one image from its api/json answer; a field that cannot be used is an error naming it. */
export function djangoplicityMetadata(answer: unknown, baseUrl: string): FeedMetadata | { readonly ignored: string } {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) throw new FeedFieldError('its api/json answer is not an object');
  const info = fixBytesRepr(answer) as Record<string, unknown>;
  const resources = Array.isArray(info['Resources']) ? (info['Resources'] as unknown[]) : [];
  const original = resources.find((r) => (r as Record<string, unknown>)?.['ResourceType'] === 'Original') as Record<string, unknown> | undefined;
  if (original === undefined) throw new FeedFieldError('it has no resource whose ResourceType is Original (the full-size image)');
  const imageUrl = urlField(original, 'URL', baseUrl);
  if (imageUrl === undefined) throw new FeedFieldError('its Original resource has no URL');
  const projection = info['Spatial.CoordsystemProjection'];
  if (typeof projection !== 'string' || projection === '') return { ignored: 'it has no full WCS (no Spatial.CoordsystemProjection; skipped)' };
  if (projection.toUpperCase() !== 'TAN') return { ignored: `its projection is ${JSON.stringify(projection)}; only TAN images can be placed as studies (skipped)` };
  const scaleField = info['Spatial.Scale'];
  if (!Array.isArray(scaleField) || scaleField.length < 1) throw new FeedFieldError('it has no Spatial.Scale');
  const scale0 = numberOf(scaleField[0], 'Spatial.Scale[0]');
  // An empty second scale means square pixels (toasty: abs of the first).
  const scale1 = scaleField[1] === undefined || scaleField[1] === null || scaleField[1] === '' ? Math.abs(scale0) : numberOf(scaleField[1], 'Spatial.Scale[1]');
  const spatial: AvmSpatial = checkSpatial(
    {
      projection: 'TAN',
      referenceValue: numbersOf(info['Spatial.ReferenceValue'], 'Spatial.ReferenceValue', 2) as [number, number],
      referencePixel: numbersOf(info['Spatial.ReferencePixel'], 'Spatial.ReferencePixel', 2) as [number, number],
      referenceDimension: numbersOf(info['Spatial.ReferenceDimension'], 'Spatial.ReferenceDimension', 2) as [number, number],
      scale: [scale0, scale1],
      rotation: info['Spatial.Rotation'] === undefined || info['Spatial.Rotation'] === null || info['Spatial.Rotation'] === '' ? 0 : numberOf(info['Spatial.Rotation'], 'Spatial.Rotation'),
      ...(typeof info['Spatial.CoordinateFrame'] === 'string' && info['Spatial.CoordinateFrame'] !== '' ? { coordinateFrame: info['Spatial.CoordinateFrame'] as string } : {}),
    },
    'Spatial.',
  );
  const credits = textField(info, 'Credit', TEXT_LIMITS.credits);
  const creditsUrl = urlField(info, 'ReferenceURL', baseUrl);
  const description = textField(info, 'Description', TEXT_LIMITS.description);
  const published = isoDate(textField(info, 'Date', 100));
  return {
    imageUrl,
    title: requiredText(info, 'Title', TEXT_LIMITS.title),
    ...(credits !== undefined ? { credits } : {}),
    ...(creditsUrl !== undefined ? { creditsUrl } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(published !== undefined ? { published } : {}),
    spatial,
  };
}

export { asJson };
