// Rule `fetch`: download each listed feed item's image (and keep its metadata beside it). Keyed on the item's
// feed entry alone, so one changed item is fetched again alone. The image becomes the file its item is made
// from (asFile), as an incoming file would be. `imgbuild fetch` downloads without processing, for review.
import fs from 'node:fs';
import path from 'node:path';
import { defineRule } from '../../src/graph/rule.js';
import { download, shortUrl } from '../../src/feeds/download.js';
import { FeedError } from '../../src/feeds/feed-error.js';
import { loadSharp, readableImageError } from '../../src/wwt/sharp-loader.js';
import type { FeedItemData } from './feed.js';

export const FEED_IMAGE = 'feed-image';
export const FEED_METADATA = 'feed-item.json';

/** What the fetch rule keeps of a download, to ask for the same bytes conditionally next time. */
interface Kept {
  readonly imageUrl?: string;
  readonly download?: { readonly etag?: string; readonly lastModified?: string };
}

const MB = 1024 * 1024;

export default defineRule({
  name: 'fetch',
  version: 1,
  description: "download each new or changed feed item's image",
  forEach: 'feed',
  asFile: 'image',
  outputs: (node) => ({ image: `${node.item}/${FEED_IMAGE}`, meta: `${node.item}/${FEED_METADATA}` }),
  params: { maxBytes: 2 * 1024 * MB, maxPixels: 1_000_000_000, stallSeconds: 60, attempts: 5 },
  paramTypes: {
    maxBytes: { type: 'integer', min: 1 },
    maxPixels: { type: 'integer', min: 1 },
    stallSeconds: { type: 'number', min: 0.01 },
    attempts: { type: 'integer', min: 1, max: 20 },
  },
  run: async (ctx) => {
    const { item } = ctx.data as unknown as FeedItemData;
    // The bytes of the last fetch of the same URL, if still here: asked for conditionally (a 304 costs nothing).
    const keptMeta = path.join(ctx.settings.work, ctx.item, FEED_METADATA);
    const keptImage = path.join(ctx.settings.work, ctx.item, FEED_IMAGE);
    const kept = readKept(keptMeta);
    const previous = kept?.imageUrl === item.imageUrl && fs.existsSync(keptImage) ? { file: keptImage, ...(kept.download ?? {}) } : undefined;
    const started = Date.now();
    let lastShown = 0;
    const result = await download(item.imageUrl, ctx.outputs['image']!, {
      maxBytes: Number(ctx.params['maxBytes']),
      stallMs: Number(ctx.params['stallSeconds']) * 1000,
      attempts: Number(ctx.params['attempts']),
      backoffMs: Number(process.env['IMGBUILD_FEED_BACKOFF_MS'] ?? 500),
      ...(previous ? { previous } : {}),
      signal: ctx.signal,
      onProgress: (received, total) => {
        const now = Date.now();
        if (now - lastShown < 250) return;
        lastShown = now;
        const rate = received / Math.max(0.001, (now - started) / 1000);
        ctx.status(`downloading ${(received / MB).toFixed(1)}${total ? ` of ${(total / MB).toFixed(1)}` : ''} MB at ${(rate / MB).toFixed(1)} MB/s`);
      },
    });
    // The decompression-bomb limit, from the header alone, before anything decodes a pixel.
    const sharp = await loadSharp();
    let width = 0;
    let height = 0;
    try {
      const info = await sharp(ctx.outputs['image']!, { limitInputPixels: false }).metadata();
      width = info.width ?? 0;
      height = info.height ?? 0;
    } catch (error) {
      throw new FeedError(`${shortUrl(item.imageUrl)} is not a readable image: ${readableImageError(ctx.outputs['image']!, error).message}`);
    }
    const maxPixels = Number(ctx.params['maxPixels']);
    if (width * height > maxPixels) {
      throw new FeedError(`${shortUrl(item.imageUrl)} is ${width}×${height} pixels, over the limit of ${maxPixels} (raise maxPixels in params.fetch if it is genuine)`);
    }
    fs.writeFileSync(
      ctx.outputs['meta']!,
      JSON.stringify({ ...item, download: { bytes: result.bytes, type: result.type, ...(result.etag ? { etag: result.etag } : {}), ...(result.lastModified ? { lastModified: result.lastModified } : {}) } }, null, 1),
    );
    ctx.log(`${result.notModified ? 'unchanged since the last fetch (304)' : `downloaded ${result.bytes} bytes`} from ${shortUrl(item.imageUrl)}: ${result.type}, ${width}×${height}${result.resumed > 0 ? `, resumed ${result.resumed}×` : ''}`);
  },
});

function readKept(file: string): Kept | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Kept;
  } catch {
    return undefined;
  }
}
