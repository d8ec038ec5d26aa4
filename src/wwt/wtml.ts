// WTML documents (GUIDE §3): a per-image folder with one Place holding a tiled study, and the repository's
// root index. Every text value is escaped exactly once, here, and nowhere else.
import type { ImageMetadata } from './avm.js';
import type { StudyPlacement } from './study-placement.js';
import { TILE_URL_TEMPLATE } from './study-layout.js';

export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '') // not representable in XML 1.0
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attributes(values: ReadonlyArray<readonly [string, string | number]>): string {
  return values.map(([name, value]) => `${name}="${escapeXml(typeof value === 'number' ? formatNumber(value) : value)}"`).join(' ');
}

/** Shortest round-trip form, as Python's repr writes floats (so values compare with toasty's to the bit). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} into WTML`);
  return Object.is(value, -0) ? '0' : String(value);
}

export interface StudyWtmlInput {
  /** The data set's name (AVM title, else the image id). */
  readonly name: string;
  readonly tileLevels: number;
  /** Undefined: the image has no placement; toasty's defaults are written. */
  readonly placement: StudyPlacement | undefined;
  readonly metadata: ImageMetadata;
  /** Folder name shown in WWT's explorer. */
  readonly folderName: string;
}

/** Prefix for a data set's absolute URLs: publish_url_prefix + id + "/". */
export function dataSetUrlPrefix(publishUrlPrefix: string, id: string): string {
  return `${publishUrlPrefix.replace(/\/*$/, '/')}${encodeURIComponent(id)}/`;
}

/** A relative URL made absolute under `prefix`; absolute ones and protocol-relative ones are kept. */
export function absolutize(url: string, prefix: string | undefined): string {
  if (prefix === undefined || url === '' || /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//') || url.startsWith('/')) return url;
  return prefix + url;
}

/** An ImageSet's child elements: credits, credits URL, description (each escaped once), thumbnail. */
function imageSetChildren(metadata: ImageMetadata, urlPrefix: string | undefined): string[] {
  return [
    metadata.credit !== undefined ? `<Credits>${escapeXml(metadata.credit)}</Credits>` : '',
    metadata.referenceUrl !== undefined ? `<CreditsUrl>${escapeXml(metadata.referenceUrl)}</CreditsUrl>` : '',
    metadata.description !== undefined ? `<Description>${escapeXml(metadata.description)}</Description>` : '',
    `<ThumbnailUrl>${escapeXml(absolutize('thumb.jpg', urlPrefix))}</ThumbnailUrl>`,
  ].filter((c) => c !== '');
}

/** A data set's WTML document: one explorer Folder holding `entry` (a Place, or a TOAST map's bare ImageSet). */
function dataSetFolder(name: string, entry: string): string {
  const folder = attributes([
    ['Browseable', 'True'],
    ['Group', 'Explorer'],
    ['Name', name],
    ['Searchable', 'True'],
  ]);
  return `<?xml version='1.0' encoding='UTF-8'?>\n<Folder ${folder}>\n  ${entry}\n</Folder>\n`;
}

function imageSetElement(input: StudyWtmlInput, urlPrefix: string | undefined): string {
  const p = input.placement;
  const values: Array<[string, string | number]> = [
    ['BandPass', 'Visible'],
    ['BaseDegreesPerTile', p?.baseDegreesPerTile ?? 1],
    ['BaseTileLevel', 0],
    ['BottomsUp', 'False'],
    ['CenterX', p?.centerX ?? 0],
    ['CenterY', p?.centerY ?? 0],
    ['DataSetType', 'Sky'],
    ['FileType', '.png'],
    ['Name', input.name],
  ];
  // toasty leaves offsets out when they are zero.
  if (p && p.offsetX !== 0) values.push(['OffsetX', p.offsetX]);
  if (p && p.offsetY !== 0) values.push(['OffsetY', p.offsetY]);
  values.push(
    ['Projection', 'Tan'],
    ['Rotation', p?.rotation ?? 0],
    ['Sparse', 'True'],
    ['TileLevels', input.tileLevels],
    ['Url', absolutize(TILE_URL_TEMPLATE, urlPrefix)],
    ['WidthFactor', 2],
  );
  return `<ImageSet ${attributes(values)}>\n        ${imageSetChildren(input.metadata, urlPrefix).join('\n        ')}\n      </ImageSet>`;
}

function placeElement(input: StudyWtmlInput, urlPrefix: string | undefined): string {
  const p = input.placement;
  const values: Array<[string, string | number]> = [
    ['Angle', 0],
    ['DataSetType', 'Sky'],
    ['Dec', p?.placeDec ?? 0],
    ['Name', input.name],
    ['Opacity', 100],
    ['RA', p?.placeRaHours ?? 0],
    ['Rotation', 0],
    ['Thumbnail', absolutize('thumb.jpg', urlPrefix)],
    ['ZoomLevel', p?.zoomLevel ?? 1],
  ];
  return `<Place ${attributes(values)}>\n    <ForegroundImageSet>\n      ${imageSetElement(input, urlPrefix)}\n    </ForegroundImageSet>\n  </Place>`;
}

/** `index_rel.wtml` (urlPrefix undefined) or `index.wtml` (absolute URLs under urlPrefix). */
export function studyWtml(input: StudyWtmlInput, urlPrefix: string | undefined): string {
  return dataSetFolder(input.folderName, placeElement(input, urlPrefix));
}

export interface RootIndexEntry {
  /** The `<Place …>…</Place>` (or a TOAST map's bare `<ImageSet …>…</ImageSet>`) of a data set's index.wtml, verbatim. */
  readonly placeXml: string;
  /** ISO time it was published. */
  readonly lastUpdated: string;
}

/** Namespace for the one attribute of ours in a root index; declared so the document stays well-formed. */
const IMGBUILD_NS = 'https://github.com/imgbuild/imgbuild/wtml';

export interface ToastWtmlInput {
  readonly name: string;
  readonly folderName: string;
  /** Deepest level. */
  readonly tileLevels: number;
  /** 'Planet' for a planet map (seen from outside), 'Sky' otherwise. */
  readonly dataSetType: 'Sky' | 'Planet';
  readonly metadata: ImageMetadata;
}

/**
 * `index_rel.wtml`/`index.wtml` of a TOAST all-sky data set (GUIDE §4): a bare ImageSet (no Place: an all-sky
 * map has no one place to go to), Projection="Toast", BaseDegreesPerTile="180", all levels 0…TileLevels.
 */
export function toastWtml(input: ToastWtmlInput, urlPrefix: string | undefined): string {
  const values: Array<[string, string | number]> = [
    ['BandPass', 'Visible'],
    ['BaseDegreesPerTile', 180],
    ['BaseTileLevel', 0],
    ['BottomsUp', 'False'],
    ['CenterX', 0],
    ['CenterY', 0],
    ['DataSetType', input.dataSetType],
    ['FileType', '.png'],
    ['Name', input.name],
    ['Projection', 'Toast'],
    ['Rotation', 0],
    ['Sparse', 'True'],
    ['TileLevels', input.tileLevels],
    ['Url', absolutize(TILE_URL_TEMPLATE, urlPrefix)],
    ['WidthFactor', 2],
  ];
  return dataSetFolder(input.folderName, `<ImageSet ${attributes(values)}>\n    ${imageSetChildren(input.metadata, urlPrefix).join('\n    ')}\n  </ImageSet>`);
}

/** The repository's root index.wtml: the first Place of every data set, newest first. */
export function rootIndexWtml(folderName: string, folderThumbnailUrl: string, entries: readonly RootIndexEntry[]): string {
  const ordered = [...entries].sort((a, b) => (a.lastUpdated < b.lastUpdated ? 1 : a.lastUpdated > b.lastUpdated ? -1 : 0));
  const folder = attributes([
    ['Browseable', 'True'],
    ['Group', 'Explorer'],
    ['Name', folderName],
    ['Searchable', 'True'],
    ['Thumbnail', folderThumbnailUrl],
    ['Type', 'Sky'],
  ]);
  const places = ordered.map((e) => e.placeXml.replace(/^<(Place|ImageSet)\b/, (_m, element: string) => `<${element} X:LastUpdated="${escapeXml(e.lastUpdated)}"`));
  return `<?xml version='1.0' encoding='UTF-8'?>\n<Folder xmlns:X="${IMGBUILD_NS}" ${folder}>\n  ${places.join('\n  ')}\n</Folder>\n`;
}

/**
 * A data set's entry in the root index: the first `<Place>…</Place>` of its WTML document, or, for a data set with
 * no Place (a TOAST all-sky map), its first bare `<ImageSet>…</ImageSet>`; undefined when it has neither.
 */
export function firstEntry(wtml: string): string | undefined {
  const match = /<Place\b[\s\S]*?<\/Place>/.exec(wtml) ?? /<ImageSet\b[\s\S]*?<\/ImageSet>/.exec(wtml);
  return match?.[0].replace(/\s+X:LastUpdated="[^"]*"/, '');
}

/**
 * A data set's entry (firstEntry of its index_rel.wtml) seen from elsewhere: its relative URLs (tiles, thumbnail)
 * put under `base` (`<id>/` from the folder above it; `/work/<id>/` on the review page's server).
 */
export function relocatedEntry(entry: string, base: string): string {
  const prefix = escapeXml(base);
  const relocate = (url: string): string => absolutize(url, prefix);
  return entry
    .replace(/\b(Url|Thumbnail)="([^"]*)"/g, (_m, name: string, url: string) => `${name}="${relocate(url)}"`)
    .replace(/<ThumbnailUrl>([^<]*)<\/ThumbnailUrl>/g, (_m, url: string) => `<ThumbnailUrl>${relocate(url)}</ThumbnailUrl>`);
}

/** The work folder's index_rel.wtml: every built data set's entry, relocated under its folder (wwtdatatool wtml merge). */
export function workIndexWtml(folderName: string, entries: ReadonlyArray<{ readonly id: string; readonly entry: string }>): string {
  const folder = attributes([
    ['Browseable', 'True'],
    ['Group', 'Explorer'],
    ['Name', folderName],
    ['Searchable', 'True'],
    ['Type', 'Sky'],
  ]);
  const ordered = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return `<?xml version='1.0' encoding='UTF-8'?>\n<Folder ${folder}>\n  ${ordered.map((e) => relocatedEntry(e.entry, `${encodeURIComponent(e.id)}/`)).join('\n  ')}\n</Folder>\n`;
}
