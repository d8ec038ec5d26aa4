// `npm run bench -- feed`: refreshing a 5,000-item AstroPix feed with nothing new, the repository on s3rver behind
// a counting proxy (each its own server on 127.0.0.1). Reported: wall time, requests to the feed's server and to the
// repository, on the machine that built it and on a fresh machine (no work folder, no cache). The peer, measured
// in the same run: toasty's refresh asks the repository about each candidate (PipelineIo.check_exists per
// item), timed here as one GET per item against the same server through the same adapter.
//
// The repository is seeded with what building the feed leaves in it (a manifest per data set and the feed
// index, computed by the same code the feed rule uses), not built image by image: building 5,000 images would
// take most of the run and is measured by the tiling and publish benchmarks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAstroPixFeed } from '../src/feeds/astropix.js';
import { FEED_INDEX } from '../src/feeds/feed-index.js';
import { entryDigest } from '../src/feeds/pending-items.js';
import { openRepository } from '../src/repo/repository-spec.js';
import { parseRepositoryUri } from '../src/repo/repository-uri.js';
import { astroPixEntry, FeedServer } from '../test/helpers/feed-server.js';
import { startObservingProxy } from '../test/helpers/fault-proxy.js';
import { startS3Child } from '../test/helpers/s3-child.js';
import { S3_CREDENTIALS } from '../test/helpers/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'imgbuild.js');
const ITEMS = 5000;

function cli(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stderr: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code: code ?? -1, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

export async function feedBenchmark(out: string): Promise<void> {
  console.log(`\nfeed refresh: ${ITEMS.toLocaleString('en')} AstroPix items, nothing new, repository on s3rver`);
  const server = await new FeedServer().start();
  const s3 = await startS3Child(['data']);
  const proxy = await startObservingProxy(s3.url);
  const dir = path.join(out, 'feed');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  try {
    const entries = Array.from({ length: ITEMS }, (_v, i) => astroPixEntry(`n${i}`, `${server.url}/images/n${i}.jpg`, { ra: (i * 0.07) % 360, dec: ((i * 0.013) % 170) - 85 }));
    const body = Buffer.from(JSON.stringify(entries));
    server.set('/feed.json', { body, type: 'application/json' });
    console.log(`  feed: ${(body.length / 1024 / 1024).toFixed(1)} MB of JSON`);

    // Seed the repository as a build of the feed leaves it.
    process.env['AWS_ACCESS_KEY_ID'] = S3_CREDENTIALS.AWS_ACCESS_KEY_ID;
    process.env['AWS_SECRET_ACCESS_KEY'] = S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY;
    process.env['AWS_REGION'] = S3_CREDENTIALS.AWS_REGION;
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    const repository = await openRepository(parseRepositoryUri('s3://data/wwt', dir, 'bench', { endpoint: s3.url, region: 'us-east-1' }));
    const reading = readAstroPixFeed(body.toString('utf8'), 'bench');
    const items: Record<string, { digest: string }> = {};
    let next = 0;
    const seed = async (): Promise<void> => {
      while (next < reading.candidates.length) {
        const candidate = reading.candidates[next++]!;
        items[candidate.id] = { digest: entryDigest(candidate.data) };
        await repository.put(`${candidate.id}/imgbuild.json`, Buffer.from(JSON.stringify({ format: 1, id: candidate.id, key: 'seeded', publishedAt: '2026-01-01T00:00:00.000Z', files: [] })), { contentType: 'application/json' });
      }
    };
    console.log('  seeding the repository …');
    await Promise.all(Array.from({ length: 16 }, seed));
    await repository.put(FEED_INDEX, Buffer.from(JSON.stringify({ format: 'imgbuild-feed-index-1', items })), { contentType: 'application/json' });
    await repository.put('index.wtml', Buffer.from("<?xml version='1.0' encoding='UTF-8'?>\n<Folder Name=\"Feed\"/>\n"), { contentType: 'text/xml' });

    const args = ['all', '--repository', 's3://data/wwt', '--s3-endpoint', proxy.url, '--source-type', 'astropix', '--source-url', `${server.url}/feed.json`, '--publish-url-prefix', 'https://data.example.org/wwt/'];
    const env = { ...S3_CREDENTIALS };
    const measure = async (label: string, fresh: boolean): Promise<void> => {
      if (fresh) for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      server.clearLog();
      proxy.requests.length = 0;
      const run = await cli(args, dir, env);
      if (run.code !== 0) throw new Error(`imgbuild failed:\n${run.stderr}`);
      const images = server.requests('/images/').length;
      console.log(`  ${label}: ${run.seconds.toFixed(2)} s wall, ${server.requests('/feed.json').length} feed request (${server.requests('/feed.json', 304).length} answered 304), ${images} image requests, ${proxy.requests.length} repository requests`);
    };
    await measure('first refresh (fresh machine)', true);
    await measure('refresh, same machine', false);
    await measure('refresh, same machine again', false);
    await measure('refresh, fresh machine', true);

    // The peer: one existence check per candidate, as toasty's refresh makes them.
    const started = process.hrtime.bigint();
    for (const candidate of reading.candidates) await repository.get(`${candidate.id}/index.wtml`);
    const peer = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`  peer (toasty's way: ${ITEMS.toLocaleString('en')} repository checks, one per item): ${peer.toFixed(2)} s`);
  } finally {
    await proxy.stop();
    await s3.stop();
    await server.stop();
  }
}
