// One contract, three data repositories: a local folder, Azure Blob Storage (Azurite) and S3 (s3rver), the
// remote two behind a fault-injecting proxy on 127.0.0.1 that counts uploads and fails requests on demand.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openRepository, type RepositorySpec } from '../src/repo/repository-spec.js';
import type { Repository } from '../src/repo/repository.js';
import { writeCoordinatePng } from './helpers/images.js';
import { ageFiles, ids, TempProject } from './helpers/project.js';
import { azureConnectionString, type FaultProxy, S3_CREDENTIALS, startAzurite, startFaultProxy, startS3, type RunningServer } from './helpers/servers.js';

interface Backend {
  readonly name: string;
  /** CLI flags naming the repository (a fresh folder/prefix each call). */
  flags(project: TempProject, scope: string): string[];
  spec(project: TempProject, scope: string): RepositorySpec;
  readonly env: Record<string, string>;
  readonly proxy?: FaultProxy;
  /** Content-Type and Cache-Control as the server stores them. */
  headers?(spec: RepositorySpec, path: string): Promise<{ contentType?: string; cacheControl?: string }>;
  stop(): Promise<void>;
}

const CONN_ENV = 'IMGBUILD_TEST_AZURE_CONN';

async function localBackend(): Promise<Backend> {
  return {
    name: 'local',
    flags: (p, scope) => ['--local', p.path(`repo-${scope}`)],
    spec: (p, scope) => ({ kind: 'local', dir: p.path(`repo-${scope}`) }),
    env: {},
    stop: async () => undefined,
  };
}

async function azureBackend(): Promise<Backend> {
  const azurite = await startAzurite();
  const proxy = await startFaultProxy(azurite.url);
  const conn = azureConnectionString(proxy.url);
  return {
    name: 'azure',
    flags: (_p, scope) => ['--azure-conn-env', CONN_ENV, '--azure-container', 'data', '--azure-path-prefix', scope],
    spec: (_p, scope) => ({ kind: 'azure', connEnv: CONN_ENV, container: 'data', pathPrefix: scope }),
    env: { [CONN_ENV]: conn },
    proxy,
    headers: async (spec, p) => {
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const s = spec as Extract<RepositorySpec, { kind: 'azure' }>;
      const props = await BlobServiceClient.fromConnectionString(azureConnectionString(azurite.url)).getContainerClient(s.container).getBlobClient(`${s.pathPrefix}/${p}`).getProperties();
      return { ...(props.contentType ? { contentType: props.contentType } : {}), ...(props.cacheControl ? { cacheControl: props.cacheControl } : {}) };
    },
    stop: async () => {
      await proxy.stop();
      await azurite.stop();
    },
  };
}

async function s3Backend(): Promise<Backend> {
  const server: RunningServer = await startS3(['imgbuild']);
  const proxy = await startFaultProxy(server.url);
  return {
    name: 's3',
    flags: (_p, scope) => ['--s3-bucket', 'imgbuild', '--s3-prefix', scope, '--s3-endpoint', proxy.url],
    spec: (_p, scope) => ({ kind: 's3', bucket: 'imgbuild', prefix: scope, endpoint: proxy.url }),
    env: S3_CREDENTIALS,
    proxy,
    headers: async (spec, p) => {
      const { S3Client, HeadObjectCommand } = await import('@aws-sdk/client-s3');
      const s = spec as Extract<RepositorySpec, { kind: 's3' }>;
      const client = new S3Client({ region: 'us-east-1', endpoint: server.url, forcePathStyle: true });
      const head = await client.send(new HeadObjectCommand({ Bucket: s.bucket, Key: `${s.prefix}/${p}` }));
      return { ...(head.ContentType ? { contentType: head.ContentType } : {}), ...(head.CacheControl ? { cacheControl: head.CacheControl } : {}) };
    },
    stop: async () => {
      await proxy.stop();
      await server.stop();
    },
  };
}

const PREFIX = 'https://data.example.org/wwt/';

function contract(makeBackend: () => Promise<Backend>, label: string): void {
  const t = suite<{ backend: Backend; project: TempProject; scope: number }>(label, {} as never);
  let scopeCounter = 0;
  const env = (ctx: { backend: Backend }): void => {
    Object.assign(process.env, ctx.backend.env);
  };

  t.before(async (ctx) => {
    ctx.backend = await makeBackend();
    ctx.project = new TempProject(`imgbuild-${label}-`);
    env(ctx);
  });
  t.after(async (ctx) => {
    await ctx.backend.stop();
    ctx.project.remove();
  });
  t.before.each((ctx) => {
    ctx.scope = ++scopeCounter;
    ctx.backend.proxy?.reset();
    if (ctx.backend.proxy) ctx.backend.proxy.policy = () => 'pass';
  });

  const open = (ctx: { backend: Backend; project: TempProject; scope: number }): Promise<Repository> => openRepository(ctx.backend.spec(ctx.project, `s${ctx.scope}`));
  /** This test's folders in the shared project (in-sN, work-sN, cache-sN) and its repository, as CLI flags. */
  const scoped = (ctx: { backend: Backend; project: TempProject; scope: number }): { scope: string; flags: string[] } => {
    const scope = `s${ctx.scope}`;
    return { scope, flags: ['--incoming', `in-${scope}`, '--work', `work-${scope}`, '--cache', `cache-${scope}`, '--publish-url-prefix', PREFIX, ...ctx.backend.flags(ctx.project, scope)] };
  };

  t('conditional replace and delete: only the version that was read', async (ctx) => {
    const repo = await open(ctx);
    assert.is(await repo.getVersioned('l/lock'), undefined);
    assert.is(await repo.createExclusive('l/lock', Buffer.from('lease-1')), true);
    const first = (await repo.getVersioned('l/lock'))!;
    assert.is(first.body.toString(), 'lease-1');
    const second = await repo.putIfMatch('l/lock', Buffer.from('lease-2'), first.etag);
    assert.ok(second !== undefined && second !== first.etag, 'a new version');
    assert.is(await repo.putIfMatch('l/lock', Buffer.from('stale writer'), first.etag), undefined, 'an old version does not replace');
    assert.is(await repo.deleteIfMatch('l/lock', first.etag), false, 'an old version does not delete');
    assert.is((await repo.get('l/lock'))?.toString(), 'lease-2');
    assert.is(await repo.deleteIfMatch('l/lock', (await repo.getVersioned('l/lock'))!.etag), true);
    assert.is(await repo.get('l/lock'), undefined);
    assert.is(await repo.deleteIfMatch('l/lock', first.etag), false, 'gone');
  });

  t('a 20 MiB file round-trips byte for byte through putFile and get', async (ctx) => {
    const repo = await open(ctx);
    const file = ctx.project.path(`big-${ctx.scope}.bin`);
    const bytes = Buffer.alloc(20 << 20);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    fs.writeFileSync(file, bytes);
    try {
      await repo.putFile('big/file.bin', file, { contentType: 'application/octet-stream' });
      const back = await repo.get('big/file.bin');
      assert.is(back?.length, bytes.length);
      assert.ok(back!.equals(bytes), 'same bytes (no aws-chunked framing stored)');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  t('put, get, list, folders, delete, create-exclusive', async (ctx) => {
    const repo = await open(ctx);
    assert.is(await repo.get('a/missing.txt'), undefined);
    await repo.put('a/one.txt', Buffer.from('one'), { contentType: 'text/plain' });
    // Every folder also holds a file directly, as a data set folder always does: s3rver (unlike S3, Azure and
    // the local adapter) reports a folder only when an object sits directly in it.
    await repo.put('b/top.txt', Buffer.from('top'), { contentType: 'text/plain' });
    await repo.put('b/c/two.txt', Buffer.from('two'), { contentType: 'text/plain' });
    assert.is((await repo.get('a/one.txt'))?.toString(), 'one');
    const listed: string[] = [];
    for await (const entry of repo.list('')) listed.push(`${entry.path}:${entry.size}`);
    assert.equal(listed.sort(), ['a/one.txt:3', 'b/c/two.txt:3', 'b/top.txt:3']);
    const underB: string[] = [];
    for await (const entry of repo.list('b/c/')) underB.push(entry.path);
    assert.equal(underB, ['b/c/two.txt']);
    assert.equal(await repo.folders(''), ['a', 'b']);
    assert.equal(await repo.folders('b'), ['c']);
    assert.is(await repo.createExclusive('a/lock', Buffer.from('x')), true);
    assert.is(await repo.createExclusive('a/lock', Buffer.from('y')), false);
    await repo.delete('a/one.txt');
    await repo.delete('a/one.txt'); // deleting what is gone is fine
    assert.is(await repo.get('a/one.txt'), undefined);
    let refused = false;
    await repo.put('../escape.txt', Buffer.from('x'), { contentType: 'text/plain' }).catch(() => (refused = true));
    assert.ok(refused, 'a path leaving the repository is refused');
  });

  t('a no-op is remembered only on a local folder, with the repository files it read; a remote one is asked every time', async (ctx) => {
    const p = ctx.project;
    const { scope, flags } = scoped(ctx);
    await writeCoordinatePng(p.path(`in-${scope}/small.png`), 300, 200);
    assert.is((await p.cliAsync(['all', ...flags])).code, 0);
    ageFiles(p.path(`in-${scope}`));
    ageFiles(p.path(`work-${scope}`));
    if (label === 'local') ageFiles(p.path(`repo-${scope}`));
    await p.cliAsync(['all', ...flags]);
    ctx.backend.proxy?.reset();
    const third = await p.cliAsync(['all', ...flags, '-v']);
    assert.match(third.stdout, 'nothing to do, 7 nodes up to date');
    const remembered = fs.readdirSync(p.path(`cache-${scope}`)).some((n) => n.startsWith('fresh-'));
    if (label === 'local') {
      assert.ok(remembered);
      assert.match(third.stdout, 'since the last no-op');
      // The manifest is a stamped repository file: another version published there is noticed.
      const manifestFile = p.path(`repo-${scope}/small/imgbuild.json`);
      fs.writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')), key: 'published by another machine' }));
      assert.equal(ids((await p.jsonAsync(['all', ...flags])).report.ran), ['index', 'publish:small']);
    } else {
      assert.not.ok(remembered, 'a remote repository can change behind our back');
      assert.not.match(third.stdout, 'since the last no-op');
      const asked = (name: string): boolean => ctx.backend.proxy?.requests.some((r) => r.url.split('?')[0]!.endsWith(`/${scope}/${name}`)) ?? false;
      assert.ok(asked('small/imgbuild.json') && asked('index.wtml'), `the manifest and the root index were asked for: ${JSON.stringify(ctx.backend.proxy?.requests)}`);
    }
  });

  t('first publish, a no-op republish uploads nothing, one changed image uploads only its changed files', async (ctx) => {
    const p = ctx.project;
    const { scope, flags } = scoped(ctx);
    p.copyFixture('eso_eso1723a_320.jpg', `in-${scope}/orion.jpg`);
    await writeCoordinatePng(p.path(`in-${scope}/plain.png`), 600, 400);
    const first = await p.jsonAsync(['all', ...flags]);
    assert.is(first.code, 0, first.stderr);
    const repo = await open(ctx);
    assert.ok(await repo.get('orion/index.wtml'));
    assert.ok(await repo.get('plain/2/2/2_3.png'));
    assert.is((await repo.get('index.wtml'))?.toString().match(/<Place /g)?.length, 2);
    const manifest = JSON.parse((await repo.get('plain/imgbuild.json'))!.toString());
    if (ctx.backend.headers) {
      const spec = ctx.backend.spec(p, scope);
      const tile = await ctx.backend.headers(spec, 'plain/2/2/2_3.png');
      assert.is(tile.contentType, 'image/png');
      assert.match(tile.cacheControl ?? '', /max-age=\d+/);
      assert.is((await ctx.backend.headers(spec, 'plain/index.wtml')).contentType, 'text/xml');
      assert.is((await ctx.backend.headers(spec, 'plain/thumb.jpg')).contentType, 'image/jpeg');
    }

    ctx.backend.proxy?.reset();
    const again = await p.jsonAsync(['all', ...flags]);
    assert.equal(again.report.ran, []);
    if (ctx.backend.proxy) {
      assert.is(ctx.backend.proxy.counts['PUT'] ?? 0, 0, 'a no-op republish uploads nothing');
      assert.is(ctx.backend.proxy.bytes['PUT'] ?? 0, 0);
    }

    // Same size, different pixels in one corner: only the tiles that see that corner change.
    const sharp = (await import('sharp')).default;
    await sharp(p.path(`in-${scope}/plain.png`)).composite([{ input: { create: { width: 20, height: 20, channels: 3, background: '#ff0000' } }, left: 0, top: 0 }]).toFile(p.path(`in-${scope}/plain2.png`));
    fs.renameSync(p.path(`in-${scope}/plain2.png`), p.path(`in-${scope}/plain.png`));
    ctx.backend.proxy?.reset();
    const changed = await p.jsonAsync(['all', ...flags, '-v']);
    assert.is(changed.code, 0, changed.stderr);
    assert.equal(ids(changed.report.ran), ['index', 'place:plain', 'publish:plain', 'review-index', 'thumbnail:plain', 'tiles:plain', 'wtml:plain']);
    const after = JSON.parse((await repo.get('plain/imgbuild.json'))!.toString());
    const changedFiles = (after.files as Array<{ path: string; sha256: string }>).filter((f) => manifest.files.find((g: { path: string; sha256: string }) => g.path === f.path)?.sha256 !== f.sha256);
    assert.ok(changedFiles.length > 0 && changedFiles.length < after.files.length, `${changedFiles.length} of ${after.files.length} files changed`);
    if (ctx.backend.proxy) {
      const puts = ctx.backend.proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.url);
      assert.not.ok(puts.some((u) => u.includes('/orion/')), 'nothing of the unchanged image is uploaded');
      const dataPuts = puts.filter((u) => u.includes('/plain/') && !u.includes('imgbuild.json') && !u.includes('.imgbuild-lock') && !u.includes('imgbuild.partial.json'));
      // Withdraw, then replace: the WTMLs are withdrawn before the tiles change and written again after them.
      const expected = new Set([...changedFiles.map((f) => f.path), 'index.wtml', 'index_rel.wtml']);
      assert.is(dataPuts.length, expected.size, `uploads: ${dataPuts.join(' ')}`);
    }
  });

  t('a data set made by toasty counts as done; skip.flag means never process it', async (ctx) => {
    const p = ctx.project;
    const { scope, flags } = scoped(ctx);
    const repo = await open(ctx);
    const toastyWtml = `<?xml version='1.0' encoding='UTF-8'?>\n<Folder Name="t"><Place Name="Made by toasty" RA="1" Dec="2"><ForegroundImageSet><ImageSet Name="t"/></ForegroundImageSet></Place></Folder>\n`;
    await repo.put('toasty-made/index.wtml', Buffer.from(toastyWtml), { contentType: 'text/xml' });
    await repo.put('unwanted/skip.flag', Buffer.from(''), { contentType: 'text/plain' });
    await writeCoordinatePng(p.path(`in-${scope}/toasty-made.png`), 100, 80);
    await writeCoordinatePng(p.path(`in-${scope}/unwanted.png`), 100, 80);
    await writeCoordinatePng(p.path(`in-${scope}/fresh.png`), 100, 80);
    const dry = (await p.jsonAsync(['all', ...flags, '--dry-run'])).report;
    const run = await p.jsonAsync(['all', ...flags]);
    assert.is(run.code, 0, run.stderr);
    const skipped = run.report.skipped!;
    assert.equal(ids(run.report.ran), ids(dry.run), 'dry run = real run, skips included');
    assert.equal(ids(skipped), ids(dry.skipped));
    assert.match(skipped.find((s) => s.id === 'place:toasty-made')!.why, /already published by another tool/);
    assert.match(skipped.find((s) => s.id === 'place:unwanted')!.why, /unwanted\/skip\.flag/);
    assert.ok(skipped.some((s) => s.id === 'publish:unwanted'), 'what depends on a skipped node is skipped');
    assert.equal(ids(run.report.ran).filter((i) => i.startsWith('publish:')), ['publish:fresh']);
    assert.is((await repo.get('toasty-made/index.wtml'))?.toString(), toastyWtml, 'toasty’s data set is left alone');
    assert.is(await repo.get('unwanted/index.wtml'), undefined);
    const root = (await repo.get('index.wtml'))!.toString();
    const names = [...root.matchAll(/<Place [^>]*?Name="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(names, ['fresh', 'Made by toasty'], 'the toasty data set is indexed, after the newer one');
    const again = await p.jsonAsync(['all', ...flags]);
    assert.equal(again.report.ran, [], 'skipped data sets stay skipped and do not wake the root index');
    assert.equal(ids(again.report.skipped), ids(skipped));
  });

  t("imgbuild-pipeline-config.yaml beside toasty's: it wins over toasty's, its params reach the rules, the config wins over both, mistakes name the file", async (ctx) => {
    const scope = `s${ctx.scope}`;
    const p = new TempProject(`imgbuild-${label}-settings-`);
    const flags = ['--incoming', 'in', ...ctx.backend.flags(p, scope)];
    const repo = await openRepository(ctx.backend.spec(p, scope));
    const yaml = { contentType: 'text/yaml' };
    await repo.put('toasty-pipeline-config.yaml', Buffer.from('publish_url_prefix: https://toasty.example.org/\nfolder_name: From toasty\n'), yaml);
    await repo.put('imgbuild-pipeline-config.yaml', Buffer.from('publish_url_prefix: https://imgbuild.example.org/wwt/\nparams:\n  thumbnail:\n    width: 64\n    height: 30\n'), yaml);
    await writeCoordinatePng(p.path('in/a.png'), 300, 200);
    const first = await p.jsonAsync(['all', ...flags]);
    assert.is(first.code, 0, first.stderr);
    assert.match((await repo.get('a/index.wtml'))!.toString(), 'Url="https://imgbuild.example.org/wwt/a/{1}/{3}/{3}_{2}.png"');
    assert.match((await repo.get('index.wtml'))!.toString(), /<Folder [^>]*Name="From toasty"/);
    const sharp = (await import('sharp')).default;
    const thumbSize = async (): Promise<number[]> => {
      const meta = await sharp((await repo.get('a/thumb.jpg'))!).metadata();
      return [meta.width!, meta.height!];
    };
    assert.equal(await thumbSize(), [64, 30]);

    // The config overrides the repository parameter by parameter.
    p.write('pipeline.config.ts', "import { defineConfig } from 'imgbuild';\nexport default defineConfig({ params: { thumbnail: { width: 80 } } });\n");
    const dry = (await p.jsonAsync(['all', ...flags, '--dry-run'])).report;
    assert.equal(ids(dry.run), ['index', 'publish:a', 'review-index', 'thumbnail:a']);
    assert.is(dry.run!.find((r) => r.id === 'thumbnail:a')!.why, 'parameter changed: width');
    assert.is((await p.cliAsync(['all', ...flags])).code, 0);
    assert.equal(await thumbSize(), [80, 30]);

    await repo.put('imgbuild-pipeline-config.yaml', Buffer.from('params:\n  thumbnail:\n    colour: red\n'), yaml);
    const badParam = await p.cliAsync(['all', ...flags]);
    assert.is(badParam.code, 2);
    assert.match(badParam.stderr, /imgbuild-pipeline-config\.yaml in .*: params\.thumbnail\.colour is set, but rule thumbnail has no parameter colour/);
    await repo.put('imgbuild-pipeline-config.yaml', Buffer.from('folder: somewhere\n'), yaml);
    const badKey = await p.cliAsync(['all', ...flags]);
    assert.is(badKey.code, 2);
    assert.match(badKey.stderr, /imgbuild-pipeline-config\.yaml in .*: unknown setting "folder"/);
    p.remove();
  });

  t('two publishers at once: both finish, every data set is whole, the last index lists them all', async (ctx) => {
    const scope = `s${ctx.scope}`;
    const projects = [new TempProject(`imgbuild-${label}-a-`), new TempProject(`imgbuild-${label}-b-`)];
    const names = [['a1', 'a2', 'shared'], ['b1', 'b2', 'shared']];
    for (const [i, project] of projects.entries()) {
      // `shared` differs between the two (size and so every tile): interleaved uploads would not match either manifest.
      for (const name of names[i]!) await writeCoordinatePng(project.path(`incoming/${name}.png`), name === 'shared' ? 700 - 120 * i : 300 + 40 * i, 300);
    }
    // Both point at one repository (same folder or prefix), each from its own work folder and cache.
    const repoFlags = ctx.backend.flags(ctx.project, scope);
    const runs = await Promise.all(projects.map((project) => project.jsonAsync(['all', '--publish-url-prefix', PREFIX, ...repoFlags])));
    for (const run of runs) assert.is(run.code, 0, `${run.stderr}\n${JSON.stringify(run.report.failed)}`);
    const repo = await open(ctx);
    for (const id of ['a1', 'a2', 'b1', 'b2', 'shared']) {
      const manifest = JSON.parse((await repo.get(`${id}/imgbuild.json`))!.toString());
      for (const file of manifest.files as Array<{ path: string; size: number; sha256: string }>) {
        const bytes = await repo.get(`${id}/${file.path}`);
        assert.ok(bytes, `${id}/${file.path}`);
        assert.is(crypto.createHash('sha256').update(bytes).digest('hex'), file.sha256, `${id}/${file.path} matches its manifest byte for byte`);
      }
      assert.is(await repo.get(`${id}/.imgbuild-lock`), undefined);
    }
    assert.is(await repo.get('.imgbuild-index-lock'), undefined);
    const root = (await repo.get('index.wtml'))!.toString();
    assert.is(root.match(/<Place /g)?.length, 5, root);
    projects.forEach((project) => project.remove());
  });

  t('stages: process uploads nothing, a rejected image is not published, reindex works from a bare machine', async (ctx) => {
    const p = ctx.project;
    const { scope, flags } = scoped(ctx);
    await writeCoordinatePng(p.path(`in-${scope}/keep.png`), 200, 100);
    await writeCoordinatePng(p.path(`in-${scope}/drop.png`), 200, 100);
    ctx.backend.proxy?.reset();
    const processed = await p.jsonAsync(['process', ...flags]);
    assert.is(processed.code, 0, processed.stderr);
    assert.equal(ids(processed.report.ran).filter((i) => i.startsWith('publish') || i === 'index'), []);
    assert.ok(fs.existsSync(p.path(`work-${scope}/keep/index_rel.wtml`)));
    if (ctx.backend.proxy) assert.is(ctx.backend.proxy.counts['PUT'] ?? 0, 0, 'process uploads nothing');
    const repo = await open(ctx);
    assert.equal(await repo.folders(''), []);
    // The reviewer rejects one image; publishing skips it, with the reason.
    const rejected = await p.cliAsync(['reject', 'drop', '--why', 'stars are trailed', ...flags], ctx.backend.env);
    assert.is(rejected.code, 0, rejected.stderr);
    const published = await p.jsonAsync(['all', ...flags]);
    assert.is(published.code, 0, published.stderr);
    assert.equal(ids(published.report.ran), ['index', 'publish:keep'], 'nothing is processed again');
    assert.match(published.report.skipped!.find((s) => s.id === 'publish:drop')!.why, /rejected by a reviewer: stars are trailed/);
    assert.equal(await repo.folders(''), ['keep']);
    // Another machine with no work folder and no cache can rebuild the root index from the repository.
    await repo.put('toasty-pipeline-config.yaml', Buffer.from('folder_name: "From the repository"\npublish_url_prefix: https://cdn.example.org/\n'), { contentType: 'text/yaml' });
    const bare = new TempProject(`imgbuild-${label}-bare-`);
    const reindex = await bare.jsonAsync(['reindex', ...ctx.backend.flags(p, scope)]);
    assert.is(reindex.code, 0, reindex.stderr);
    assert.equal(ids(reindex.report.ran), ['index']);
    // reindex always rebuilds, even when nothing local changed: the repository may have.
    const again = await bare.jsonAsync(['reindex', ...ctx.backend.flags(p, scope)]);
    assert.equal(again.report.ran!.map((r) => r.why), ['asked for on the command line']);
    const root = (await repo.get('index.wtml'))!.toString();
    assert.match(root, /Name="From the repository"/, 'folder_name comes from toasty-pipeline-config.yaml');
    assert.is(root.match(/<Place /g)?.length, 1);
    bare.remove();
  });

  if (label !== 'local') {
    t('an interrupted publish resumes without uploading again what is already there', async (ctx) => {
      const p = ctx.project;
      const { scope, flags } = scoped(ctx);
      await writeCoordinatePng(p.path(`in-${scope}/resume.png`), 1500, 1000);
      const failing = (url: string): boolean => /\/resume\/3\/3\//.test(url);
      ctx.backend.proxy!.policy = ({ method, url }) => (method === 'PUT' && failing(url) ? 'fail-503' : 'pass');
      const first = await p.jsonAsync(['all', ...flags]);
      assert.is(first.code, 1);
      const uploadedBefore = new Set(
        ctx.backend.proxy!.requests.filter((r) => r.method === 'PUT' && r.url.includes('/resume/') && !failing(r.url) && !/imgbuild\.|\.imgbuild-lock/.test(r.url)).map((r) => r.url.split('?')[0]),
      );
      assert.ok(uploadedBefore.size > 0, 'some files made it before the failure');
      ctx.backend.proxy!.policy = () => 'pass';
      ctx.backend.proxy!.reset();
      const second = await p.jsonAsync(['all', ...flags]);
      assert.is(second.code, 0, second.stderr);
      const uploadedAgain = ctx.backend.proxy!.requests.filter((r) => r.method === 'PUT' && uploadedBefore.has(r.url.split('?')[0]!));
      assert.equal(uploadedAgain, [], 'nothing already uploaded is sent twice');
      const repo = await open(ctx);
      assert.is(await repo.get('resume/imgbuild.partial.json'), undefined, 'the progress record is gone once the manifest is written');
      const manifest = JSON.parse((await repo.get('resume/imgbuild.json'))!.toString());
      for (const file of manifest.files as Array<{ path: string; size: number }>) assert.is((await repo.get(`resume/${file.path}`))?.length, file.size, file.path);
    });

    t('transient server failures are retried and the publish completes', async (ctx) => {
      const p = ctx.project;
      const { scope, flags } = scoped(ctx);
      await writeCoordinatePng(p.path(`in-${scope}/flaky.png`), 600, 400);
      // Every second distinct request fails on its first attempt (503 or a cut connection) and succeeds when
      // retried: deterministic, so the test cannot flake on an unlucky run of faults.
      let failures = 0;
      const seen = new Set<string>();
      ctx.backend.proxy!.policy = ({ method, url }) => {
        const request = `${method} ${url}`;
        if (seen.has(request)) return 'pass';
        seen.add(request);
        if (seen.size % 2 === 1) return 'pass';
        failures++;
        return failures % 2 === 0 ? 'fail-503' : 'reset';
      };
      const run = await p.jsonAsync(['all', ...flags]);
      assert.is(run.code, 0, `${run.stderr}\n${JSON.stringify(run.report.failed)}`);
      assert.ok(failures >= 5, `faults injected: ${failures}`);
      ctx.backend.proxy!.policy = () => 'pass';
      const repo = await open(ctx);
      const manifest = JSON.parse((await repo.get('flaky/imgbuild.json'))!.toString());
      for (const file of manifest.files as Array<{ path: string; size: number }>) {
        assert.is((await repo.get(`flaky/${file.path}`))?.length, file.size, file.path);
      }
    });

    t('a publish that cannot finish leaves the previous version and its manifest intact', async (ctx) => {
      const p = ctx.project;
      const { scope, flags } = scoped(ctx);
      await writeCoordinatePng(p.path(`in-${scope}/stable.png`), 300, 200);
      assert.is((await p.jsonAsync(['all', ...flags])).code, 0);
      const repo = await open(ctx);
      const before = (await repo.get('stable/imgbuild.json'))!.toString();
      await writeCoordinatePng(p.path(`in-${scope}/stable.png`), 310, 200);
      // The server accepts reads but fails every upload of this data set's files, for good.
      ctx.backend.proxy!.policy = ({ method, url }) => (method === 'PUT' && url.includes('/stable/') && !url.includes('.imgbuild-lock') ? 'fail-503' : 'pass');
      const run = await p.jsonAsync(['all', ...flags]);
      ctx.backend.proxy!.policy = () => 'pass';
      assert.is(run.code, 1);
      assert.equal(ids(run.report.failed), ['publish:stable']);
      assert.match(run.report.failed![0]!.error!, /failed/);
      assert.is((await repo.get('stable/imgbuild.json'))!.toString(), before, 'the manifest still describes the last complete version');
      assert.is(await repo.get('stable/.imgbuild-lock'), undefined, 'the lock is released');
      // The next run, with the server healthy again, finishes the job.
      const retry = await p.jsonAsync(['all', ...flags]);
      assert.is(retry.code, 0, retry.stderr);
      assert.ok(ids(retry.report.ran).includes('publish:stable'));
    });
  }

  t.run();
}

contract(localBackend, 'local');
contract(azureBackend, 'azure');
contract(s3Backend, 's3');
