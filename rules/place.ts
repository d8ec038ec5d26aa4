// Rule `place`: where each incoming image goes on the sky (AVM, or a `.wcs.fits` sidecar; a FITS file's own
// header), as JSON that the tiles, thumbnail and WTML rules read. One node per image in the incoming folder.
import fs from 'node:fs';
import { placeFitsImage } from '../src/fits/place-fits-image.js';
import { defineRule, type InputSpec, type NodeIdentity, optionalInput } from '../src/graph/rule.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { FITS_FILES, isFitsExtension, NOT_WCS_SIDECARS } from './fits-files.js';
import { repositorySkip } from './repository-skips.js';
import { placeAllSkyImage } from '../src/toast/place-all-sky.js';

/** `m31.jpg` → `m31.allsky.yaml` (`m31.fits.fz` → `m31.allsky.yaml`). */
export function allSkySidecar(file: string): string {
  const fits = /\.fits(\.(fz|gz|bz2))?$/i;
  return (fits.test(file) ? file.replace(fits, '') : file.replace(/\.[^./]+$/, '')) + '.allsky.yaml';
}

/** Image files a study can be made from directly. */
export const IMAGE_FILES = '{id}.{ext:jpg|jpeg|png|tif|tiff}';

/** Whether the node's image is a FITS file (tiled from its scaled 8-bit picture, placed from its header). */
export function isFitsItem(node: Pick<NodeIdentity, 'wildcards'>): boolean {
  return isFitsExtension(node.wildcards['ext']);
}

export default defineRule({
  name: 'place',
  version: 1,
  description: 'read the placement (AVM, .wcs.fits sidecar or FITS header) of each incoming image',
  forEach: { files: [NOT_WCS_SIDECARS, IMAGE_FILES, FITS_FILES], in: 'incoming' },
  // `name.allsky.yaml` beside an image makes it an all-sky map, tiled as TOAST (src/toast/).
  // Declared only when it is there, so an image without one keeps the key it always had (adding the sidecar
  // adds a file to the folder, which re-expands the graph).
  inputs: (node): Record<string, InputSpec> => {
    const allSky = allSkySidecar(node.file!);
    const sky: Record<string, InputSpec> = fs.existsSync(allSky) ? { allsky: optionalInput(allSky) } : {};
    return isFitsItem(node) ? { image: node.file!, ...sky } : { image: node.file!, sidecar: optionalInput(node.file!.replace(/\.[^./]+$/, '.wcs.fits')), ...sky };
  },
  outputs: (node) => ({ placement: `${node.item}/placement.json` }),
  tools: sharpVersions,
  skip: repositorySkip,
  run: async (ctx) => {
    const image = ctx.inputs['image']!;
    const allSky = ctx.inputs['allsky'];
    const placement =
      allSky !== undefined
        ? await placeAllSkyImage(image, allSky, isFitsItem(ctx))
        : isFitsItem(ctx)
          ? await placeFitsImage(image)
          : await placeImage(image, ctx.inputs['sidecar']);
    for (const warning of placement.warnings) ctx.warn(warning);
    fs.writeFileSync(ctx.outputs['placement']!, JSON.stringify(placement, null, 1));
  },
});
