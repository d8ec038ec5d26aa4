// The WWT pipeline end to end through the CLI, on real images, into a local data repository.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ids, listFiles, TempProject } from './helpers/project.js';
import { writeBlankBilevelPng, writeCoordinatePng } from './helpers/images.js';

const PREFIX = 'https://data.example.org/wwt/';

async function imageProject(): Promise<TempProject> {
  const p = new TempProject('imgbuild-pipeline-');
  p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
  await writeCoordinatePng(p.path('incoming/plain.png'), 600, 400);
  return p;
}

const base = ['--incoming', 'incoming', '--local', 'repo', '--publish-url-prefix', PREFIX];

test('builds a data repository WWT can load, with no config file at all', async () => {
  const p = await imageProject();
  const run = p.json(['all', ...base]);
  assert.is(run.code, 0, run.stderr);
  assert.equal(ids(run.report.ran), [
    'index', 'place:orion', 'place:plain', 'publish:orion', 'publish:plain', 'review-index',
    'thumbnail:orion', 'thumbnail:plain', 'tiles:orion', 'tiles:plain', 'wtml:orion', 'wtml:plain',
  ]);
  assert.ok(run.report.warnings!.some((w) => w.id === 'place:plain' && /no placement/.test(w.message)), 'an unplaced image is said to be so');
  const orion = listFiles(p.path('repo/orion'));
  assert.equal(orion, ['0/0/0_0.png', '1/0/0_0.png', '1/0/0_1.png', '1/1/1_0.png', '1/1/1_1.png', 'imgbuild.json', 'index.wtml', 'index_rel.wtml', 'thumb.jpg']);
  const rel = fs.readFileSync(p.path('repo/orion/index_rel.wtml'), 'utf8');
  assert.match(rel, /Url="\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
  assert.match(rel, /CenterX="83\.7844027714"/);
  const abs = fs.readFileSync(p.path('repo/orion/index.wtml'), 'utf8');
  assert.match(abs, /Url="https:\/\/data\.example\.org\/wwt\/orion\/\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
  const thumb = await sharp(p.path('repo/orion/thumb.jpg')).metadata();
  assert.equal([thumb.width, thumb.height], [96, 45]);
  const root = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
  assert.is(root.match(/<Place /g)?.length, 2);
  assert.match(root, /Name="The Orion Nebula and cluster from the VLT Survey Telescope"/);
  p.remove();
});

test('the manifest is complete and true: every file, its size and hash, the node key', async () => {
  const p = await imageProject();
  p.json(['all', ...base]);
  const manifest = JSON.parse(fs.readFileSync(p.path('repo/plain/imgbuild.json'), 'utf8'));
  assert.is(manifest.id, 'plain');
  assert.match(manifest.key, /^[0-9a-f]{64}$/);
  const listed = manifest.files.map((f: { path: string }) => f.path).sort();
  assert.equal(listed, listFiles(p.path('repo/plain')).filter((f) => f !== 'imgbuild.json'));
  for (const file of manifest.files as Array<{ path: string; size: number; sha256: string }>) {
    const bytes = fs.readFileSync(p.path('repo/plain', file.path));
    assert.is(bytes.length, file.size);
    assert.is(crypto.createHash('sha256').update(bytes).digest('hex'), file.sha256, file.path);
  }
  p.remove();
});

test('second run does nothing; one changed image reruns only its chain and the root index', async () => {
  const p = await imageProject();
  p.json(['all', ...base]);
  assert.equal(p.json(['all', ...base]).report.ran, []);
  await writeCoordinatePng(p.path('incoming/plain.png'), 640, 400);
  const dry = p.json(['all', ...base, '--dry-run']).report;
  assert.equal(ids(dry.run), ['index', 'place:plain', 'publish:plain', 'review-index', 'thumbnail:plain', 'tiles:plain', 'wtml:plain']);
  const real = p.json(['all', ...base]).report;
  assert.equal(ids(real.ran), ids(dry.run));
  p.remove();
});

test('a new publish_url_prefix rewrites WTML and republishes, but never retiles', async () => {
  const p = await imageProject();
  p.json(['all', ...base]);
  const other = ['--incoming', 'incoming', '--local', 'repo', '--publish-url-prefix', 'https://elsewhere.example/'];
  const dry = p.json(['all', ...other, '--dry-run']).report;
  assert.equal(ids(dry.run), ['index', 'publish:orion', 'publish:plain', 'review-index', 'wtml:orion', 'wtml:plain']);
  assert.is(dry.run!.find((r) => r.id === 'wtml:orion')!.why, 'parameter changed: publishUrlPrefix');
  p.json(['all', ...other]);
  assert.match(fs.readFileSync(p.path('repo/orion/index.wtml'), 'utf8'), /https:\/\/elsewhere\.example\/orion\//);
  p.remove();
});

test('a deleted data set in the repository is published again (the repository is checked, not trusted)', async () => {
  const p = await imageProject();
  p.json(['all', ...base]);
  fs.rmSync(p.path('repo/orion'), { recursive: true });
  const dry = p.json(['all', ...base, '--dry-run']).report;
  assert.equal(ids(dry.run), ['index', 'publish:orion']);
  assert.match(dry.run!.find((r) => r.id === 'publish:orion')!.why, /not in the repository/);
  assert.match(dry.run!.find((r) => r.id === 'index')!.why, /publish:orion will update the repository/);
  p.json(['all', ...base]);
  assert.ok(fs.existsSync(p.path('repo/orion/1/1/1_1.png')));
  p.remove();
});

test('when another machine published its own version of a data set, ours goes back and the root index follows', async () => {
  const ours = await imageProject();
  ours.json(['all', ...base]);
  // Another machine with a different image of the same id publishes into the same repository.
  const theirs = new TempProject('imgbuild-pipeline-');
  await writeCoordinatePng(theirs.path('incoming/orion.png'), 300, 300);
  const theirRun = theirs.json(['all', '--incoming', 'incoming', '--local', ours.path('repo'), '--publish-url-prefix', PREFIX]);
  assert.is(theirRun.code, 0, theirRun.stderr);
  const placeName = (): string | undefined =>
    /<Place [^>]*Name="([^"]*)"[^>]*>\s*<ForegroundImageSet>\s*<ImageSet[^>]*Url="[^"]*\/orion\//.exec(fs.readFileSync(ours.path('repo/index.wtml'), 'utf8'))?.[1];
  assert.is(placeName(), 'orion', 'their version is listed');
  const run = ours.json(['all', ...base]);
  assert.equal(ids(run.report.ran), ['index', 'publish:orion']);
  assert.match(placeName() ?? '', /Orion Nebula/, 'the root index lists our version again');
  theirs.remove();
  ours.remove();
});

test("toasty's source_type and its section reach the rules, for feeds", () => {
  const p = new TempProject('imgbuild-pipeline-');
  p.write('repo/toasty-pipeline-config.yaml', 'source_type: astropix\nastropix:\n  github_org: NOIRLab\n  partner: true\nother:\n  ignored: 1\n');
  p.write('pipeline.config.ts', `import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ local: 'repo', rules: [defineRule({
  name: 'feed', version: 1, outputs: () => ({ out: 'source.json' }),
  run: (ctx) => fs.writeFileSync(ctx.outputs['out']!, JSON.stringify(ctx.settings.source)),
})] });
`);
  const run = p.json(['all']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(JSON.parse(fs.readFileSync(p.path('work/source.json'), 'utf8')), { type: 'astropix', settings: { github_org: 'NOIRLab', partner: true }, from: 'toasty-pipeline-config.yaml' });
  p.remove();
});

test('a corrupt image fails alone, with --keep-going the rest is published and indexed', async () => {
  const p = await imageProject();
  const good = fs.readFileSync(p.path('incoming/orion.jpg'));
  p.write('incoming/truncated.jpg', good.subarray(0, Math.floor(good.length / 3)));
  const run = p.json(['all', ...base, '--keep-going']);
  assert.is(run.code, 1);
  const failed = run.report.failed!;
  assert.is(failed.length, 1, JSON.stringify(failed));
  assert.match(failed[0]!.id, /:truncated$/);
  assert.match(failed[0]!.error!, /truncated\.jpg is not a readable image/);
  assert.match(failed[0]!.error!, /\[input: incoming\/truncated\.jpg\]/);
  assert.ok(fs.existsSync(p.path('repo/orion/imgbuild.json')));
  assert.not.ok(fs.existsSync(p.path('repo/truncated')), 'nothing of the broken image is published');
  assert.is(fs.readFileSync(p.path('repo/index.wtml'), 'utf8').match(/<Place /g)?.length, 2);
  p.remove();
});

test("an image over sharp's default pixel limit (16383²) is placed: only its header is read", async () => {
  const p = new TempProject('imgbuild-pipeline-');
  writeBlankBilevelPng(p.path('incoming/survey.png'), 16384, 16400);
  const meta = await sharp(p.path('incoming/survey.png'), { limitInputPixels: false }).metadata();
  assert.equal([meta.width, meta.height], [16384, 16400], 'the hand-made PNG is what it says');
  const run = p.json(['place', ...base]);
  assert.is(run.code, 0, `${run.stderr}${JSON.stringify(run.report.failed)}`);
  assert.equal(ids(run.report.ran), ['place:survey']);
  const placement = JSON.parse(fs.readFileSync(p.path('work/survey/placement.json'), 'utf8'));
  assert.equal([placement.width, placement.height], [16384, 16400]);
  // Tiling it is guarded by maxPixels: a lowered limit shows the message a bigger survey image would get.
  p.write('pipeline.config.ts', `import { defineConfig } from 'imgbuild';
export default defineConfig({ incoming: 'incoming', local: 'repo', publishUrlPrefix: '${PREFIX}', params: { tiles: { maxPixels: 100000000 } } });
`);
  const tiles = p.json(['tiles']);
  assert.is(tiles.code, 1);
  assert.match(tiles.report.failed![0]!.error!, /survey\.png has more pixels than the rule's maxPixels allows .* raise params\.tiles\.maxPixels/);
  p.remove();
});

test('an image with a non-TAN sidecar is an error for that image only', async () => {
  const p = await imageProject();
  await sharp({ create: { width: 192, height: 192, channels: 3, background: '#222' } }).png().toFile(p.path('incoming/azp.png'));
  p.copyFixture('1904-66_AZP.header.fits', 'incoming/azp.wcs.fits');
  const run = p.json(['all', ...base, '--keep-going']);
  assert.equal(ids(run.report.failed), ['place:azp']);
  assert.match(run.report.failed![0]!.error!, /azp\.wcs\.fits: projection AZP cannot be tiled/);
  assert.ok(fs.existsSync(p.path('repo/orion/index.wtml')));
  p.remove();
});

test('AVM text with markup is escaped once in the published WTML', async () => {
  const p = new TempProject('imgbuild-pipeline-');
  const xmp =
    `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ` +
    `xmlns:avm="http://www.communicatingastronomy.org/avm/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
    `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">M 42 &amp; &lt;script&gt;</rdf:li></rdf:Alt></dc:title><photoshop:Credit>A &amp; B</photoshop:Credit>` +
    `</rdf:Description></rdf:RDF></x:xmpmeta>`;
  await sharp({ create: { width: 50, height: 40, channels: 3, background: '#345' } }).withXmp(xmp).jpeg().toFile(p.path('m42.jpg'));
  fs.mkdirSync(p.path('incoming'));
  fs.renameSync(p.path('m42.jpg'), p.path('incoming/m42.jpg'));
  const run = p.json(['all', ...base]);
  assert.is(run.code, 0, run.stderr);
  const wtml = fs.readFileSync(p.path('repo/m42/index.wtml'), 'utf8');
  assert.ok(wtml.includes('Name="M 42 &amp; &lt;script&gt;"'), wtml);
  assert.ok(wtml.includes('<Credits>A &amp; B</Credits>'));
  assert.not.ok(wtml.includes('<script>'));
  p.remove();
});

test('the bundled example builds from its config', () => {
  const p = new TempProject('imgbuild-example-');
  fs.cpSync(path.join(process.cwd(), 'example', 'incoming'), p.path('example/incoming'), { recursive: true });
  fs.copyFileSync(path.join(process.cwd(), 'pipeline.config.ts'), p.path('pipeline.config.ts'));
  const run = p.json(['all']);
  assert.is(run.code, 0, run.stderr);
  assert.is(run.report.failed!.length, 0);
  const root = fs.readFileSync(p.path('example/repo/index.wtml'), 'utf8');
  assert.is(root.match(/<Place /g)?.length, 3);
  const dss = fs.readFileSync(p.path('example/repo/dss-proxima-cen/index_rel.wtml'), 'utf8');
  // The DSS plate's CRVAL, carried through the sidecar.
  assert.match(dss, /CenterX="217\.4841640479" CenterY="-62\.685405575038"/);
  p.remove();
});

test.run();
