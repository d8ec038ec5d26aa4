// Rule `place`: where each incoming image goes on the sky (AVM, or a `.wcs.fits` sidecar; a FITS file's own
// header), as JSON that the tiles, thumbnail and WTML rules read. One node per image in the incoming folder.
import fs from 'node:fs';
import { placeFitsImage } from '../src/fits/place-fits-image.js';
import path from 'node:path';
import { compilePattern, matchPattern } from '../src/graph/pattern.js';
import { defineRule, type InputSpec, type Json, type NodeIdentity, optionalInput, type Params } from '../src/graph/rule.js';
import type { AllSkyProjection } from '../src/toast/plate-carree-sampler.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { sharpVersions } from '../src/wwt/sharp-loader.js';
import { FITS_FILES, isFitsExtension, NOT_WCS_SIDECARS } from './fits-files.js';
import { repositorySkip } from './repository-skips.js';
import { placeAllSkyImage } from '../src/toast/place-all-sky.js';

/** What the config's allSky list says of an incoming file (its path relative to the incoming folder), if anything. */
function declaredAllSky(list: Json | undefined, relative: string): { projection: AllSkyProjection; depth?: number } | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list as Array<{ files: string; projection: AllSkyProjection; depth?: number }>) {
    if (matchPattern(compilePattern(entry.files), relative) !== undefined) return { projection: entry.projection, ...(entry.depth !== undefined ? { depth: entry.depth } : {}) };
  }
  return undefined;
}

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
  // Only when the config declares all-sky files: an unset list leaves every node's key as it was.
  params: (settings): Params => (settings.allSky !== undefined ? { allSky: settings.allSky as unknown as Json } : {}),
  skip: repositorySkip,
  run: async (ctx) => {
    const image = ctx.inputs['image']!;
    const declared = declaredAllSky(ctx.params['allSky'], path.relative(ctx.settings.incoming, image).split(path.sep).join('/'));
    const allSky = ctx.inputs['allsky'] ?? declared;
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
