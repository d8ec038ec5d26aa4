// Rule `tiles`: the image's study tile pyramid, toasty's layout (256-px PNG tiles, {level}/{y}/{y}_{x}.png).
import { defineRule } from '../src/graph/rule.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { tileStudy } from '../src/wwt/study-tiler.js';
import { tileToast } from '../src/toast/toast-tiler.js';
import { readPlacement } from './read-placement.js';
import { studyImage, studyInputs } from './study-image.js';

export default defineRule({
  name: 'tiles',
  // 2: opaque tiles are stored as RGB PNGs. 3: TOAST tiles and every pyramid's parents are PNGs of our own
  // encoder (Sub filter, node's zlib; the same pixels, other bytes).
  version: 3,
  description: 'tile each image into a WWT study pyramid',
  forEach: 'place',
  // A FITS item is tiled from its scaled 8-bit picture (whose key covers the FITS file), not from the file.
  after: ['fits-picture'],
  inputs: studyInputs,
  outputs: (node) => ({ tiles: `${node.item}/tiles/` }),
  publish: [{ output: 'tiles', as: '' }],
  // zlib level 2: with the Sub filter of our PNG encoder (png-encode.ts) tiles are smaller than libvips' unfiltered
  // level 6 was, for about half the CPU; higher levels buy a few per cent for much more time.
  params: { pngCompression: 2, maxPixels: 1_000_000_000 },
  paramTypes: { pngCompression: { type: 'integer', min: 0, max: 9 }, maxPixels: { type: 'integer', min: 1 } },
  tools: sharpVersions,
  run: async (ctx) => {
    const placement = readPlacement(ctx);
    if (placement.allSky !== undefined) {
      // An all-sky map: a TOAST pyramid, all levels 0…depth, in the same layout.
      const step = `TOAST depth ${placement.allSky.depth} from ${placement.width}×${placement.height}`;
      ctx.status(step);
      const result = await tileToast(studyImage(ctx), ctx.outputs['tiles']!, {
        projection: placement.allSky.projection,
        depth: placement.allSky.depth,
        pngCompression: Number(ctx.params['pngCompression']),
        maxPixels: Number(ctx.params['maxPixels']),
        flipRows: placement.flipRows,
        onProgress: (written, total) => ctx.status(`${step}: ${written}/${total} tiles`),
      });
      ctx.log(`${result.tiles} TOAST tiles in ${placement.allSky.depth + 1} levels`);
      return;
    }
    const step = `tiling ${placement.width}×${placement.height}`;
    ctx.status(step);
    const result = await tileStudy(studyImage(ctx), ctx.outputs['tiles']!, {
      flipRows: placement.flipRows,
      pngCompression: Number(ctx.params['pngCompression']),
      maxPixels: Number(ctx.params['maxPixels']),
      onProgress: (written, total) => ctx.status(`${step}: ${written}/${total} tiles`),
    });
    ctx.log(`${result.tiles} tiles in ${result.layout.tileLevels + 1} levels`);
  },
});
