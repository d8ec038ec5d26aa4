// Rule `place`: where each incoming image goes on the sky (AVM, or a `.wcs.fits` sidecar), as JSON that the
// tiles, thumbnail and WTML rules read. One node per image in the incoming folder.
import fs from 'node:fs';
import { defineRule, optionalInput } from '../src/graph/rule.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { repositorySkip } from './repository-skips.js';

/** Image files a study can be made from. */
export const IMAGE_FILES = '{id}.{ext:jpg|jpeg|png|tif|tiff}';

export default defineRule({
  name: 'place',
  version: 1,
  description: 'read the placement (AVM or .wcs.fits sidecar) of each incoming image',
  forEach: { files: IMAGE_FILES, in: 'incoming' },
  inputs: (node) => ({
    image: node.file!,
    sidecar: optionalInput(node.file!.replace(/\.[^./]+$/, '.wcs.fits')),
  }),
  outputs: (node) => ({ placement: `${node.item}/placement.json` }),
  tools: sharpVersions,
  skip: repositorySkip,
  run: async (ctx) => {
    const placement = await placeImage(ctx.inputs['image']!, ctx.inputs['sidecar']);
    for (const warning of placement.warnings) ctx.warn(warning);
    fs.writeFileSync(ctx.outputs['placement']!, JSON.stringify(placement, null, 1));
  },
});
