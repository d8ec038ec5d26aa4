// Rule `fits-picture`: each FITS image as the 8-bit picture its study is tiled from — scaled as the preview is
// (asinh, 99.5 % of the histogram, unless the params say otherwise), right side up (FITS row 1 at the bottom,
// matching the top-down WCS `place` recorded), full size, as a lossless grey PNG: JPEG artefacts would be cut
// into every tile. One node per FITS item of `place`; the tiles and thumbnail rules join it on the item.
import path from 'node:path';
import { ImgbuildError } from '../src/errors.js';
import { renderFitsGrey } from '../src/fits/fits-grey.js';
import type { PreviewScaling } from '../src/fits/preview-scaling.js';
import { defineRule } from '../src/graph/rule.js';
import { quoteName } from '../src/quote-name.js';
import { loadSharp, sharpVersions } from '../src/wwt/sharp-loader.js';
import { FITS_SCALING_PARAMS, FITS_SCALING_TYPES } from './fits-scaling-params.js';
import { isFitsItem } from './place.js';
import { readPlacement } from './read-placement.js';

export default defineRule({
  name: 'fits-picture',
  version: 1,
  description: 'the scaled 8-bit picture of each FITS image, the one its tiles and thumbnail are made from',
  forEach: 'place',
  onlyFor: isFitsItem,
  inputs: (node) => ({ fits: node.file! }),
  outputs: (node) => ({ picture: `${node.item}/picture.png` }),
  params: { ...FITS_SCALING_PARAMS, maxPixels: 1_000_000_000 },
  paramTypes: { ...FITS_SCALING_TYPES, maxPixels: { type: 'integer', min: 1 } },
  tools: sharpVersions,
  run: async (ctx) => {
    const fits = ctx.inputs['fits']!;
    const placement = readPlacement(ctx);
    const name = quoteName(path.basename(fits));
    const pixels = placement.width * placement.height;
    const maxPixels = Number(ctx.params['maxPixels']);
    // The study needs every pixel (its WCS is the full image's): too large is refused, never silently strided.
    if (pixels > maxPixels) {
      throw new ImgbuildError('config', `${name} (HDU ${placement.hdu}) is ${placement.width}×${placement.height} = ${pixels} pixels, more than fits-picture's maxPixels (${maxPixels}); raise params['fits-picture'].maxPixels`);
    }
    ctx.status(`scaling ${placement.width}×${placement.height}`);
    const picture = await renderFitsGrey(fits, {
      scaling: String(ctx.params['scaling']) as PreviewScaling,
      percent: Number(ctx.params['percent']),
      ...(placement.hdu !== undefined ? { hdu: placement.hdu } : {}),
      maxPixels: Number.POSITIVE_INFINITY,
    });
    const sharp = await loadSharp();
    await sharp(picture.pixels, { raw: { width: picture.outWidth, height: picture.outHeight, channels: 1 } })
      // One grey channel (sharp would otherwise write RGB); an intermediate read once by the tiler, so fast
      // compression, lossless all the same.
      .toColourspace('b-w')
      .png({ compressionLevel: 1 })
      .toFile(ctx.outputs['picture']!);
    ctx.log(`${name} HDU ${picture.hdu}: ${picture.width}×${picture.height}, ${String(ctx.params['scaling'])} between cuts ${picture.cuts.low}..${picture.cuts.high}`);
  },
});
