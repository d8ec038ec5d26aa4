// Human review between processing and publishing (issue 12): decisions kept with the build state, the
// repository's require_approval, unpublish, the work folder laid out as published, and the review page in the real
// WWT engine (headless Chromium from Debian, driven by playwright-core).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { BuildSession } from '../src/run/build-session.js';
import { startReviewServer } from '../src/serve/review-server.js';
import { wwtStudyRules } from '../rules/index.js';
import { writeFitsHeader } from './helpers/fits.js';
import { writeCoordinatePng, writeSolidJpeg } from './helpers/images.js';
import { ids, REPO_ROOT, TempProject } from './helpers/project.js';
import { spawn } from 'node:child_process';

const FLAGS = ['--incoming', 'in', '--local', 'repo', '--publish-url-prefix', 'https://data.example.org/wwt/'];
const tan = (ra: number, dec: number, width: number, height: number) => ({
  CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: ra, CRVAL2: dec, CRPIX1: width / 2 + 0.5, CRPIX2: height / 2 + 0.5,
  CD1_1: -0.0005, CD1_2: 0, CD2_1: 0, CD2_2: 0.0005, IMAGEW: width, IMAGEH: height,
});

const cli = suite('review: approve, reject, unpublish, require_approval');

cli('a rejection is kept with the build state: deleting work/ does not publish it, and globs pick data sets', async () => {
  const p = new TempProject('imgbuild-review-');
  try {
    for (const name of ['m31-a', 'm31-b', 'keep']) await writeCoordinatePng(p.path(`in/${name}.png`), 300, 200);
    assert.is(p.cli(['process', ...FLAGS]).code, 0);
    const listed = JSON.parse(p.cli(['review', ...FLAGS, '--json']).stdout) as { dataSets: Array<{ id: string; state: string }> };
    assert.equal(listed.dataSets.map((d) => [d.id, d.state]), [['keep', 'built'], ['m31-a', 'built'], ['m31-b', 'built']]);
    const rejected = p.cli(['reject', 'm31-*', ...FLAGS, '--why', 'trailed stars']);
    assert.is(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stderr, /rejected m31-a: it will not be published/);
    assert.ok(fs.existsSync(p.path('cache/review.json')), 'decisions live in the cache folder');
    fs.rmSync(p.path('work'), { recursive: true });
    const all = p.json(['all', ...FLAGS]);
    assert.is(all.code, 0, all.stderr);
    assert.equal(fs.readdirSync(p.path('repo')).filter((f) => f !== 'index.wtml'), ['keep']);
    const skip = all.report.skipped!.find((s) => s.id === 'publish:m31-a')!;
    assert.match(skip.why, /rejected by a reviewer: trailed stars/);
    // Rejecting what is published says so and offers unpublish; unpublish takes it out, manifest and root entry too.
    const late = p.cli(['reject', 'keep', ...FLAGS, '--why', 'wrong field']);
    assert.match(late.stderr, /rejected keep, but it is published: imgbuild unpublish keep/);
    const state = JSON.parse(p.cli(['review', ...FLAGS, '--json']).stdout) as { dataSets: Array<{ id: string; state: string }> };
    assert.is(state.dataSets.find((d) => d.id === 'keep')!.state, 'published-but-rejected');
    const gone = p.cli(['unpublish', 'keep', ...FLAGS]);
    assert.is(gone.code, 0, gone.stderr);
    assert.not.ok(fs.existsSync(p.path('repo/keep')));
    assert.not.match(fs.readFileSync(p.path('repo/index.wtml'), 'utf8'), /<Place /);
    const again = p.json(['all', ...FLAGS]);
    assert.not.ok(fs.existsSync(p.path('repo/keep')), 'the next all does not publish it again');
    assert.ok(again.report.skipped!.some((s) => s.id === 'publish:keep'));
    // Unknown names are named; the others still happen.
    const mixed = p.cli(['approve', 'keep', 'nope*', ...FLAGS]);
    assert.is(mixed.code, 1);
    assert.match(mixed.stderr, /no data set is named "nope\*"/);
    assert.match(mixed.stderr, /approved keep \(it was rejected: wrong field\)/);
    assert.is(p.cli(['reject', 'keep', ...FLAGS]).code, 2, 'a rejection needs its reason');
    const badGlob = p.cli(['approve', '[z-a]', ...FLAGS]);
    assert.is(badGlob.code, 2, badGlob.stderr);
    assert.match(badGlob.stderr, /"\[z-a\]" is not a usable glob/);
    // Approved again, it is published again; an unpublish killed after the manifest went is finished by another.
    assert.is(p.json(['all', ...FLAGS]).code, 0);
    assert.ok(fs.existsSync(p.path('repo/keep/imgbuild.json')));
    fs.rmSync(p.path('repo/keep/imgbuild.json'));
    const finish = p.cli(['unpublish', 'keep', ...FLAGS]);
    assert.is(finish.code, 0, finish.stderr);
    assert.not.ok(fs.existsSync(p.path('repo/keep')), 'the half-removed data set is gone');
  } finally {
    p.remove();
  }
});

cli('require_approval: publish takes only approved data sets, and a rebuilt image needs approving again', async () => {
  const p = new TempProject('imgbuild-review-');
  try {
    for (const name of ['one', 'two']) await writeCoordinatePng(p.path(`in/${name}.png`), 300, 200);
    p.write('repo/imgbuild-pipeline-config.yaml', 'require_approval: true\n');
    const first = p.cli(['all', ...FLAGS]);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 data sets wait for review/);
    assert.not.ok(fs.existsSync(p.path('repo/one')));
    assert.is(p.cli(['approve', 'one', ...FLAGS]).code, 0);
    const published = p.json(['publish', ...FLAGS]);
    assert.equal(ids(published.report.ran), ['publish:one']);
    assert.equal(published.report.skipped!.map((s) => [s.id, s.reason]), [['publish:two', 'awaiting-review']]);
    // The root index was built while `one` waited: it lists it now, and stays put while `two` waits.
    const indexed = p.json(['all', ...FLAGS]);
    assert.equal(ids(indexed.report.ran), ['index']);
    assert.match(fs.readFileSync(p.path('repo/index.wtml'), 'utf8'), /<Place [^>]*Name="one"/);
    assert.equal(ids(p.json(['all', ...FLAGS]).report.ran), [], 'a no-op while one waits for review');
    // The image changes: its approval was for the old build.
    await writeCoordinatePng(p.path('in/one.png'), 320, 200);
    const rebuilt = p.json(['all', ...FLAGS]);
    assert.ok(rebuilt.report.skipped!.some((s) => s.id === 'publish:one' && /rebuilt since it was approved/.test(s.why)), JSON.stringify(rebuilt.report.skipped));
    const manifest = JSON.parse(fs.readFileSync(p.path('repo/one/imgbuild.json'), 'utf8')) as { key: string };
    const review = JSON.parse(p.cli(['review', ...FLAGS, '--json']).stdout) as { dataSets: Array<{ id: string; state: string; key: string; approvalOutdated?: boolean }> };
    const one = review.dataSets.find((d) => d.id === 'one')!;
    assert.is(one.state, 'built');
    assert.ok(one.approvalOutdated);
    assert.is.not(one.key, manifest.key, 'the repository keeps the approved build');
    // Decisions that cannot be read publish nothing (one might be a rejection), and the build goes on.
    const decisions = fs.readFileSync(p.path('cache/review.json'));
    fs.writeFileSync(p.path('cache/review.json'), '{"version": 1, "dataSets": {"../../etc": {"decision": "approved", "key": "k", "at": ""}}}');
    const unreadable = p.json(['all', ...FLAGS, '--require-approval']);
    assert.is(unreadable.code, 0, unreadable.stderr);
    assert.ok(unreadable.report.skipped!.some((s) => s.id === 'publish:one' && s.reason === 'review-unreadable' && /review\.json names "\.\.\/\.\.\/etc"/.test(s.why)), JSON.stringify(unreadable.report.skipped));
    fs.writeFileSync(p.path('cache/review.json'), decisions);
    // Without the policy, the old behaviour: everything not rejected publishes (the flag and config can set it too).
    p.write('repo/imgbuild-pipeline-config.yaml', 'require_approval: false\n');
    const open = p.json(['all', ...FLAGS]);
    assert.equal(ids(open.report.ran).filter((id) => id.startsWith('publish:')), ['publish:one', 'publish:two']);
  } finally {
    p.remove();
  }
});

cli('the work folder is laid out as published, and work/index_rel.wtml lists every data set', async () => {
  const p = new TempProject('imgbuild-review-');
  try {
    await writeCoordinatePng(p.path('in/wide.png'), 700, 300);
    await writeCoordinatePng(p.path('in/small.png'), 200, 100);
    // The review index waits for the tiles and thumbnails its entries point at (an aggregate's `after`).
    const needs = p.json(['review-index', '--dry-run', ...FLAGS]);
    assert.equal(ids(needs.report.run).filter((id) => /^(tiles|thumbnail):wide$/.test(id)), ['thumbnail:wide', 'tiles:wide']);
    assert.is(p.cli(['process', ...FLAGS]).code, 0);
    const rel = fs.readFileSync(p.path('work/wide/index_rel.wtml'), 'utf8');
    const levels = Number(/TileLevels="(\d+)"/.exec(rel)![1]);
    assert.ok(levels >= 1);
    for (let level = 0; level <= levels; level++) {
      // The URL template {1}/{3}/{3}_{2}.png, resolved beside index_rel.wtml, finds each level's tiles.
      const rows = fs.readdirSync(p.path(`work/wide/${level}`));
      assert.ok(rows.length > 0, `level ${level}`);
      const y = rows[0]!;
      const tile = fs.readdirSync(p.path(`work/wide/${level}/${y}`))[0]!;
      assert.match(tile, new RegExp(`^${y}_\\d+\\.png$`));
      assert.ok(fs.statSync(p.path(`work/wide/${level}/${y}/${tile}`)).isFile());
    }
    const merged = fs.readFileSync(p.path('work/index_rel.wtml'), 'utf8');
    assert.match(merged, /Url="wide\/\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
    assert.match(merged, /<ThumbnailUrl>small\/thumb\.jpg<\/ThumbnailUrl>/);
    assert.is(merged.match(/<Place /g)?.length, 2);
  } finally {
    p.remove();
  }
});

cli('two processes deciding at once lose nothing: the lock file appears whole, so a lock being taken is never taken over', async () => {
  const p = new TempProject('imgbuild-review-lock-');
  try {
    const store = path.join(REPO_ROOT, 'dist', 'src', 'review', 'review-store.js');
    p.write('writer.mjs', `import { ReviewStore } from ${JSON.stringify(store)};\nconst s = new ReviewStore(process.argv[2]);\nfor (let i = 0; i < 150; i++) s.update((d) => { d[process.argv[3] + '-' + i] = { decision: 'rejected', why: 'x', at: '' }; });\n`);
    const runs = ['a', 'b', 'c', 'd'].map(
      (name) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [p.path('writer.mjs'), p.path('cache'), name], { stdio: 'ignore' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
          child.on('exit', (code) => (clearTimeout(timer), resolve(code)));
        }),
    );
    assert.equal(await Promise.all(runs), [0, 0, 0, 0]);
    const written = JSON.parse(fs.readFileSync(p.path('cache/review.json'), 'utf8')) as { dataSets: Record<string, unknown> };
    assert.is(Object.keys(written.dataSets).length, 600);
  } finally {
    p.remove();
  }
});

cli.run();

const page = suite('review: the page in the real WWT engine (headless Chromium)');

page('a click shows the data set at the canvas centre; approve in the page, then publish publishes exactly it; other origins are refused', async () => {
  const p = new TempProject('imgbuild-review-page-');
  fs.mkdirSync(p.path('in'));
  // A red field and a blue one, each with a TAN sidecar, far apart on the sky.
  await writeSolidJpeg(p.path('in/red.jpg'), 400, 300, [230, 20, 20]);
  writeFitsHeader(p.path('in/red.wcs.fits'), tan(150, 20, 400, 300));
  await writeSolidJpeg(p.path('in/blue.jpg'), 400, 300, [20, 20, 230]);
  writeFitsHeader(p.path('in/blue.wcs.fits'), tan(30, -40, 400, 300));
  const processed = p.cli(['process', ...FLAGS, '--require-approval']);
  assert.is(processed.code, 0, processed.stderr);
  const session = await BuildSession.open({
    config: {},
    projectDir: p.dir,
    cwd: p.dir,
    defaultRules: wwtStudyRules(),
    targets: ['publish'],
    dryRun: true,
    overrides: { incoming: 'in', local: 'repo', publishUrlPrefix: 'https://data.example.org/wwt/', requireApproval: true },
  });
  const server = await startReviewServer(session, { port: 0 });
  // Without Chromium (a laptop) the test fails; the server must still close, or the test run never ends.
  const browser = await chromium
    .launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    .catch(async (error: unknown) => {
      await server.close();
      session.close();
      throw error;
    });
  const outside: string[] = [];
  try {
    const tab = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    tab.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await tab.goto(server.url);
    await tab.waitForFunction(() => (window as unknown as { __wwtReady?: boolean }).__wwtReady === true, null, { timeout: 60_000 });
    await tab.waitForSelector('.ds[data-id="blue"]');
    assert.equal(await tab.$$eval('.ds', (rows) => rows.map((r) => (r as HTMLElement).dataset['id'])), ['blue', 'red']);
    for (const [id, dominant] of [['red', 0], ['blue', 2]] as const) {
      await tab.click(`.ds[data-id="${id}"]`);
      await tab.waitForFunction((want) => (window as unknown as { __shown?: string }).__shown === want, id, { timeout: 60_000 });
      // The tiles arrive over HTTP and are drawn on the next frames.
      let centre: number[] = [];
      for (let attempt = 0; attempt < 40; attempt++) {
        await tab.waitForTimeout(250);
        const shot = await tab.locator('#wwt canvas').first().screenshot();
        const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
        // Beside the centre: the engine draws its crosshair on the centre pixel itself.
        const at = ((Math.floor(info.height / 2) + 12) * info.width + Math.floor(info.width / 2) + 12) * info.channels;
        centre = [data[at]!, data[at + 1]!, data[at + 2]!];
        if (centre[dominant]! > 150) break;
      }
      assert.ok(centre[dominant]! > 150 && centre.every((v, i) => i === dominant || v < 90), `${id} at the canvas centre: rgb(${centre.join(', ')})`);
    }
    // Approve the red one in the page.
    await tab.click('.ds[data-id="red"]');
    await tab.click('#approve');
    await tab.waitForFunction(() => ((window as unknown as { __decided?: number }).__decided ?? 0) >= 1, null, { timeout: 30_000 });
    assert.match(await tab.textContent('#message') ?? '', /approved red/);
    assert.equal(outside, [], 'the page asked nothing of the outside world');
    // A page elsewhere cannot approve through the user's browser: no token, or another Origin, is refused.
    const api = `${server.url}api/datasets/blue/approve`;
    const noToken = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.is(noToken.status, 403);
    const token = await tab.getAttribute('meta[name=imgbuild-token]', 'content');
    const crossOrigin = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', 'x-imgbuild-token': token!, origin: 'https://evil.example' }, body: '{}' });
    assert.is(crossOrigin.status, 403);
    const glob = await fetch(`${server.url}api/datasets/${encodeURIComponent('*')}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-imgbuild-token': token! }, body: '{}' });
    assert.is(glob.status, 404, 'the API approves the one data set it names, never a glob');
    // fetch will not set Host; a raw request will, as a DNS-rebinding page's request would carry its own name.
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(`${server.url}api/datasets`, { headers: { host: 'evil.example' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
    });
    assert.is(rebound, 421, 'a DNS-rebound name is refused');
    // Each step's log, as imgbuild log prints it.
    assert.match(await (await fetch(`${server.url}api/log/tiles%3Ared`)).text(), /\d+ tiles in \d+ levels/);
    // The page opened at http://localhost:PORT writes as well (its Origin is that address).
    const port = new URL(server.url).port;
    const viaLocalhost = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ why: 'too blue' });
      const req = http.request(`${server.url}api/datasets/blue/reject`, { method: 'POST', headers: { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'content-type': 'application/json', 'x-imgbuild-token': token!, 'content-length': Buffer.byteLength(body) } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end(body);
    });
    assert.is(viaLocalhost, 200);
    // A link in the repository folder that points outside it is not served.
    fs.mkdirSync(p.path('repo'), { recursive: true });
    fs.symlinkSync('/etc', p.path('repo/outside'));
    assert.is((await fetch(`${server.url}repo/outside/passwd`)).status, 404);
  } finally {
    await browser.close();
    await server.close();
    session.close();
  }
  const published = p.json(['publish', ...FLAGS, '--require-approval']);
  assert.is(published.code, 0, published.stderr);
  assert.equal(ids(published.report.ran), ['publish:red']);
  assert.ok(fs.existsSync(p.path('repo/red/imgbuild.json')));
  assert.not.ok(fs.existsSync(p.path(path.join('repo', 'blue'))));
  p.remove();
});

page('watch --serve: the page gets the build live (stamped events), and an approval made there is published by the watcher at once', async () => {
  const p = new TempProject('imgbuild-review-watch-');
  await writeCoordinatePng(p.path('in/one.png'), 300, 200);
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'imgbuild.js'), 'watch', '--serve', '--port', '0', '--require-approval', ...FLAGS], { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (what: string, test: () => boolean, ms = 60_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const events: Array<{ type: string; at?: string; build?: string; node?: { id: string } }> = [];
  let stream: http.ClientRequest | undefined;
  try {
    await until('the first pass', () => /first pass/.test(stderr));
    const url = /review page at (http:\/\/\S+)/.exec(stderr)![1]!;
    stream = http.get(`${url}api/events`, (res) => {
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined && !/^event:/m.test(block)) events.push(JSON.parse(data));
        }
      });
    });
    // The first pass is replayed to a page opened after it: it waited for review.
    await until('the replayed first pass', () => events.some((e) => e.type === 'finish'));
    assert.not.ok(fs.existsSync(p.path('repo/one/imgbuild.json')));
    const html = await (await fetch(url)).text();
    const token = /name="imgbuild-token" content="([^"]+)"/.exec(html)![1]!;
    const approved = await fetch(`${url}api/datasets/one/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-imgbuild-token': token }, body: '{}' });
    assert.is(approved.status, 200);
    await until('the approved data set in the repository and the root index', () => fs.existsSync(p.path('repo/one/imgbuild.json')) && /Name="one"/.test(fs.readFileSync(p.path('repo/index.wtml'), 'utf8')));
    await until('the events of that batch', () => events.some((e) => e.type === 'node-done' && e.node?.id === 'index' && e.build !== events[0]!.build));
    const publish = events.find((e) => e.type === 'node-start' && e.node?.id === 'publish:one')!;
    assert.ok(publish, 'the page saw publish:one start');
    assert.ok(!Number.isNaN(Date.parse(publish.at!)), 'events carry their time');
    assert.is.not(publish.build, events[0]!.build, 'and the build they belong to');
    assert.match(stderr, /review decision: \d+ ran/);
  } finally {
    stream?.destroy();
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => (child.kill('SIGKILL'), resolve(null)), 20_000))]);
    assert.is(code, 130, stderr);
    p.remove();
  }
});

page.run();
