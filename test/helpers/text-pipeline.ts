// A pipeline of trivial text rules, so engine tests measure the graph and not libvips:
//   upper (one node per incoming/{id}.txt) → count (per item) → summary (aggregate over count)
export const TEXT_PIPELINE = (options: { suffix?: string; upperVersion?: number; comment?: string; sleepMarker?: string } = {}): string => `
// ${options.comment ?? 'text pipeline'}
import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';

const upper = defineRule({
  name: 'upper',
  version: ${options.upperVersion ?? 1},
  forEach: { files: '{id}.txt' },
  inputs: (node) => ({ text: node.file! }),
  outputs: (node) => ({ out: \`\${node.item}/upper.txt\` }),
  params: { suffix: ${JSON.stringify(options.suffix ?? '!')} },
  run: async (ctx) => {
    const text = fs.readFileSync(ctx.inputs['text']!, 'utf8');
    if (text.includes('FAIL')) throw new Error('this text asks to fail');
    fs.writeFileSync(ctx.outputs['out']!, text.toUpperCase() + String(ctx.params['suffix']));
    ${options.sleepMarker ? `if (text.includes('SLOW') && process.env.IMGBUILD_TEST_SLEEP) { fs.writeFileSync(${JSON.stringify(options.sleepMarker)}, String(process.pid)); await new Promise((r) => setTimeout(r, 60_000)); }` : ''}
  },
});

const count = defineRule({
  name: 'count',
  version: 1,
  forEach: 'upper',
  outputs: (node) => ({ out: \`\${node.item}/count.txt\` }),
  run: (ctx) => {
    const source = ctx.upstream('upper')[0]!.outputs['out']!;
    fs.writeFileSync(ctx.outputs['out']!, String(fs.readFileSync(source, 'utf8').length));
  },
});

const summary = defineRule({
  name: 'summary',
  version: 1,
  aggregate: 'count',
  outputs: () => ({ out: 'summary.txt' }),
  run: (ctx) => {
    const lines = ctx.upstream('count').map((u) => u.item + ' ' + fs.readFileSync(u.outputs['out']!, 'utf8'));
    fs.writeFileSync(ctx.outputs['out']!, lines.sort().join('\\n') + '\\n');
  },
});

export default defineConfig({ rules: [upper, count, summary] });
`;
