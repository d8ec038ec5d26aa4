// The shared cache of node outputs (--remote-cache): a folder, S3 (s3rver) and Azure (Azurite). Each "machine" is
// a project folder of its own (its own work, cache and repository) sharing only the remote cache.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ids, listFiles, REPO_ROOT, TempProject } from './helpers/project.js';
import { TEXT_PIPELINE } from './helpers/text-pipeline.js';
import { azureConnectionString, S3_CREDENTIALS, startAzurite, type RunningServer } from './helpers/servers.js';
import { startS3Child } from './helpers/s3-child.js';
import { LocalRepository } from '../src/repo/local-repository.js';
import { RepositoryOutputCache } from '../src/remote/repository-output-cache.js';
import { pruneCache, parseSize, cacheStats } from '../src/remote/cache-maintenance.js';
import { createStaging } from '../src/run/staging.js';
import type { NodeOutput } from '../src/graph/build-graph.js';
import { hashFileContents } from '../src/cache/file-hasher.js';

const test = suite('remote cache');

/** The built-in WWT pipeline, with the tiles rule counting its runs in tiles-runs.txt (the proof no tiling happened). */
const COUNTING_CONFIG = `
import fs from 'node:fs';
import { defineConfig, defineRule, wwtStudyRules } from 'imgbuild';
export default defineConfig({
  publishUrlPrefix: 'https://data.example.org/wwt/',
  folderName: 'test',
  rules: wwtStudyRules().map((rule) =>
    rule.name !== 'tiles' ? rule : defineRule({ ...rule, run: async (ctx) => { fs.appendFileSync('tiles-runs.txt', ctx.item + '\\n'); await rule.run!(ctx); } }),
  ),
});
`;

/** A machine: a project with the example's images under `names`. */
function machine(names: readonly string[] = ['orion-a', 'orion-b']): TempProject {
  const p = new TempProject('imgbuild-rc-');
  p.write('pipeline.config.ts', COUNTING_CONFIG);
  for (const name of names) p.write(`incoming/${name}.jpg`, fs.readFileSync(path.join(REPO_ROOT, 'example/incoming/orion-vst.jpg')));
  return p;
}

const tilesRuns = (p: TempProject): string[] => (fs.existsSync(p.path('tiles-runs.txt')) ? fs.readFileSync(p.path('tiles-runs.txt'), 'utf8').trim().split('\n').filter(Boolean) : []);

function sameTree(a: string, b: string): void {
  const files = listFiles(a);
  assert.equal(listFiles(b), files);
  for (const f of files) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
}

/** miss → run → store on one machine; the other restores, runs no tiling, and has the same work folder. */
async function missThenRestore(flags: string[], env: Record<string, string>): Promise<void> {
  const one = machine();
  const two = machine();
  try {
    const first = await one.jsonAsync(['all', ...flags], env);
    assert.is(first.code, 0, first.stderr);
    assert.equal((first.report as { restored?: unknown[] }).restored, [], 'a cold cache restores nothing');
    assert.equal(tilesRuns(one).sort(), ['orion-a', 'orion-b']);
    const dry = await two.jsonAsync(['all', '--dry-run', ...flags], env);
    const planned = dry.report.run as Array<{ id: string; restore?: boolean }>;
    assert.equal(planned.filter((r) => r.restore).map((r) => r.id).sort(), ids(first.report.ran).filter((id) => !/^(publish|index|review-index):?/.test(id)));
    const second = await two.jsonAsync(['all', ...flags], env);
    assert.is(second.code, 0, second.stderr);
    const restored = ids((second.report as { restored?: Array<{ id: string; rule: string; why: string; reason: string }> }).restored);
    assert.ok(restored.includes('tiles:orion-a') && restored.includes('tiles:orion-b'), restored.join(' '));
    assert.ok(!ids(second.report.ran).some((id) => id.startsWith('tiles:')), 'no tiles node ran');
    assert.equal(tilesRuns(two), [], "the tiles rule's code did not run");
    // Publishing and indexing act on the repository: they ran, never restored.
    assert.ok(ids(second.report.ran).includes('publish:orion-a') && ids(second.report.ran).includes('index'));
    assert.not.ok(restored.some((id) => /^(publish|index|review-index)/.test(id)));
    sameTree(one.path('work', 'orion-a', 'tiles'), two.path('work', 'orion-a', 'tiles'));
    sameTree(one.path('repo', 'orion-b', '0'), two.path('repo', 'orion-b', '0'));
    // The restored outputs are recorded like built ones: the next run is a no-op.
    const third = await two.jsonAsync(['all', ...flags], env);
    assert.equal(ids(third.report.ran), []);
    assert.equal((third.report as { restored?: unknown[] }).restored, []);
  } finally {
    one.remove();
    two.remove();
  }
}

test('a folder: miss, run, store; another machine restores instead of tiling; publish and index always run', async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  try {
    await missThenRestore(['--remote-cache', `file://${shared.dir}`], {});
    // Nothing of a rule with cache: false was stored.
    const entries = listFiles(shared.path('entries')).map((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8')) as { rule: string });
    assert.equal([...new Set(entries.map((e) => e.rule))].sort(), ['place', 'thumbnail', 'tiles', 'wtml']);
  } finally {
    shared.remove();
  }
});

test('S3 (s3rver) and Azure (Azurite): the same, credentials from the environment only', async () => {
  const s3 = await startS3Child(['cache']);
  let azurite: RunningServer | undefined;
  try {
    await missThenRestore(['--remote-cache', 's3://cache/shared', '--s3-endpoint', s3.url], S3_CREDENTIALS);
    azurite = await startAzurite();
    await missThenRestore(['--remote-cache', 'azure://imgbuild-cache/shared', '--remote-cache-conn-env', 'RC_CONN'], { RC_CONN: azureConnectionString(azurite.url) });
  } finally {
    await s3.stop();
    await azurite?.stop();
  }
});

test('a damaged or partial entry is a miss, told, never restored; the run repairs it', async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  const one = machine(['orion-a']);
  const two = machine(['orion-a']);
  const three = machine(['orion-a']);
  try {
    const flags = ['--remote-cache', `file://${shared.dir}`];
    assert.is(one.cli(['all', ...flags]).code, 0);
    // Damage one tile's blob (same size, other bytes), and remove the thumbnail entry's blob.
    const tilesEntry = listFiles(shared.path('entries')).map((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8'))).find((e) => e.rule === 'tiles');
    const [, , , hash] = tilesEntry.files[0];
    const blob = shared.path('blobs', hash.slice(0, 2), hash);
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(blob, bytes);
    const thumbEntry = listFiles(shared.path('entries')).map((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8'))).find((e) => e.rule === 'thumbnail');
    fs.rmSync(shared.path('blobs', thumbEntry.files[0][3].slice(0, 2), thumbEntry.files[0][3]));
    const second = two.json(['all', ...flags]);
    assert.is(second.code, 0, second.stderr);
    assert.ok(ids(second.report.ran).includes('tiles:orion-a'), 'the damaged entry was not restored: tiles ran');
    assert.ok(ids(second.report.ran).includes('thumbnail:orion-a'));
    assert.equal(tilesRuns(two), ['orion-a']);
    const warnings = (second.report.warnings ?? []).map((w) => `${w.id}: ${w.message}`).join('\n');
    assert.match(warnings, /tiles:orion-a: the remote cache's entry for this node is damaged \(.*does not have the bytes the entry lists/);
    assert.match(warnings, /thumbnail:orion-a: .*gone from the cache/);
    sameTree(one.path('work', 'orion-a', 'tiles'), two.path('work', 'orion-a', 'tiles'));
    // The run stored the entry again: a third machine restores it whole.
    const third = three.json(['all', ...flags]);
    assert.ok(ids((third.report as { restored?: Array<{ id: string; rule: string; why: string; reason: string }> }).restored).includes('tiles:orion-a'), third.stderr);
    assert.equal(tilesRuns(three), []);
    sameTree(one.path('work', 'orion-a', 'tiles'), three.path('work', 'orion-a', 'tiles'));
    // An entry whose index is not ours is unusable, told, and the node runs.
    const index = listFiles(shared.path('entries')).find((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8')).rule === 'place')!;
    fs.writeFileSync(shared.path('entries', index), '{"format":"something-else"}');
    fs.rmSync(three.path('work'), { recursive: true });
    const fourth = three.json(['all', ...flags]);
    assert.match((fourth.report.warnings ?? []).map((w) => w.message).join('\n'), /entry for this node is unusable \(its format is "something-else"/);
    assert.ok(ids(fourth.report.ran).includes('place:orion-a'));
    // An index with a file taken out of its list (it would restore part of a pyramid) is unusable too.
    const tilesIndex = listFiles(shared.path('entries')).find((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8')).rule === 'tiles')!;
    const edited = JSON.parse(fs.readFileSync(shared.path('entries', tilesIndex), 'utf8'));
    edited.files.pop();
    fs.writeFileSync(shared.path('entries', tilesIndex), JSON.stringify(edited));
    fs.rmSync(three.path('work'), { recursive: true });
    const fifth = three.json(['all', ...flags]);
    assert.match((fifth.report.warnings ?? []).map((w) => `${w.id}: ${w.message}`).join('\n'), /tiles:orion-a: the remote cache's entry for this node is unusable \(its index does not match its own digest/);
    assert.ok(ids(fifth.report.ran).includes('tiles:orion-a'));
    sameTree(one.path('work', 'orion-a', 'tiles'), three.path('work', 'orion-a', 'tiles'));
  } finally {
    for (const p of [shared, one, two, three]) p.remove();
  }
});

const OUTPUTS = (root: string): NodeOutput[] => [{ name: 'tiles', path: path.join(root, 'tiles'), relative: 'tiles', folder: true }];

function writeOutputs(dir: string, seed: string, n: number): Array<{ path: string; output: string; relative: string; size: number; hash: string }> {
  const files = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, 'tiles', `${i}.bin`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${seed}-${i}-`.repeat(200 + i));
    files.push({ path: file, output: 'tiles', relative: `${i}.bin`, size: fs.statSync(file).size, hash: hashFileContents(file) });
  }
  return files;
}

test('two machines storing the same address at once both succeed and leave one valid entry', async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  const a = new TempProject('imgbuild-rc-a-');
  const b = new TempProject('imgbuild-rc-b-');
  try {
    // Outputs that differ between the machines (a rule whose bytes are not deterministic): the worst case.
    const filesA = writeOutputs(a.dir, 'a', 40);
    const filesB = writeOutputs(b.dir, 'b', 40);
    const meta = { key: 'k', rule: 'tiles', item: 'x', outputs: OUTPUTS(a.dir), warnings: [] };
    const cacheA = new RepositoryOutputCache(new LocalRepository(shared.dir));
    const cacheB = new RepositoryOutputCache(new LocalRepository(shared.dir));
    for (let round = 0; round < 5; round++) await Promise.all([cacheA.put('ab' + 'c'.repeat(62), meta, filesA), cacheB.put('ab' + 'c'.repeat(62), meta, filesB)]);
    const found = await cacheA.lookup('ab' + 'c'.repeat(62));
    assert.is(found.kind, 'hit');
    const into = new TempProject('imgbuild-rc-into-');
    try {
      const staging = createStaging(into.dir, 'tiles:x', OUTPUTS(into.dir));
      const restored = await cacheA.restore((found as { entry: Parameters<RepositoryOutputCache['restore']>[0] }).entry, staging, OUTPUTS(into.dir));
      assert.ok(restored.ok, JSON.stringify(restored));
      const got = fs.readFileSync(path.join(staging.paths['tiles']!, '7.bin'), 'utf8');
      assert.ok(got.startsWith('a-7-') || got.startsWith('b-7-'));
      // Every file is from the same machine: an entry is one machine's whole.
      const from = got[0];
      for (let i = 0; i < 40; i++) assert.ok(fs.readFileSync(path.join(staging.paths['tiles']!, `${i}.bin`), 'utf8').startsWith(`${from}-${i}-`));
    } finally {
      into.remove();
    }
  } finally {
    for (const p of [shared, a, b]) p.remove();
  }
});

test("a store that fails half-way through a put leaves no entry: the index is written after every file", async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  const src = new TempProject('imgbuild-rc-src-');
  try {
    const local = new LocalRepository(shared.dir);
    let uploads = 0;
    // The store stops answering after 10 files (a network gone, a killed process: the same for a reader).
    class Failing extends LocalRepository {
      override async putFile(p: string, file: string, o: { contentType: string }): Promise<void> {
        // The 11th upload fails while the first ten are still under way.
        if (++uploads > 10) throw new Error('connection reset');
        await new Promise((r) => setTimeout(r, 50));
        await super.putFile(p, file, o);
      }
    }
    const failing = new Failing(shared.dir);
    const files = writeOutputs(src.dir, 'x', 30);
    const address = 'ee' + '1'.repeat(62);
    let threw = false;
    try {
      await new RepositoryOutputCache(failing).put(address, { key: 'k', rule: 'tiles', item: 'x', outputs: OUTPUTS(src.dir), warnings: [] }, files);
    } catch {
      threw = true;
    }
    assert.ok(threw, 'the put failed');
    assert.is((await new RepositoryOutputCache(local).lookup(address)).kind, 'miss', 'no entry names files that were never stored');
    // The put failed only once the uploads under way had ended: nothing is still writing into the cache.
    assert.is(listFiles(shared.path('blobs')).length, 10, 'the ten uploads under way finished before the put failed');
  } finally {
    shared.remove();
    src.remove();
  }
});

test('cache prune --max-size drops the least recently used entries, then the files no entry names; stats', async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  const src = new TempProject('imgbuild-rc-src-');
  try {
    const store = new LocalRepository(shared.dir);
    const cache = new RepositoryOutputCache(store);
    const addresses = ['01', '02', '03'].map((p) => p + '0'.repeat(62));
    for (const [i, address] of addresses.entries()) {
      const files = writeOutputs(path.join(src.dir, String(i)), `entry${i}`, 5);
      await cache.put(address, { key: address, rule: 'tiles', item: String(i), outputs: OUTPUTS(src.dir), warnings: [] }, files);
      // Last used: entry 0 longest ago.
      const entryFile = shared.path('entries', address.slice(0, 2), `${address}.json`);
      const t = new Date(Date.now() - (10 - i) * 3600_000);
      fs.utimesSync(entryFile, t, t);
      for (const f of files) fs.utimesSync(shared.path('blobs', f.hash.slice(0, 2), f.hash), new Date(0), new Date(0));
    }
    const before = await cacheStats(store);
    assert.is(before.entries, 3);
    assert.is(before.blobs, 15);
    const perEntry = Math.ceil(before.bytes / 3);
    const dry = await pruneCache(store, { maxBytes: 2 * perEntry + 10, dryRun: true });
    assert.is(dry.removedEntries, 1);
    assert.is((await cacheStats(store)).entries, 3, 'a dry run removes nothing');
    const result = await pruneCache(store, { maxBytes: 2 * perEntry + 10 });
    assert.is(result.removedEntries, 1);
    assert.is(result.removedBlobs, 5);
    assert.is((await cache.lookup(addresses[0]!)).kind, 'miss', 'the least recently used went');
    assert.is((await cache.lookup(addresses[2]!)).kind, 'hit');
    assert.is(result.after.entries, 2);
    assert.ok(result.after.bytes <= 2 * perEntry + 10);
    // Fresh blobs no entry names yet (an entry being stored) stay within the grace period.
    const pending = writeOutputs(path.join(src.dir, 'p'), 'pending', 3);
    for (const f of pending) await store.putFile(`blobs/${f.hash.slice(0, 2)}/${f.hash}`, f.path, { contentType: 'application/octet-stream' });
    // A young entry's files go with it (an entry named them: they are no entry being stored).
    const young = writeOutputs(path.join(src.dir, 'y'), 'young', 4);
    await cache.put('09' + '0'.repeat(62), { key: 'y', rule: 'tiles', item: 'y', outputs: OUTPUTS(src.dir), warnings: [] }, young);
    const again = await pruneCache(store, { maxBytes: 0 });
    assert.is(again.removedEntries, 3);
    assert.is(again.keptYoung, 3);
    assert.is(again.after.blobs, 3, 'only the pending blobs stay');
    const cli = src.cli(['cache', 'stats', '--remote-cache', `file://${shared.dir}`]);
    assert.match(cli.stdout, /0 entries, 3 files/);
    const dryCli = src.cli(['cache', 'prune', '--max-size', '0', '--grace', '0', '--dry-run', '--remote-cache', `file://${shared.dir}`]);
    assert.match(dryCli.stdout, /would remove 0 entries and 3 files, .* \(dry run: nothing removed\)/);
    const pruned = src.cli(['cache', 'prune', '--max-size', '0', '--grace', '0', '--remote-cache', `file://${shared.dir}`, '--json']);
    assert.is(JSON.parse(pruned.stdout).removedBlobs, 3);
    assert.is(parseSize('50GB'), 50e9);
    assert.is(parseSize('1.5 MiB'), 1.5 * 2 ** 20);
    assert.is(parseSize('lots'), undefined);
    const bad = src.cli(['cache', 'prune', '--max-size', 'lots', '--remote-cache', `file://${shared.dir}`]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--max-size "lots": give a size such as 50GB/);
    assert.match(src.cli(['cache', 'stats', '--remote-cache', `file://${shared.dir}-typo`]).stderr, /there is no folder there \(a typo\? a share not mounted\?\)/);
    const none = src.cli(['cache', 'stats']);
    assert.match(none.stderr, /give --remote-cache URL/);
  } finally {
    shared.remove();
    src.remove();
  }
});

test("a rule's declared environment variables are part of its key; other items never share an entry", async () => {
  const shared = new TempProject('imgbuild-rc-shared-');
  const p = new TempProject('imgbuild-rc-env-');
  try {
    p.write(
      'pipeline.config.ts',
      `import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';
const stamp = defineRule({
  name: 'stamp', version: 1, env: ['STAMP_MODE'],
  forEach: { files: '{id}.txt' },
  inputs: (node) => ({ text: node.file! }),
  outputs: (node) => ({ out: \`\${node.item}.out\` }),
  run: (ctx) => { if (ctx.item === 'broken') throw new Error('this item fails'); ctx.warn('a note about ' + ctx.item); fs.appendFileSync('runs.txt', ctx.item + '\\n'); fs.writeFileSync(ctx.outputs.out!, ctx.item + ':' + (process.env.STAMP_MODE ?? '-')); },
});
export default defineConfig({ rules: [stamp] });
`,
    );
    p.write('incoming/a.txt', 'same');
    p.write('incoming/b.txt', 'same');
    const flags = ['--remote-cache', `file://${shared.dir}`];
    // One at a time, so that b would find a's entry if entries were shared between items.
    p.write('incoming/broken.txt', 'same');
    const first = p.cli(['all', ...flags, '--json', '-j', '1', '--keep-going'], { STAMP_MODE: 'x' });
    assert.equal(ids(JSON.parse(first.stdout).ran), ['stamp:a', 'stamp:b'], 'byte-identical inputs, two items: each runs (an entry names its item)');
    // A node that failed stores nothing.
    assert.equal(ids(JSON.parse(first.stdout).failed), ['stamp:broken']);
    const stored = listFiles(shared.path('entries')).map((f) => JSON.parse(fs.readFileSync(shared.path('entries', f), 'utf8')).item).sort();
    assert.equal(stored, ['a', 'b']);
    fs.rmSync(p.path('incoming/broken.txt'));
    assert.is(fs.readFileSync(p.path('work/b.out'), 'utf8'), 'b:x');
    const again = JSON.parse(p.cli(['all', ...flags, '--json'], { STAMP_MODE: 'y' }).stdout);
    assert.equal(ids(again.ran), ['stamp:a', 'stamp:b']);
    assert.is(again.ran[0].reason, 'env-changed');
    assert.match(again.ran[0].why, /environment variable changed: STAMP_MODE/);
    // Back to x elsewhere: a restore, with x's bytes.
    fs.rmSync(p.path('work'), { recursive: true });
    fs.rmSync(p.path('cache'), { recursive: true });
    const back = JSON.parse(p.cli(['all', ...flags, '--json'], { STAMP_MODE: 'x' }).stdout);
    assert.equal(ids(back.restored), ['stamp:a', 'stamp:b']);
    assert.equal(back.warnings.map((w: { id: string; message: string }) => `${w.id}: ${w.message}`).sort(), ['stamp:a: a note about a', 'stamp:b: a note about b'], 'a restore says what the run warned');
    assert.is(fs.readFileSync(p.path('work/a.out'), 'utf8'), 'a:x');
    assert.is(fs.readFileSync(p.path('work/b.out'), 'utf8'), 'b:x');
    assert.is(fs.readFileSync(p.path('runs.txt'), 'utf8').trim().split('\n').length, 4);
    const badEnv = new TempProject('imgbuild-rc-env-');
    try {
      badEnv.write('pipeline.config.ts', `import { defineConfig, defineRule } from 'imgbuild';\nexport default defineConfig({ rules: [defineRule({ name: 'x', version: 1, env: ['NOT A NAME'], run: () => {} })] });\n`);
      assert.match(badEnv.cli(['all']).stderr, /env is a list of environment variable names/);
    } finally {
      badEnv.remove();
    }
  } finally {
    shared.remove();
    p.remove();
  }
});

test('--remote-cache: a clear line for what it cannot use, and secrets never shown', () => {
  const p = new TempProject('imgbuild-rc-flags-');
  try {
    // An unreachable cache (nothing listens there): said once, the build goes on without it.
    p.write('pipeline.config.ts', TEXT_PIPELINE());
    for (let i = 0; i < 6; i++) p.write(`incoming/t${i}.txt`, `text ${i}`);
    const down = p.cli(['all', '--json', '--remote-cache', 's3://cache/x', '--s3-endpoint', 'http://127.0.0.1:9'], { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' });
    assert.is(down.code, 0, down.stderr);
    const report = JSON.parse(down.stdout);
    assert.is(report.ran.length, 13);
    assert.is(report.warnings.length, 1, JSON.stringify(report.warnings));
    assert.match(report.warnings[0].message, /the remote cache is not used for the rest of this build/);
    const ftp = p.cli(['all', '--dry-run', '--remote-cache', 'ftp://user:hunter2@host/x']);
    assert.is(ftp.code, 2);
    assert.match(ftp.stderr, /ftp: is not a remote cache this tool can use; give file:\/\/\/shared\/folder, s3:\/\/bucket\/prefix or azure:\/\/container\/prefix/);
    assert.not.match(ftp.stderr + ftp.stdout, /hunter2/);
    const azure = p.cli(['all', '--dry-run', '--remote-cache', 'azure://cache/x']);
    assert.match(azure.stderr, /needs --remote-cache-conn-env NAME/);
    const unset = p.cli(['all', '--dry-run', '--remote-cache', 'azure://cache/x', '--remote-cache-conn-env', 'NOT_SET_ANYWHERE']);
    assert.match(unset.stderr, /NOT_SET_ANYWHERE/);
  } finally {
    p.remove();
  }
});

test.run();
