// The built-in rules of the WWT study pipeline: raw image → placement (→ for a FITS file, its scaled 8-bit
// picture) → tiles + thumbnail + WTML → publish → root index. A config can use them all (`wwtStudyRules()`),
// pick some, or add its own beside them.
import type { Rule } from '../src/graph/rule.js';
import fitsPicture from './fits-picture.js';
import place from './place.js';
import preview from './preview.js';
import colourPreview from './colour-preview.js';
import publish from './publish.js';
import rootIndex from './root-index.js';
import reviewIndex from './review-index.js';
import thumbnail from './thumbnail.js';
import tiles from './tiles.js';
import wtml from './wtml.js';
import exposure from './archive/exposure.js';
import archivePublish from './archive/archive-publish.js';
import catalog from './archive/catalog.js';
import feed from './feeds/feed.js';
import fetchImage from './feeds/fetch.js';
import feedPlace from './feeds/feed-place.js';
import feedIndex from './feeds/feed-index.js';

export { place, fitsPicture, tiles, thumbnail, wtml, reviewIndex, publish, rootIndex, preview, colourPreview, exposure, archivePublish, catalog };
export { ARCHIVE_PATTERNS } from './archive/exposure.js';
export { FITS_FILES } from './fits-files.js';
export { IMAGE_FILES } from './place.js';
export { datasetRules, type DatasetRulesOptions } from './datasets/dataset-rules.js';
export { fitsPreviewOf, type PreviewOf } from './datasets/fits-preview-of.js';
export { datasetFolder, PROCESSED_MARKERS } from './datasets/dataset-publish.js';

export { feed, fetchImage, feedPlace, feedIndex };

export function wwtStudyRules(): Rule[] {
  return [place, fitsPicture, tiles, thumbnail, wtml, reviewIndex, publish, rootIndex];
}

/**
 * toasty's pipeline over a feed (AstroPix or Djangoplicity, as the repository's source_type says): the feed →
 * each new or changed item's image fetched → placed from the feed → tiles + thumbnail + WTML → publish → root
 * index, and the feed index that makes the next refresh cheap.
 */
export function wwtFeedRules(): Rule[] {
  return [feed, fetchImage, feedPlace, fitsPicture, tiles, thumbnail, wtml, reviewIndex, publish, rootIndex, feedIndex];
}

/**
 * Observatory archive ingest (Photon Ranch's conventions): an exposure's files → derived thumbnail and catalog
 * row → the repository under data/, info-images/<site>/<channel>/, allsky/ → the metadata catalog.
 */
export function archiveRules(): Rule[] {
  return [exposure, archivePublish, catalog];
}
