// A CALDP-like project: three raw FITS datasets, a "calibration program" wrapped in a command rule, previews of
// its product, published with datasetRules() (HST's j → acs instrument folder). Dataset j8cb99999 fails.
import { imageFile } from '../../src/fits/fits-writer.js';
import { TempProject } from './project.js';

/** The datasets and the seed of each one's pixels. */
export const RAW: ReadonlyArray<readonly [string, number]> = [
  ['j8cb010b0', 1],
  ['j8cb010c0', 2],
  ['j8cb99999', 3],
];

/** A 64×32 float image: a ramp, so the preview has something to scale. */
export function rawFits(seed: number): Buffer {
  const values = Array.from({ length: 64 * 32 }, (_, i) => (i % 64) * seed + Math.floor(i / 64));
  return imageFile(-32, 64, 32, values, [['OBJECT', `target ${seed}`]]);
}

/** `inputs`: write the raw files into incoming/ (the default), or leave them to the caller (a remote incoming). */
export function caldpProject(inputs = true): TempProject {
  const p = new TempProject('imgbuild-datasets-');
  if (inputs) for (const [id, seed] of RAW) p.write(`incoming/${id}_raw.fits`, rawFits(seed));
  // The "calibration program": copies raw → flt, writes a trailer; refuses dataset j8cb99999 like calacs would.
  p.write(
    'calibrate.cjs',
    [
      "const fs = require('fs');",
      'const [raw, flt, trailer] = process.argv.slice(2);',
      "console.log('CALACS version 10.3.5: processing ' + raw.split('/').pop());",
      "if (raw.includes('j8cb99999')) { console.error('ERROR: no matching reference file for DARKFILE'); process.exit(2); }",
      'fs.copyFileSync(raw, flt);',
      "fs.writeFileSync(trailer, 'calibrated ' + raw.split('/').pop() + '\\n');",
    ].join('\n'),
  );
  p.write(
    'pipeline.config.ts',
    `import { defineConfig, defineRule, datasetRules } from 'imgbuild';
const calibrate = defineRule({
  name: 'calibrate',
  version: 1,
  forEach: { files: '{id}_raw.fits' },
  inputs: (node) => ({ raw: node.file! }),
  outputs: (node) => ({ flt: \`\${node.item}/\${node.item}_flt.fits\`, trailer: \`\${node.item}/\${node.item}.tra\` }),
  publish: [{ output: 'flt', as: '' }, { output: 'trailer', as: '' }],
  command: (ctx) => [process.execPath, 'calibrate.cjs', ctx.inputs['raw']!, ctx.outputs['flt']!, ctx.outputs['trailer']!],
});
export default defineConfig({
  rules: datasetRules({ rules: [calibrate], previews: [{ rule: 'calibrate', output: 'flt' }] }),
  params: { 'dataset-publish': { instruments: { j: 'acs' } } },
});
`,
  );
  return p;
}

