// Where a fetched feed image goes on the sky: the feed's AVM-like placement (AstroPix's wcs_* fields, a
// Djangoplicity image's Spatial.*), fitted to the downloaded image's real size by the same maths as an AVM
// packet (src/wwt/avm.ts: pixels counted from the bottom row, rescaled by the width ratio).
import path from 'node:path';
import { avmToWcs } from '../wwt/avm.js';
import type { PlacementRecord } from '../wwt/image-placement.js';
import { loadSharp, readableImageError } from '../wwt/sharp-loader.js';
import { studyPlacement } from '../wwt/study-placement.js';
import { assertTileable, determinant, flipRows } from '../wwt/wcs.js';
import { FeedError } from './feed-error.js';
import type { FeedMetadata } from './feed-item.js';

export async function placeFeedImage(image: string, item: FeedMetadata, what: string): Promise<PlacementRecord> {
  const sharp = await loadSharp();
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(image, { limitInputPixels: false }).metadata());
  } catch (error) {
    throw readableImageError(image, error);
  }
  if (!width || !height) throw new FeedError(`${path.basename(image)} (${what}) has no pixel size`);
  let wcs;
  try {
    wcs = avmToWcs(item.spatial, width, height);
    assertTileable(wcs);
  } catch (error) {
    throw new FeedError(`cannot place it on the sky from the feed's placement: ${(error as Error).message}`);
  }
  const mirrored = determinant(wcs) < 0;
  if (mirrored) wcs = flipRows(wcs, height);
  return {
    width,
    height,
    source: 'feed',
    wcs,
    flipRows: mirrored,
    study: studyPlacement(wcs, width, height),
    metadata: {
      title: item.title,
      ...(item.description !== undefined ? { description: item.description } : {}),
      ...(item.credits !== undefined ? { credit: item.credits } : {}),
      ...(item.creditsUrl !== undefined ? { referenceUrl: item.creditsUrl } : {}),
      ...(item.published !== undefined ? { published: item.published } : {}),
    },
    warnings: [],
  };
}
