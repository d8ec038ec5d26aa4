// Feeds as sources (toasty's fetch stage): an AstroPix-style feed and a Djangoplicity-style site served by a
// local HTTP server; the real CLI builds, refreshes and publishes from them into a local-folder repository.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { astroPixEntry, FeedServer } from './helpers/feed-server.js';
import { ids, TempProject } from './helpers/project.js';
import { loadSharp } from '../src/wwt/sharp-loader.js';
import { startS3Child } from './helpers/s3-child.js';
import { startObservingProxy } from './helpers/fault-proxy.js';
import { S3_CREDENTIALS } from './helpers/servers.js';

const FAST = { IMGBUILD_FEED_BACKOFF_MS: '20', IMGBUILD_FEED_ATTEMPTS: '3' };

async function jpeg(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 90 }).toBuffer();
}

/** A project whose repository's toasty-pipeline-config.yaml names the feed, as a toasty user's does. */
function feedProject(config: string): TempProject {
  const p = new TempProject('imgbuild-feed-');
  p.write('repo/toasty-pipeline-config.yaml', `publish_url_prefix: https://data.example.org/feed/\nfolder_name: Feed\n${config}`);
  return p;
}

const imageIds = (server: FeedServer): string[] => server.requests('/images/', 200).map((r) => r.path).sort();

test('AstroPix feed: first run publishes every image; a rerun downloads nothing; a new, a changed and a removed item are followed', async () => {
  const server = await new FeedServer().start();
  const p = feedProject(`source_type: astropix\nastropix:\n  json_query_url: ${'URL'}/feed.json\n`);
  try {
    fs.writeFileSync(p.path('repo/toasty-pipeline-config.yaml'), fs.readFileSync(p.path('repo/toasty-pipeline-config.yaml'), 'utf8').replace('URL', server.url));
    const entries = [];
    for (const [i, id] of ['A1', 'B2', 'C3'].entries()) {
      server.set(`/images/${id}.jpg`, { body: await jpeg(400, 200, [40 * i, 100, 200]), type: 'image/jpeg' });
      entries.push(astroPixEntry(id, `${server.url}/images/${id}.jpg`, { ra: 150 + i, dec: 20 }));
    }
    const setFeed = (list: unknown[]): void => server.set('/feed.json', { body: Buffer.from(JSON.stringify(list)), type: 'application/json' });
    setFeed(entries);

    // The dry run reads the feed and lists what it would download, and why.
    const dry = await p.jsonAsync(['all', '--dry-run'], FAST);
    assert.is(dry.code, 0, dry.stderr);
    const wouldFetch = (dry.report.run ?? []).filter((r) => r.rule === 'fetch');
    assert.equal(ids(wouldFetch), ['fetch:test_a1', 'fetch:test_b2', 'fetch:test_c3']);
    assert.ok(wouldFetch.every((r) => r.why === 'new in the feed'), JSON.stringify(wouldFetch));
    assert.is(imageIds(server).length, 0, 'a dry run downloads no image');
    assert.not.ok(fs.existsSync(p.path('work')), 'a dry run writes nothing');

    const first = await p.jsonAsync(['all'], FAST);
    assert.is(first.code, 0, first.stderr);
    assert.equal(imageIds(server), ['/images/A1.jpg', '/images/B2.jpg', '/images/C3.jpg'], 'the dry run listed exactly what the real run downloaded');
    for (const id of ['test_a1', 'test_b2', 'test_c3']) {
      assert.ok(fs.existsSync(p.path('repo', id, 'imgbuild.json')), `${id} published`);
      assert.ok(fs.existsSync(p.path('repo', id, '0', '0', '0_0.png')), `${id} tiled`);
    }
    // Placement from the feed, rescaled to the real size: the image is centred on its reference value (the
    // reference pixel is the centre of a 800×400 reference image), 0.002°/px at 400 px wide.
    const wtml = fs.readFileSync(p.path('repo/test_b2/index.wtml'), 'utf8');
    assert.match(wtml, /Name="Image B2"/);
    const ra = Number(/<Place[^>]* RA="([^"]+)"/.exec(wtml)![1]);
    const dec = Number(/<Place[^>]* Dec="([^"]+)"/.exec(wtml)![1]);
    assert.ok(Math.abs(ra - 151 / 15) < 0.002 / 15, `RA ${ra}h`);
    assert.ok(Math.abs(dec - 20) < 0.002, `Dec ${dec}`);
    assert.match(wtml, /<CreditsUrl>https:\/\/example.org\/images\/B2<\/CreditsUrl>/);
    const index = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
    assert.is((index.match(/<Place /g) ?? []).length, 3);

    // Nothing new: one feed request (a conditional one, answered 304), no image, nothing run but the feed.
    server.clearLog();
    const again = await p.jsonAsync(['all'], FAST);
    assert.is(again.code, 0, again.stderr);
    // (The feed index takes note that nothing is pending any more; the root index is not rebuilt for that.)
    assert.equal(ids(again.report.ran), ['feed', 'feed-index']);
    assert.is(server.requests('/images/').length, 0, 'no image request');
    assert.is(server.requests('/feed.json').length, 1);
    assert.is(server.requests('/feed.json', 304).length, 1, 'the feed was asked for conditionally');
    const still = await p.jsonAsync(['all'], FAST);
    assert.equal(ids(still.report.ran), ['feed']);
    assert.is(still.report.fresh, 3, 'the root index, the review index and the feed index');

    // One new item, one changed item (another image URL), one removed item.
    server.set('/images/D4.jpg', { body: await jpeg(300, 300, [250, 10, 10]), type: 'image/jpeg' });
    server.set('/images/B2-v2.jpg', { body: await jpeg(400, 200, [10, 250, 10]), type: 'image/jpeg' });
    const changed = entries.map((e) => (e['image_id'] === 'B2' ? { ...e, resource_url: `${server.url}/images/B2-v2.jpg` } : e)).filter((e) => e['image_id'] !== 'C3');
    setFeed([...changed, astroPixEntry('D4', `${server.url}/images/D4.jpg`, { width: 300, height: 300 })]);
    server.clearLog();
    const third = await p.jsonAsync(['all'], FAST);
    assert.is(third.code, 0, third.stderr);
    assert.equal(imageIds(server), ['/images/B2-v2.jpg', '/images/D4.jpg']);
    const why = Object.fromEntries((third.report.ran ?? []).filter((r) => r.rule === 'fetch').map((r) => [r.id, r.why]));
    assert.equal(why, { 'fetch:test_b2': 'changed in the feed', 'fetch:test_d4': 'new in the feed' });
    assert.ok(fs.existsSync(p.path('repo/test_d4/index.wtml')));
    assert.ok(fs.existsSync(p.path('repo/test_c3/index.wtml')), 'a removed item stays published');
    const thumb = await (await loadSharp())(p.path('repo/test_b2/thumb.jpg')).raw().toBuffer();
    assert.ok(thumb[1]! > 200 && thumb[0]! < 60, 'the changed image was republished');

    // --prune-removed withdraws what the feed no longer offers: out of the root index, then the files.
    const pruned = await p.jsonAsync(['all', '--prune-removed'], FAST);
    assert.is(pruned.code, 0, pruned.stderr);
    assert.not.ok(fs.existsSync(p.path('repo/test_c3')), `withdrawn: ${JSON.stringify(pruned.report)} ${pruned.stderr} ${fs.existsSync(p.path('repo/test_c3')) ? fs.readdirSync(p.path('repo/test_c3'), { recursive: true }).join(', ') : ''}`);
    const prunedIndex = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
    assert.is((prunedIndex.match(/<Place /g) ?? []).length, 3);
    assert.not.match(prunedIndex, /Image C3/);
    assert.not.match(fs.readFileSync(p.path('repo/imgbuild-feed-index.json'), 'utf8'), /test_c3/);

    // And a fresh machine (no work folder, no cache) with the same repository downloads nothing.
    fs.rmSync(p.path('work'), { recursive: true, force: true });
    fs.rmSync(p.path('cache'), { recursive: true, force: true });
    server.clearLog();
    const fresh = await p.jsonAsync(['all'], FAST);
    assert.is(fresh.code, 0, fresh.stderr);
    assert.is(server.requests('/images/').length, 0, 'published items are known from the feed index');
  } finally {
    await server.stop();
    p.remove();
  }
});

function djangoplicityPage(entries: Array<Record<string, string>>): Buffer {
  const list = entries.map((e) => `  { ${Object.entries(e).map(([k, v]) => `${k}: '${v.replace(/'/g, "\\'")}'`).join(', ')} },`).join('\n');
  return Buffer.from(`<!DOCTYPE html>\n<html><head><title>Archive</title></head><body>\n<script>\nvar images = [\n${list}\n];\n</script>\n</body></html>\n`);
}

function djangoplicityJson(server: FeedServer, id: string, options: { title?: string; date?: string; credit?: string; description?: string; projection?: string | null } = {}): Buffer {
  const info: Record<string, unknown> = {
    Title: options.title ?? `Image ${id}`,
    Credit: options.credit ?? 'ESO',
    Description: options.description ?? `About ${id}.`,
    ReferenceURL: `https://www.example.org/images/${id}/`,
    Date: options.date ?? '2020-01-01T00:00:00',
    Resources: [
      { ResourceType: 'Screen', URL: `${server.url}/media/${id}-screen.jpg` },
      { ResourceType: 'Original', URL: `${server.url}/media/${id}.jpg` },
    ],
    'Spatial.ReferenceValue': ['150.0', '20.0'],
    'Spatial.ReferenceDimension': ['800', '400'],
    'Spatial.ReferencePixel': ['400.5', '200.5'],
    'Spatial.Scale': ['-0.001', ''],
    'Spatial.Rotation': '0',
  };
  if (options.projection !== null) info['Spatial.CoordsystemProjection'] = options.projection ?? 'TAN';
  return Buffer.from(JSON.stringify(info));
}

test('Djangoplicity site: ids from the search pages until a 404, metadata from api/json, text escaped once, the root index in Date order', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), `source_type: djangoplicity\ndjangoplicity:\n  base_url: ${server.url}/public/\n  channel_name: test\n  search_page_name: page\n`);
    server.set('/public/archive/search/page/1/?type=Observation', { body: djangoplicityPage([{ id: 'eso1001a', title: 'One' }, { id: 'eso1002a', title: 'Two' }]), type: 'text/html' });
    server.set('/public/archive/search/page/2/?type=Observation', { body: djangoplicityPage([{ id: 'eso1003a', title: 'Three' }]), type: 'text/html' });
    server.set('/public/eso1001a/api/json/', {
      body: djangoplicityJson(server, 'eso1001a', { title: "b'Brown dwarf (artist\\xe2\\x80\\x99s concept)'", date: '2019-05-05T10:00:00', credit: 'ESO/<b>M. Kornmesser</b> & team', description: '<p>A "dwarf" & its <a href="x">disc</a></p>' }),
      type: 'application/json',
    });
    server.set('/public/eso1002a/api/json/', { body: djangoplicityJson(server, 'eso1002a', { date: '2021-02-02T00:00:00' }), type: 'application/json' });
    server.set('/public/eso1003a/api/json/', { body: djangoplicityJson(server, 'eso1003a', { projection: null }), type: 'application/json' });
    for (const id of ['eso1001a', 'eso1002a', 'eso1003a']) server.set(`/media/${id}.jpg`, { body: await jpeg(400, 200, [200, 120, 40]), type: 'image/jpeg' });

    const run = await p.jsonAsync(['all'], FAST);
    assert.is(run.code, 0, run.stderr);
    assert.equal(server.requests('/public/archive/search/').map((r) => r.status), [200, 200, 404], 'page by page until a 404');
    assert.equal(server.requests('/media/').map((r) => r.path).sort(), ['/media/eso1001a.jpg', '/media/eso1002a.jpg'], 'the Original resource; none for the image without WCS');
    assert.ok((run.report.warnings ?? []).some((w) => /eso1003a: it has no full WCS/.test(w.message)), JSON.stringify(run.report.warnings));
    const wtml = fs.readFileSync(p.path('repo/eso1001a/index.wtml'), 'utf8');
    assert.match(wtml, /Name="Brown dwarf \(artist’s concept\)"/, 'bytes repr decoded');
    assert.match(wtml, /<Credits>ESO\/&lt;b&gt;M. Kornmesser&lt;\/b&gt; &amp; team<\/Credits>/, 'escaped exactly once');
    assert.match(wtml, /<Description>&lt;p&gt;A &quot;dwarf&quot; &amp; its &lt;a href=&quot;x&quot;&gt;disc&lt;\/a&gt;&lt;\/p&gt;<\/Description>/);
    assert.not.match(wtml, /&amp;lt;|&amp;amp;/, 'never twice');
    assert.match(wtml, /<CreditsUrl>https:\/\/www.example.org\/images\/eso1001a\/<\/CreditsUrl>/);
    const index = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
    const order = [...index.matchAll(/X:LastUpdated="([^"]+)"[^>]*Name="([^"]+)"/g)].map((m) => [m[2], m[1]]);
    assert.equal(order, [['Image eso1002a', '2021-02-02T00:00:00.000Z'], ['Brown dwarf (artist’s concept)', '2019-05-05T10:00:00.000Z']], 'newest Date first');

    // A refresh asks for the search pages again, but for no item's metadata or image.
    server.clearLog();
    const again = await p.jsonAsync(['all'], FAST);
    assert.is(again.code, 0, again.stderr);
    assert.is(server.requests('/media/').length, 0);
    assert.equal(server.requests('/public/').map((r) => r.path.split('?')[0]!).filter((x) => x.includes('api/json')), ['/public/eso1003a/api/json/'], 'only the unpublished one is looked at again');
  } finally {
    await server.stop();
    p.remove();
  }
});

test('hostile feed items: each is one line naming the item; the rest is published; exit 1', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), `source_type: astropix\nastropix:\n  json_query_url: ${server.url}/feed.json\n`);
    // A transfer that stops sending is given up after 1 s here (60 s by default).
    p.write('repo/imgbuild-pipeline-config.yaml', 'params:\n  fetch:\n    stallSeconds: 1\n    attempts: 2\n');
    const good = await jpeg(400, 200, [90, 90, 90]);
    server.set('/images/good.jpg', { body: good, type: 'image/jpeg' });
    server.set('/images/traversal.jpg', { body: good, type: 'image/jpeg' });
    server.set('/images/error-page.jpg', { body: Buffer.from('<!DOCTYPE html><html><body>Service unavailable</body></html>'), type: 'image/jpeg' });
    server.set('/images/endless.jpg', { body: good, type: 'image/jpeg', hang: true });
    server.set('/images/script.jpg', { body: good, type: 'image/jpeg' });
    const { wcs_reference_pixel: _pixel, ...noPixel } = astroPixEntry('nopixel', `${server.url}/images/good.jpg`);
    const feed = [
      astroPixEntry('good', `${server.url}/images/good.jpg`),
      astroPixEntry('../../../../tmp/escape', `${server.url}/images/traversal.jpg`),
      noPixel,
      { ...astroPixEntry('huge', `${server.url}/images/good.jpg`), title: 'x'.repeat(5000) },
      astroPixEntry('error-page', `${server.url}/images/error-page.jpg`),
      astroPixEntry('endless', `${server.url}/images/endless.jpg`),
      astroPixEntry('sin', `${server.url}/images/good.jpg`, { projection: 'SIN' }),
      { ...astroPixEntry('script', `${server.url}/images/script.jpg`), title: '</Name><script>alert(1)</script>"' },
      'not an object',
    ];
    server.set('/feed.json', { body: Buffer.from(JSON.stringify(feed)), type: 'application/json' });
    const run = await p.cliAsync(['all', '-j', '4'], { ...FAST, IMGBUILD_FEED_ATTEMPTS: '2' });
    assert.is(run.code, 1, run.stderr);
    if (process.env["SHOW"]) console.log(run.stderr);
    const errors = run.stderr.split('\n').filter((l) => /error|failed/i.test(l)).join('\n');
    assert.match(run.stderr, /item "test_nopixel" wcs_reference_pixel must hold 2 numbers, found nothing; it is left out/);
    assert.match(run.stderr, /item "test_huge" title is 5000 characters long \(the limit is 1000\); it is left out/);
    assert.match(run.stderr, /item "#9" is not an object; it is left out/);
    assert.match(run.stderr, /fetch:test_error-page: http:\/\/127\.0\.0\.1:\d+\/images\/error-page\.jpg answered an HTML page \(served as image\/jpeg\), not an image/);
    assert.match(run.stderr, /fetch:test_endless: http:\/\/127\.0\.0\.1:\d+\/images\/endless\.jpg sent nothing for 1 s \(gave up after 2 attempts\)/);
    assert.match(run.stderr, /test_sin: its projection is "SIN"; only TAN images can be placed as studies \(skipped\)/);
    assert.ok(errors.length > 0);
    // The good ones are published; the traversal id is one safe folder name inside the repository.
    assert.ok(fs.existsSync(p.path('repo/test_good/index.wtml')), run.stderr);
    assert.ok(fs.existsSync(p.path('repo/test_.._.._.._.._tmp_escape/index.wtml')), fs.readdirSync(p.path('repo')).join(', '));
    assert.not.ok(fs.existsSync('/tmp/escape'));
    const wtml = fs.readFileSync(p.path('repo/test_script/index.wtml'), 'utf8');
    assert.match(wtml, /Name="&lt;\/Name&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;"/);
    for (const id of ['test_error-page', 'test_endless', 'test_nopixel', 'test_huge', 'test_sin']) assert.not.ok(fs.existsSync(p.path('repo', id)), `${id} not published`);
    assert.is((fs.readFileSync(p.path('repo/index.wtml'), 'utf8').match(/<Place /g) ?? []).length, 3);

    // A feed that is not JSON: the feed's own error, one line, naming the URL.
    server.set('/feed.json', { body: Buffer.from('<html>maintenance</html>'), type: 'application/json' });
    const broken = await p.cliAsync(['all'], FAST);
    assert.is(broken.code, 1);
    assert.match(broken.stderr, /the AstroPix feed http:\/\/127\.0\.0\.1:\d+\/feed\.json did not answer JSON \(it begins "<html>maintenance<\/html>"\): check json_query_url/);
  } finally {
    await server.stop();
    p.remove();
  }
});

test('downloads: a transfer cut half-way is resumed with Range; a slow server is waited for; a 503 is retried', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), `source_type: astropix\nastropix:\n  json_query_url: ${server.url}/feed.json\n`);
    const big = await (await loadSharp())(Buffer.from(Array.from({ length: 1200 * 600 * 3 }, (_v, i) => (i * 7919) % 251)), { raw: { width: 1200, height: 600, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    server.set('/images/cut.jpg', { body: big, type: 'image/jpeg', cutAfter: Math.floor(big.length / 2) });
    server.set('/images/slow.jpg', { body: await jpeg(400, 200, [10, 20, 30]), type: 'image/jpeg', slowChunk: 2000, slowMs: 100 });
    server.set('/feed.json', { body: Buffer.from(JSON.stringify([astroPixEntry('cut', `${server.url}/images/cut.jpg`, { width: 1200, height: 600 }), astroPixEntry('slow', `${server.url}/images/slow.jpg`)])), type: 'application/json' });
    server.resources.get('/feed.json')!.failTimes = 2;
    const run = await p.jsonAsync(['all'], FAST);
    assert.is(run.code, 0, run.stderr);
    assert.equal(server.requests('/feed.json').map((r) => r.status), [503, 503, 200], 'the feed answered 503 twice, and was asked again');
    const cut = server.requests('/images/cut.jpg');
    assert.equal(cut.map((r) => r.status), [200, 206], 'the second request resumed');
    assert.is(cut[1]!.headers['range'], `bytes=${Math.floor(big.length / 2)}-`);
    assert.ok(cut[1]!.headers['if-range'], 'resumed only the same version (If-Range)');
    assert.equal(fs.readFileSync(p.path('work/test_cut/feed-image')), big, 'the resumed file is the whole image');
    assert.ok(fs.existsSync(p.path('repo/test_slow/index.wtml')));
  } finally {
    await server.stop();
    p.remove();
  }
});

test('a feed of 200 items on an S3 repository: a refresh with nothing new costs one feed request and a few repository requests; one changed item is fetched alone', async () => {
  const server = await new FeedServer().start();
  const s3 = await startS3Child(['data']);
  const proxy = await startObservingProxy(s3.url);
  const p = new TempProject('imgbuild-feed-s3-');
  try {
    const small = await jpeg(32, 16, [120, 60, 30]);
    const entries = [];
    for (let i = 0; i < 200; i++) {
      server.set(`/images/n${i}.jpg`, { body: small, type: 'image/jpeg' });
      entries.push(astroPixEntry(`n${i}`, `${server.url}/images/n${i}.jpg`, { ra: i, dec: (i % 90) - 45, width: 32, height: 16 }));
    }
    server.set('/feed.json', { body: Buffer.from(JSON.stringify(entries)), type: 'application/json' });
    const args = ['all', '-j', '4', '--repository', 's3://data/wwt', '--s3-endpoint', proxy.url, '--source-type', 'astropix', '--source-url', `${server.url}/feed.json`, '--publish-url-prefix', 'https://data.example.org/wwt/'];
    const env = { ...FAST, ...S3_CREDENTIALS };
    const first = await p.jsonAsync(args, env);
    assert.is(first.code, 0, first.stderr);
    assert.is(server.requests('/images/').length, 200);

    server.clearLog();
    proxy.requests.length = 0;
    const again = await p.jsonAsync(args, env);
    assert.is(again.code, 0, again.stderr);
    assert.is(server.requests('/images/').length, 0, 'no image downloaded');
    assert.is(server.requests('/feed.json').length, 1, 'one feed request');
    assert.ok(proxy.requests.length <= 8, `a handful of repository requests, not one per item: ${JSON.stringify(proxy.requests)}`);

    // A fresh machine: no work folder, no cache; the repository's feed index answers for all 200.
    fs.rmSync(p.path('work-wwt'), { recursive: true, force: true });
    for (const name of fs.readdirSync(p.dir)) fs.rmSync(p.path(name), { recursive: true, force: true });
    server.clearLog();
    proxy.requests.length = 0;
    const fresh = await p.jsonAsync(args, env);
    assert.is(fresh.code, 0, fresh.stderr);
    assert.is(server.requests('/images/').length, 0);
    assert.ok(proxy.requests.length <= 8, `fresh machine: ${proxy.requests.length} repository requests: ${JSON.stringify(proxy.requests.slice(0, 12))} ${fresh.stderr.slice(0, 2000)}`);

    entries[17] = { ...entries[17]!, title: 'Renamed' };
    server.set('/feed.json', { body: Buffer.from(JSON.stringify(entries)), type: 'application/json' });
    server.clearLog();
    const changed = await p.jsonAsync(args, env);
    assert.is(changed.code, 0, changed.stderr);
    assert.equal(server.requests('/images/').map((r) => r.path), ['/images/n17.jpg']);
    assert.equal(ids((changed.report.ran ?? []).filter((r) => r.rule === 'fetch')), ['fetch:test_n17']);
  } finally {
    await proxy.stop();
    await s3.stop();
    await server.stop();
    p.remove();
  }
});

test('the CLI: imgbuild fetch downloads without processing; --dry-run lists it; an unread feed is one line in the plan; an unknown source_type is an error', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    server.set('/images/one.jpg', { body: await jpeg(400, 200, [1, 2, 3]), type: 'image/jpeg' });
    server.set('/feed.json', { body: Buffer.from(JSON.stringify([astroPixEntry('one', `${server.url}/images/one.jpg`)])), type: 'application/json' });
    const flags = ['--source-type', 'astropix', '--source-url', `${server.url}/feed.json`];
    const dry = await p.cliAsync(['fetch', '--dry-run', ...flags], FAST);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would run fetch:test_one: new in the feed/);
    assert.not.match(dry.stdout, /tiles|publish/);
    const fetched = await p.jsonAsync(['fetch', ...flags], FAST);
    assert.is(fetched.code, 0, fetched.stderr);
    assert.equal(ids(fetched.report.ran), ['feed', 'fetch:test_one']);
    assert.ok(fs.existsSync(p.path('work/test_one/feed-image')));
    assert.not.ok(fs.existsSync(p.path('repo/test_one')), 'nothing published');
    const rest = await p.jsonAsync(['all', ...flags], FAST);
    assert.is(rest.code, 0, rest.stderr);
    assert.not.ok((rest.report.ran ?? []).some((r) => r.rule === 'fetch'), 'fetched once');
    assert.ok(fs.existsSync(p.path('repo/test_one/index.wtml')));

    const unread = await p.cliAsync(['all', '--dry-run', '--source-type', 'astropix', '--source-url', `${server.url}/missing.json`], FAST);
    assert.is(unread.code, 0, unread.stderr);
    assert.match(unread.stdout, /would run fetch:\*: depends on the feed's contents, not read yet \(the AstroPix feed http:\/\/127\.0\.0\.1:\d+\/missing\.json answered 404: check json_query_url\)/);

    const unknown = await p.cliAsync(['all', '--source-type', 'flickr', '--source-url', 'https://example.org/'], FAST);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /source_type "flickr" is not a feed imgbuild reads \(it reads astropix and djangoplicity\)/);
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), 'source_type: flickr\n');
    const unknownInRepository = await p.cliAsync(['all'], FAST);
    assert.is(unknownInRepository.code, 2, unknownInRepository.stderr);
    assert.match(unknownInRepository.stderr, /toasty-pipeline-config.yaml: source_type "flickr" is not a feed imgbuild reads/);
  } finally {
    await server.stop();
    p.remove();
  }
});

test('what is not ours to fetch, what failed before, and the limits: skip.flag, toasty-made, size, pixels, per-host connections, a search page without its list', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), `source_type: astropix\nastropix:\n  json_query_url: ${server.url}/feed.json\n`);
    p.write('repo/imgbuild-pipeline-config.yaml', 'params:\n  fetch:\n    maxBytes: 200000\n    maxPixels: 1000000\n');
    // Published by toasty (index.wtml, no manifest of ours), and one marked skip.flag.
    p.write('repo/test_toasty/index.wtml', "<?xml version='1.0'?><Folder><Place Name='T' RA='1' Dec='2'/></Folder>");
    p.write('repo/test_skipped/skip.flag', '');
    const small = await jpeg(400, 200, [50, 50, 50]);
    const big = Buffer.concat([small.subarray(0, 2), Buffer.alloc(300_000, 7)]); // starts like a JPEG, 300 kB
    const wide = await jpeg(2000, 1000, [1, 1, 1]); // 2 Mpx: over maxPixels, tiny in bytes
    const entries = [astroPixEntry('toasty', `${server.url}/images/t.jpg`), astroPixEntry('skipped', `${server.url}/images/s.jpg`), astroPixEntry('big', `${server.url}/images/big.jpg`), astroPixEntry('wide', `${server.url}/images/wide.jpg`, { width: 2000, height: 1000 })];
    server.set('/images/big.jpg', { body: big, type: 'image/jpeg' });
    server.set('/images/wide.jpg', { body: wide, type: 'image/jpeg' });
    for (let i = 0; i < 12; i++) {
      server.set(`/images/many${i}.jpg`, { body: small, type: 'image/jpeg', slowChunk: 500, slowMs: 60 });
      entries.push(astroPixEntry(`many${i}`, `${server.url}/images/many${i}.jpg`));
    }
    server.set('/feed.json', { body: Buffer.from(JSON.stringify(entries)), type: 'application/json' });
    const run = await p.jsonAsync(['all', '-j', '8'], { ...FAST, IMGBUILD_FEED_CONNECTIONS: '3' });
    assert.is(run.code, 1, run.stderr);
    assert.is(server.requests('/images/t.jpg').length + server.requests('/images/s.jpg').length, 0, 'toasty-made and skip.flag items are not downloaded');
    assert.ok(server.maxActive <= 3 && server.maxActive >= 2, `downloads in parallel, at most 3 requests at once to the host (saw ${server.maxActive})`);
    const errors = (run.report.failed ?? []).map((f) => f.error ?? '').join('\n');
    assert.match(errors, /fetch:test_big: http:\/\/127\.0\.0\.1:\d+\/images\/big\.jpg is 300002 bytes, over the limit of 200000 \(raise maxBytes in params\.fetch\)/);
    assert.match(errors, /fetch:test_wide: http:\/\/127\.0\.0\.1:\d+\/images\/wide\.jpg is 2000×1000 pixels, over the limit of 1000000/);
    assert.ok(fs.existsSync(p.path('repo/test_many11/index.wtml')));

    // Next time, the failed ones are planned as failed before (and the rest is published, so not listed).
    const dry = await p.jsonAsync(['fetch', '--dry-run'], FAST);
    const why = Object.fromEntries((dry.report.run ?? []).map((r) => [r.id, r.why]));
    assert.match(why['fetch:test_big'] ?? '', /^failed before \(http:\/\/127\.0\.0\.1:\d+\/images\/big\.jpg is 300002 bytes/);
    assert.equal(Object.keys(why).filter((id) => id.startsWith('fetch:')).sort(), ['fetch:test_big', 'fetch:test_wide']);
  } finally {
    await server.stop();
    p.remove();
  }
});

test('a Djangoplicity search page without its list: the feed says so; the items before it still build', async () => {
  const server = await new FeedServer().start();
  const p = feedProject('');
  try {
    fs.appendFileSync(p.path('repo/toasty-pipeline-config.yaml'), `source_type: djangoplicity\ndjangoplicity:\n  base_url: ${server.url}/public/\n  channel_name: test\n`);
    server.set('/public/archive/search/page/1/?type=Observation', { body: djangoplicityPage([{ id: 'eso2001a', title: 'One' }]), type: 'text/html' });
    server.set('/public/archive/search/page/2/?type=Observation', { body: Buffer.from('<html><body>We are down for maintenance</body></html>'), type: 'text/html' });
    server.set('/public/eso2001a/api/json/', { body: djangoplicityJson(server, 'eso2001a'), type: 'application/json' });
    server.set('/media/eso2001a.jpg', { body: await jpeg(400, 200, [9, 9, 9]), type: 'image/jpeg' });
    const run = await p.cliAsync(['all'], FAST);
    assert.is(run.code, 1, run.stderr);
    assert.match(run.stderr, /feed: search page 2 \(http:\/\/127\.0\.0\.1:\d+\/public\/archive\/search\/page\/2\/\) has no "var images = \[\.\.\.\]" list/);
    assert.ok(fs.existsSync(p.path('repo/eso2001a/index.wtml')));
  } finally {
    await server.stop();
    p.remove();
  }
});

test.run();
