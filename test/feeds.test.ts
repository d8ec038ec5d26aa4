// Feeds as sources (toasty's fetch stage): an AstroPix-style feed and a Djangoplicity-style site served by a
// local HTTP server; the real CLI builds, refreshes and publishes from them into a local-folder repository.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { astroPixEntry, FeedServer } from './helpers/feed-server.js';
import { ids, TempProject } from './helpers/project.js';
import { loadSharp } from '../src/wwt/sharp-loader.js';

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
    assert.is(still.report.fresh, 2, 'the root index and the feed index');

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

test.run();
