// Per-dataset processing in CALDP's layout: a wrapped program per dataset, previews of its FITS product, and
// data/<instrument>/<id>/ with logs/ and previews/ plus messages/datasets-processed/<id>, through the real CLI.
import fs from 'node:fs';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from './helpers/project.js';
import { caldpProject, rawFits } from './helpers/caldp-project.js';

test("CALDP's layout: products, logs and metrics, previews, and a processed marker per dataset; a failed dataset publishes nothing", async () => {
  const p = caldpProject();
  try {
    const run = p.cli(['all', '--keep-going', '-j', '2']);
    assert.is(run.code, 1, run.stderr);
    const data = (id: string, file = ''): string => p.path('repo', 'data', 'acs', id, file);
    for (const id of ['j8cb010b0', 'j8cb010c0']) {
      assert.equal(fs.readFileSync(data(id, `${id}_flt.fits`)), fs.readFileSync(p.path(`incoming/${id}_raw.fits`)));
      assert.is(fs.readFileSync(data(id, `${id}.tra`), 'utf8'), `calibrated ${id}_raw.fits\n`);
      // Previews of the calibrated product: full size and a 128-px thumbnail.
      const full = await sharp(data(id, 'previews/flt.jpg')).metadata();
      const thumb = await sharp(data(id, 'previews/flt_thumb.jpg')).metadata();
      assert.equal([full.format, full.width, full.height], ['jpeg', 64, 32]);
      // (the thumbnail's longest side is 128 px at most: a 64×32 image is not enlarged)
      assert.equal([thumb.format, thumb.width, thumb.height], ['jpeg', 64, 32]);
      // The program's log, and the metrics of the dataset's nodes.
      assert.match(fs.readFileSync(data(id, 'logs/calibrate.log'), 'utf8'), new RegExp(`log +CALACS version 10\\.3\\.5: processing ${id}_raw\\.fits`));
      const metrics = JSON.parse(fs.readFileSync(data(id, 'logs/metrics.json'), 'utf8')) as { dataset: string; nodes: Array<{ id: string; state: string; cpuMs: number; bytesRead: number }> };
      assert.is(metrics.dataset, id);
      assert.equal(metrics.nodes.map((n) => `${n.id} ${n.state}`).sort(), [`calibrate-flt-preview:${id} done`, `calibrate:${id} done`]);
      assert.is(metrics.nodes.find((n) => n.id === `calibrate:${id}`)!.bytesRead, fs.statSync(p.path(`incoming/${id}_raw.fits`)).size);
      // The manifest lists every file, and the marker is there (empty).
      const manifest = JSON.parse(fs.readFileSync(data(id, 'imgbuild.json'), 'utf8')) as { files: Array<{ path: string }> };
      assert.equal(manifest.files.map((f) => f.path).sort(), [`${id}.tra`, `${id}_flt.fits`, 'logs/calibrate-flt-preview.log', 'logs/calibrate.log', 'logs/metrics.json', 'previews/flt.jpg', 'previews/flt_thumb.jpg']);
      assert.is(fs.readFileSync(p.path('repo/messages/datasets-processed', id), 'utf8'), '');
    }
    // The failed dataset: nothing published, no marker, and status/log say why.
    assert.not.ok(fs.existsSync(data('j8cb99999')));
    assert.not.ok(fs.existsSync(p.path('repo/messages/datasets-processed/j8cb99999')));
    const status = JSON.parse(p.cli(['status', '--json', '--failed']).stdout) as { nodes: Array<{ id: string; message: string }> };
    assert.equal(status.nodes.map((n) => n.id), ['calibrate:j8cb99999']);
    assert.match(status.nodes[0]!.message, /exited with code 2: ERROR: no matching reference file for DARKFILE/);

    // Nothing to do the second time (the marker and manifest are checked in the repository).
    fs.rmSync(p.path('incoming/j8cb99999_raw.fits'));
    const again = p.json(['all']);
    assert.is(again.code, 0, again.stderr);
    assert.is(again.report.ran?.length ?? 0, 0);
    // A lost marker is noticed and written again.
    fs.rmSync(p.path('repo/messages/datasets-processed/j8cb010c0'));
    const repaired = p.json(['all']);
    assert.equal(repaired.report.ran?.map((r) => r.id), ['dataset-publish:j8cb010c0']);
    assert.ok(fs.existsSync(p.path('repo/messages/datasets-processed/j8cb010c0')));
  } finally {
    p.remove();
  }
});

test('a publish declaration naming an output the rule does not have is a clear error; a path escaping the data set is refused', () => {
  const p = new TempProject('imgbuild-datasets-');
  try {
    p.write('incoming/a_raw.fits', rawFits(1));
    p.write(
      'pipeline.config.ts',
      `import fs from 'node:fs';
import { defineConfig, defineRule, datasetRules } from 'imgbuild';
const calibrate = defineRule({
  name: 'calibrate', version: 1, forEach: { files: '{id}_raw.fits' },
  inputs: (node) => ({ raw: node.file! }), outputs: (node) => ({ flt: \`\${node.item}/flt.fits\` }),
  publish: [{ output: 'flat', as: '' }],
  run: (ctx) => fs.copyFileSync(ctx.inputs['raw']!, ctx.outputs['flt']!),
});
export default defineConfig({ rules: datasetRules({ rules: [calibrate] }) });
`,
    );
    const run = p.cli(['all']);
    assert.is(run.code, 1);
    assert.match(run.stderr, /dataset-publish:a: rule calibrate says it publishes its output flat, but it has no output of that name/);
    assert.not.ok(fs.existsSync(p.path('repo/data')));

    p.write('pipeline.config.ts', fs.readFileSync(p.path('pipeline.config.ts'), 'utf8').replace("{ output: 'flat', as: '' }", "{ output: 'flt', as: '../elsewhere/' }"));
    const escaping = p.cli(['all']);
    assert.is(escaping.code, 2);
    assert.match(escaping.stderr, /rule "calibrate": each publish entry is \{ output: 'name', as: 'path in the data set' \} with a relative path \(no '\.\.'\)/);
  } finally {
    p.remove();
  }
});

test.run();
