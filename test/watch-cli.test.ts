// `imgbuild watch` as a user runs it: the real CLI in a child process, the built-in WWT pipeline, a local folder
// repository. Ctrl-C in the middle of a batch and SIGTERM stop cleanly (exit 130/143, nothing partial
// published); with no inotify watches to be had (a user namespace with the limit at 0) it polls and says how
// to raise the limit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeCoordinatePng } from './helpers/images.js';
import { REPO_ROOT } from './helpers/project.js';
import { withProject } from './helpers/rig.js';
import { startS3Child } from './helpers/s3-child.js';
import { S3_CREDENTIALS, startFaultProxy } from './helpers/servers.js';

const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');

interface Watching {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function startWatch(dir: string, args: string[], wrap: string[] = [], env: Record<string, string> = {}): Watching {
  const repository = args.some((a) => a.startsWith('--s3-')) ? [] : ['--local', 'repo'];
  const argv = [...wrap, process.execPath, BIN, 'watch', ...repository, '--publish-url-prefix', 'https://data.example.org/wwt/', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });
  const watching: Watching = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk: Buffer) => (watching.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (watching.stderr += chunk.toString()));
  // Bounded: whatever happens in the test, the child does not outlive it by more than this.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void watching.exited.then(() => clearTimeout(timer));
  return watching;
}

async function until(condition: () => boolean, ms: number, what: string, w: Watching): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${w.stdout}\nstderr:\n${w.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every data set in the repository is complete: a manifest, no progress record, every listed file present. */
function assertRepositoryComplete(repo: string): string[] {
  const ids = fs.readdirSync(repo, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const id of ids) {
    assert.not.ok(fs.existsSync(path.join(repo, id, 'imgbuild.partial.json')), `${id}: no progress record left`);
    const manifest = JSON.parse(fs.readFileSync(path.join(repo, id, 'imgbuild.json'), 'utf8')) as { files: Record<string, unknown> | Array<{ path: string }> };
    const listed = Array.isArray(manifest.files) ? manifest.files.map((f) => f.path) : Object.keys(manifest.files);
    for (const file of listed) assert.ok(fs.existsSync(path.join(repo, id, file)), `${id}/${file} is there`);
  }
  return ids;
}

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} in the middle of a batch: "stopping…", running nodes finish, exit ${status}, nothing partial; a restart finishes the rest`, async () => {
    await withProject('imgbuild-watch-cli-', async (project) => {
      fs.mkdirSync(project.path('incoming'));
      const w = startWatch(project.dir, ['-j', '1', '-v']);
      try {
        await until(() => w.stderr.includes('first pass'), 60_000, 'the first pass', w);
        for (let i = 0; i < 6; i++) await writeCoordinatePng(project.path('incoming', `img${i}.png`), 1500, 1000);
        await until(() => /^run {2}tiles:/m.test(w.stdout), 60_000, 'a tiling to start', w);
        w.child.kill(signal);
        const code = await w.exited;
        assert.is(code, status);
        assert.match(w.stderr, /stopping… waiting for 1 running job/);
      } finally {
        w.child.kill('SIGKILL');
      }
      const staging = project.path('work', '.staging');
      assert.ok(!fs.existsSync(staging) || fs.readdirSync(staging).length === 0, 'no staging left');
      const published = fs.existsSync(project.path('repo')) ? assertRepositoryComplete(project.path('repo')) : [];
      assert.ok(published.length < 6, `stopped before everything was published (${published.length})`);
      // A restarted watcher builds the rest, and redoes nothing that was done.
      const again = startWatch(project.dir, ['-v']);
      try {
        await until(() => again.stderr.includes('first pass'), 120_000, 'the restart', again);
        again.child.kill('SIGINT');
        assert.is(await again.exited, 130);
      } finally {
        again.child.kill('SIGKILL');
      }
      for (const id of published) assert.not.match(again.stdout, new RegExp(`^run {2}tiles:${id}\\b`, 'm'), `${id} not tiled again`);
      assert.equal(assertRepositoryComplete(project.path('repo')).sort(), ['img0', 'img1', 'img2', 'img3', 'img4', 'img5']);
    });
  });
}

test('watch with the archive preset: subfolders that appear later, a bad name told once, and expiry on its own', async () => {
  await withProject('imgbuild-watch-archive-', async (project) => {
    fs.mkdirSync(project.path('incoming'));
    project.write(
      'pipeline.config.ts',
      `import { defineConfig, archiveRules } from 'imgbuild';\nexport default defineConfig({ rules: archiveRules(), archive: { expire: { 'info-images': '4s' }, expireEvery: '1s' } });\n`,
    );
    const w = startWatch(project.dir, []);
    try {
      await until(() => w.stderr.includes('first pass'), 60_000, 'the first pass', w);
      const info = 'sro-kb001ms-20220629-00000031';
      fs.mkdirSync(project.path('incoming', 'info-images', '1'), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'eso_eso1723a_320.jpg'), project.path('incoming', 'info-images', '1', `${info}-EX10.jpg`));
      fs.writeFileSync(project.path('incoming', 'sro-kb001ms-20220631-00000001-EX01.txt'), 'SIMPLE  =                    T');
      const shown = project.path('repo', 'info-images', 'sro', '1', `${info}-EX11.jpg`);
      await until(() => fs.existsSync(shown), 60_000, 'the info image and its thumbnail published', w);
      fs.writeFileSync(project.path('incoming', 'sro-kb001ms-20220629-00000032-EX01.txt'), 'SIMPLE  =                    T');
      await until(() => fs.existsSync(project.path('repo', 'data', 'sro-kb001ms-20220629-00000032-EX01.txt')), 60_000, 'a regular exposure', w);
      await until(() => !fs.existsSync(shown), 60_000, 'the info image to expire on its own', w);
      // Its files go before the watcher says so: wait for the line too.
      await until(() => w.stderr.includes(`expired info-1-${info}`), 30_000, 'the expiry to be told', w);
      assert.is((w.stderr.match(/20220631-00000001-EX01\.txt is not named as archive files are/g) ?? []).length, 1, 'the bad name told once');
      assert.not.match(w.stdout, /^(run|done) /m, 'piped, a watcher prints one line per batch, not one per node');
      w.child.kill('SIGINT');
      assert.is(await w.exited, 130);
      assert.match(w.stderr, /stopping…\n/, 'idle: nothing to wait for (a rejected file never counted as running)');
      assert.not.match(w.stderr, /-\d+ running job/);
    } finally {
      w.child.kill('SIGKILL');
    }
  });
});

const canLimitWatches = spawnSync('unshare', ['-U', '-r', '--', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches'], { encoding: 'utf8' }).status === 0;

test('with no inotify watches to be had, the watcher polls, says how to raise the limit, and still builds what arrives', async () => {
  // A user namespace has its own inotify limit (Linux ≥ 5.11): 0 there makes every watch fail with ENOSPC.
  assert.ok(canLimitWatches, 'unshare -U -r must work here (util-linux, user namespaces) for this test');
  await withProject('imgbuild-watch-enospc-', async (project) => {
    fs.mkdirSync(project.path('incoming'));
    const w = startWatch(project.dir, [], ['unshare', '-U', '-r', '--', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$@"', 'sh']);
    try {
      await until(() => w.stderr.includes('first pass'), 60_000, 'the first pass', w);
      assert.match(w.stderr, /no more file watches \(ENOSPC\): following the folders by polling instead/);
      assert.match(w.stderr, /sysctl fs\.inotify\.max_user_watches=/);
      await writeCoordinatePng(project.path('incoming', 'late.png'), 300, 200);
      await until(() => fs.existsSync(project.path('repo', 'late', 'imgbuild.json')), 60_000, 'the new image published', w);
      await until(() => /batch of \d+ file/.test(w.stderr) && fs.readFileSync(project.path('repo', 'index.wtml'), 'utf8').includes('/late/'), 60_000, 'the batch and its reindex', w);
      // The root index ran in the first pass and again for the batch: its warning is told once.
      assert.is((w.stderr.match(/no folder_name is set/g) ?? []).length, 1, w.stderr);
      w.child.kill('SIGINT');
      assert.is(await w.exited, 130);
    } finally {
      w.child.kill('SIGKILL');
    }
  });
});

test('an S3 repository that stops answering is retried with backoff, and what arrived meanwhile is published when it is back', async () => {
  const s3 = await startS3Child(['wwt']);
  const proxy = await startFaultProxy(s3.url);
  try {
    await withProject('imgbuild-watch-s3-', async (project) => {
      fs.mkdirSync(project.path('incoming'));
      const w = startWatch(project.dir, ['--s3-bucket', 'wwt', '--s3-endpoint', proxy.url], [], S3_CREDENTIALS);
      try {
        await until(() => w.stderr.includes('first pass'), 60_000, 'the first pass', w);
        proxy.policy = () => 'fail-503';
        await writeCoordinatePng(project.path('incoming', 'during.png'), 300, 200);
        await until(() => (w.stderr.match(/trying again in/g) ?? []).length >= 2, 90_000, 'two retries', w);
        const delays = [...w.stderr.matchAll(/trying again in ([\d.]+) (ms|s)/g)].map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : 1));
        assert.ok(delays[1]! > delays[0]!, `the wait grows: ${delays.join(', ')}`);
        assert.not.match(w.stderr, /S3RVER/, 'no credential in the output');
        proxy.policy = () => 'pass';
        await until(() => /retry: \d+ ran, 0 failed/.test(w.stderr), 90_000, 'a retry that succeeds', w);
        assert.ok(proxy.requests.some((r) => r.method === 'PUT' && r.url.includes('/during/imgbuild.json')), 'the data set was published');
        w.child.kill('SIGINT');
        assert.is(await w.exited, 130);
      } finally {
        w.child.kill('SIGKILL');
      }
    });
  } finally {
    await proxy.stop();
    await s3.stop();
  }
});

test.run();
