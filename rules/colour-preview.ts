// Rule `colour-preview`: a colour JPEG preview (and a 128-px thumbnail) from three FITS images of one target,
// NAME_r, NAME_g and NAME_b, each scaled on its own as the grey preview is (asinh with 99.5 % of its histogram by
// default): fitscut's --red/--green/--blue. Not among the default rules; add it to a config's rules.
import path from 'node:path';
import { renderFitsGrey, type GreyPicture } from '../src/fits/fits-grey.js';
import { defineRule } from '../src/graph/rule.js';
import { PipelineError } from '../src/run/pipeline-error.js';
import { loadSharp, sharpVersions } from '../src/wwt/sharp-loader.js';
import { FITS_BAND_FILES } from './fits-files.js';
import preview from './preview.js';
import type { PreviewScaling } from '../src/fits/preview-scaling.js';

const BANDS = ['r', 'g', 'b'] as const;

/** `m31_g.fits.gz` → `g`. */
function bandOf(file: string): string | undefined {
  return /_([rgb])\.[^/]+$/.exec(path.basename(file))?.[1];
}

export default defineRule({
  name: 'colour-preview',
  version: 1,
  description: 'a colour JPEG preview and thumbnail from three FITS images NAME_r, NAME_g, NAME_b',
  forEach: { files: FITS_BAND_FILES, in: 'incoming', group: ({ wildcards }) => ({ id: wildcards['id']! }) },
  inputs: (node) => Object.fromEntries((node.files ?? []).map((file) => [bandOf(file) ?? file, file])),
  outputs: (node) => ({ preview: `${node.item}/colour.jpg`, thumb: `${node.item}/colour-thumb.jpg` }),
  ...(preview.params !== undefined ? { params: preview.params } : {}),
  ...(preview.paramTypes !== undefined ? { paramTypes: preview.paramTypes } : {}),
  tools: sharpVersions,
  run: async (ctx) => {
    const missing = BANDS.filter((band) => ctx.inputs[band] === undefined);
    if (missing.length > 0) {
      throw new PipelineError(`a colour preview of ${ctx.item} needs ${BANDS.map((b) => `${ctx.item}_${b}`).join(', ')}: ${missing.map((b) => `${ctx.item}_${b}`).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing`);
    }
    const hdu = Number(ctx.params['hdu']);
    const options = {
      scaling: String(ctx.params['scaling']) as PreviewScaling,
      percent: Number(ctx.params['percent']),
      maxPixels: Number(ctx.params['maxPixels']),
      ...(hdu >= 0 ? { hdu } : {}),
    };
    const planes: GreyPicture[] = [];
    for (const band of BANDS) {
      ctx.status(`scaling ${band}`);
      planes.push(await renderFitsGrey(ctx.inputs[band]!, options));
    }
    const [red, green, blue] = planes as [GreyPicture, GreyPicture, GreyPicture];
    for (const [band, plane] of [['g', green], ['b', blue]] as const) {
      if (plane.width !== red.width || plane.height !== red.height) {
        throw new PipelineError(`${path.basename(ctx.inputs[band]!)} is ${plane.width}×${plane.height} but ${path.basename(ctx.inputs['r']!)} is ${red.width}×${red.height}: the three bands must be the same size (reproject them onto one grid)`);
      }
    }
    ctx.status('writing');
    const sharp = await loadSharp();
    const raw = { raw: { width: red.outWidth, height: red.outHeight, channels: 1 as const } };
    const colour = (): ReturnType<typeof sharp> => sharp(red.pixels, raw).joinChannel([green.pixels, blue.pixels], raw).toColourspace('srgb');
    const quality = Number(ctx.params['quality']);
    // Standard Huffman tables: optimised ones make libjpeg hold the whole image's coefficients (fits-preview.ts).
    await colour().jpeg({ quality, optimiseCoding: false }).toFile(ctx.outputs['preview']!);
    const size = Number(ctx.params['thumbSize']);
    await colour().resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true }).jpeg({ quality }).toFile(ctx.outputs['thumb']!);
    ctx.log(`${red.width}×${red.height}, cuts r ${red.cuts.low}..${red.cuts.high}, g ${green.cuts.low}..${green.cuts.high}, b ${blue.cuts.low}..${blue.cuts.high}`);
  },
});
