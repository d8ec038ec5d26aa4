// Rule `thumbnail`: thumb.jpg, the image centre-cropped to 96×45 as toasty makes it.
import { defineRule } from '../src/graph/rule.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { makeThumbnail } from '../src/wwt/study-tiler.js';
import { readPlacement } from './read-placement.js';
import { studyImage, studyInputs } from './study-image.js';

export default defineRule({
  name: 'thumbnail',
  version: 1,
  description: 'a 96×45 thumbnail of each image',
  forEach: 'place',
  // A FITS item's thumbnail is cut from its scaled 8-bit picture, as its tiles are.
  after: ['fits-picture'],
  inputs: studyInputs,
  outputs: (node) => ({ thumb: `${node.item}/thumb.jpg` }),
  publish: [{ output: 'thumb', as: 'thumb.jpg' }],
  params: { width: 96, height: 45, quality: 90, maxPixels: 1_000_000_000 },
  paramTypes: {
    width: { type: 'integer', min: 1, max: 16384 },
    height: { type: 'integer', min: 1, max: 16384 },
    quality: { type: 'integer', min: 1, max: 100 },
    maxPixels: { type: 'integer', min: 1 },
  },
  tools: sharpVersions,
  run: async (ctx) => {
    await makeThumbnail(studyImage(ctx), ctx.outputs['thumb']!, {
      width: Number(ctx.params['width']),
      height: Number(ctx.params['height']),
      quality: Number(ctx.params['quality']),
      maxPixels: Number(ctx.params['maxPixels']),
      flipRows: readPlacement(ctx).flipRows,
    });
  },
});
