// `npm run bench -- publish`: publishing 5,000 tiles to Azurite and to s3rver (each its own process on
// 127.0.0.1), and to a local folder for reference: files per second at the default concurrency, and what a
// no-op republish costs (the manifest check `imgbuild all` makes, and a publish call with nothing changed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readManifest } from '../src/repo/data-set-manifest.js';
import { hashFileContents } from '../src/cache/file-hasher.js';
import { type FileToPublish, publishDataSet } from '../src/repo/publish-data-set.js';
import { openRepository, type RepositorySpec } from '../src/repo/repository-spec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TILES = 5000;
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startServer(argv: string[], ready: RegExp): Promise<() => void> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  return () => child.kill('SIGTERM');
}

async function makeTiles(dir: string): Promise<FileToPublish[]> {
  fs.mkdirSync(dir, { recursive: true });
  const noise = Buffer.alloc(256 * 256 * 4);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 27;
  const base = await sharp(noise, { raw: { width: 256, height: 256, channels: 4 } }).png().toBuffer();
  const files: FileToPublish[] = [];
  for (let i = 0; i < TILES; i++) {
    const level = 6;
    const y = Math.floor(i / 80);
    const x = i % 80;
    const file = path.join(dir, `${i}.png`);
    // Distinct bytes per tile (a trailing chunk-free suffix PNG decoders ignore), so every hash differs.
    if (!fs.existsSync(file)) fs.writeFileSync(file, Buffer.concat([base, Buffer.from(`tile ${i}`)]));
    files.push({ path: `${level}/${y}/${y}_${x}.png`, source: file, size: fs.statSync(file).size, sha256: hashFileContents(file) });
  }
  return files;
}

async function measure(name: string, spec: RepositorySpec, files: FileToPublish[]): Promise<void> {
  const repository = await openRepository(spec);
  const megabytes = files.reduce((sum, f) => sum + f.size, 0) / 1e6;
  let start = performance.now();
  await publishDataSet(repository, 'bench', 'key-1', files);
  const first = (performance.now() - start) / 1000;
  start = performance.now();
  const manifest = await readManifest(repository, 'bench');
  const check = performance.now() - start;
  if (manifest?.key !== 'key-1') throw new Error('the manifest did not land');
  start = performance.now();
  const again = await publishDataSet(repository, 'bench', 'key-1', files);
  const republish = performance.now() - start;
  if (again.uploaded !== 0) throw new Error(`a republish with nothing changed uploaded ${again.uploaded} files`);
  console.log(
    `  ${name.padEnd(8)} first publish ${first.toFixed(1)} s = ${(files.length / first).toFixed(0)} files/s (${(megabytes / first).toFixed(1)} MB/s)` +
      `   no-op check ${check.toFixed(0)} ms   republish, nothing changed ${republish.toFixed(0)} ms (0 files uploaded)`,
  );
}

export async function publishBenchmark(outDir: string): Promise<void> {
  const files = await makeTiles(path.join(outDir, 'publish-tiles'));
  const megabytes = files.reduce((sum, f) => sum + f.size, 0) / 1e6;
  console.log(`\nPublishing ${files.length} tiles (${megabytes.toFixed(0)} MB) at the default concurrency (8)`);
  const azurePort = await freePort();
  const stopAzurite = await startServer(
    [path.join(ROOT, 'node_modules/azurite/dist/src/blob/main.js'), '--blobHost', '127.0.0.1', '--blobPort', String(azurePort), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry'],
    /successfully listens/,
  );
  const s3Port = await freePort();
  const s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-bench-s3-'));
  const stopS3 = await startServer(
    [path.join(ROOT, 'node_modules/s3rver/bin/s3rver.js'), '-d', s3Dir, '-a', '127.0.0.1', '-p', String(s3Port), '--configure-bucket', 'bench'],
    /listening/i,
  );
  try {
    const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-bench-local-'));
    await measure('local', { kind: 'local', dir: localDir }, files);
    fs.rmSync(localDir, { recursive: true, force: true });
    process.env['IMGBUILD_BENCH_AZURE'] = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${azurePort}/devstoreaccount1;`;
    await measure('azurite', { kind: 'azure', connEnv: 'IMGBUILD_BENCH_AZURE', container: 'bench', pathPrefix: '' }, files);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    await measure('s3rver', { kind: 's3', bucket: 'bench', prefix: '', endpoint: `http://127.0.0.1:${s3Port}`, region: 'us-east-1' }, files);
  } finally {
    stopAzurite();
    stopS3();
    fs.rmSync(s3Dir, { recursive: true, force: true });
  }
}
