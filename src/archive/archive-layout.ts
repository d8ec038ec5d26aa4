// Where an archived file comes from and goes to, as Photon Ranch's S3 prefixes say: the incoming subfolder
// chooses the image class (`data/`, or the top of the incoming folder; `info-images/<channel>/` for channels
// 1–3; `allsky/`), and the repository keeps the same prefixes (`data/<file>`, `info-images/<site>/<channel>/<file>`,
// `allsky/<file>`). A node per exposure is named by its base filename, prefixed for the classes that are not
// regular exposures so that an info image and an exposure of the same name never collide.
import type { ImageClass } from './expiry-policy.js';

export interface Placement {
  readonly imageClass: ImageClass;
  /** Info images only: '1', '2' or '3'. */
  readonly channel?: string;
}

export type PlacementResult = { readonly ok: true; readonly placement: Placement } | { readonly ok: false; readonly problem: string };

/** The class of a file from its path relative to the incoming folder (forward slashes). */
export function placementOf(relative: string): PlacementResult {
  const parts = relative.split('/');
  if (parts.length === 1) return { ok: true, placement: { imageClass: 'data' } };
  if (parts.length === 2 && parts[0] === 'data') return { ok: true, placement: { imageClass: 'data' } };
  if (parts.length === 2 && parts[0] === 'allsky') return { ok: true, placement: { imageClass: 'allsky' } };
  if (parts.length === 3 && parts[0] === 'info-images') {
    if (/^[123]$/.test(parts[1]!)) return { ok: true, placement: { imageClass: 'info-images', channel: parts[1]! } };
    return { ok: false, problem: `is in info-images/${parts[1]}/, but the info-image channels are 1, 2 and 3: move it to info-images/1/, 2/ or 3/` };
  }
  return { ok: false, problem: 'is in a folder archive ingest does not read: put exposures in data/ (or the incoming folder itself), info images in info-images/<1|2|3>/, all-sky images in allsky/' };
}

/** The repository path of an archived file. */
export function repositoryPath(placement: Placement, site: string, fileName: string): string {
  switch (placement.imageClass) {
    case 'data':
      return `data/${fileName}`;
    case 'allsky':
      return `allsky/${fileName}`;
    case 'info-images':
      return `info-images/${site}/${placement.channel}/${fileName}`;
  }
}

/** The repository folder holding a channel's one info image. */
export function channelFolder(site: string, channel: string): string {
  return `info-images/${site}/${channel}/`;
}

/** The node item of an exposure. */
export function exposureId(placement: Placement, baseFilename: string): string {
  switch (placement.imageClass) {
    case 'data':
      return baseFilename;
    case 'allsky':
      return `allsky-${baseFilename}`;
    case 'info-images':
      return `info-${placement.channel}-${baseFilename}`;
  }
}

/** The record of which exposure a channel shows: `imgbuild/channels/<site>-<channel>.json`. */
export function channelRecordPath(site: string, channel: string): string {
  return `imgbuild/channels/${site}-${channel}.json`;
}
