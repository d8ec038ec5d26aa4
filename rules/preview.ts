// Rule `preview`: each FITS file in the incoming folder as preview.jpg (full size) and preview-thumb.jpg (longest
// side 128 px), as CALDP makes them with fitscut: asinh with 99.5 % of the histogram unless the params say otherwise.
import path from 'node:path';
import { renderFitsPreview } from '../src/fits/fits-preview.js';
import type { PreviewScaling } from '../src/fits/preview-scaling.js';
import { defineRule } from '../src/graph/rule.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { FITS_FILES, NOT_WCS_SIDECARS } from './fits-files.js';
import { FITS_SCALING_PARAMS, FITS_SCALING_TYPES } from './fits-scaling-params.js';

export default defineRule({
  name: 'preview',
  // 2: the thumbnail is preview-thumb.jpg (thumb.jpg is the study's, now that FITS files are tiled too).
  version: 2,
  description: 'an 8-bit JPEG preview and thumbnail of each FITS image',
  // NAME.wcs.fits beside an image is that image's placement (header only, no pixels), not an exposure.
  forEach: { files: [NOT_WCS_SIDECARS, FITS_FILES], in: 'incoming' },
  inputs: (node) => ({ fits: node.file! }),
  outputs: (node) => ({ preview: `${node.item}/preview.jpg`, thumb: `${node.item}/preview-thumb.jpg` }),
  // hdu −1: the first HDU with image data.
  params: { ...FITS_SCALING_PARAMS, hdu: -1, thumbSize: 128, quality: 90, maxPixels: 268_435_456 },
  paramTypes: {
    ...FITS_SCALING_TYPES,
    hdu: { type: 'integer', min: -1, max: 999 },
    thumbSize: { type: 'integer', min: 1, max: 16384 },
    quality: { type: 'integer', min: 1, max: 100 },
    maxPixels: { type: 'integer', min: 1 },
  },
  tools: sharpVersions,
  run: async (ctx) => {
    const hdu = Number(ctx.params['hdu']);
    const result = await renderFitsPreview(ctx.inputs['fits']!, {
      scaling: String(ctx.params['scaling']) as PreviewScaling,
      percent: Number(ctx.params['percent']),
      ...(hdu >= 0 ? { hdu } : {}),
      preview: ctx.outputs['preview']!,
      thumb: ctx.outputs['thumb']!,
      thumbSize: Number(ctx.params['thumbSize']),
      quality: Number(ctx.params['quality']),
      maxPixels: Number(ctx.params['maxPixels']),
    });
    const name = path.basename(ctx.inputs['fits']!);
    ctx.log(`${name} HDU ${result.hdu}: ${result.width}×${result.height}, cuts ${result.cuts.low}..${result.cuts.high}`);
    if (result.stride > 1) {
      ctx.log(`${name} is larger than maxPixels: previewed from every ${result.stride}th row and column (${Math.ceil(result.width / result.stride)}×${Math.ceil(result.height / result.stride)})`);
    }
  },
});
