// A preview of a FITS file another rule made (CALDP previews its calibrated products, not the raw inputs):
// the built-in `preview` rule's work and parameters, on an upstream output, published under previews/.
import { defineRule, type Rule } from '../../src/graph/rule.js';
import preview from '../preview.js';

export interface PreviewOf {
  /** The rule that makes the FITS file, and its output holding it (a file output). */
  readonly rule: string;
  readonly output: string;
  /** The rule's name (default `<rule>-<output>-preview`). */
  readonly name?: string;
}

export function fitsPreviewOf({ rule, output, name = `${rule}-${output}-preview` }: PreviewOf): Rule {
  return defineRule({
    name,
    version: 1,
    description: `an 8-bit JPEG preview and thumbnail of ${rule}'s ${output}`,
    forEach: rule,
    outputs: (node) => ({ preview: `${node.item}/${name}/${output}.jpg`, thumb: `${node.item}/${name}/${output}_thumb.jpg` }),
    publish: [
      { output: 'preview', as: `previews/${output}.jpg` },
      { output: 'thumb', as: `previews/${output}_thumb.jpg` },
    ],
    ...(preview.params !== undefined ? { params: preview.params } : {}),
    ...(preview.paramTypes !== undefined ? { paramTypes: preview.paramTypes } : {}),
    ...(preview.tools !== undefined ? { tools: preview.tools } : {}),
    run: async (ctx) => {
      const fits = ctx.upstream(rule)[0]?.files[output]?.[0];
      if (fits === undefined) throw new Error(`${rule} has not built its output ${output}`);
      await preview.run!({ ...ctx, inputs: { fits: fits.path } });
    },
  });
}
