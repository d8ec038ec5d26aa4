// Kill points: SIGKILL the real CLI at random delays and at deterministic points (the first tile, WTML or
// journal line in the work folder; the first file, a manifest or the root index in the repository — seen on
// disk for a local folder, as a request at the proxy for Azurite and s3rver), check the invariants, rerun to
// completion, and finally compare the repository with a clean build's.
import fs from 'node:fs';
import path from 'node:path';
import type { RepositorySpec } from '../../src/repo/repository-spec.js';
import { TempProject } from '../helpers/project.js';
import { azureConnectionString, S3_CREDENTIALS, startAzurite } from '../helpers/servers.js';
import { startObservingProxy, type ObservingProxy } from '../helpers/fault-proxy.js';
import { startS3Child } from '../helpers/s3-child.js';
import {
  cacheProblems, cacheRecords, compareRepositories, normalizedRepository, parseJson, PREFIX, repositoryProblems, repoView, row, type Row, runCli, sleep, startCli, writeVersionedPng,
} from './harness-kit.js';

export interface KillOptions {
  readonly kills: number;
  readonly images: number;
  readonly width: number;
  readonly height: number;
  /** A rerun after a kill that takes longer is counted as stuck (a lock left behind, say). */
  readonly rerunTimeoutMs: number;
}

interface Backend {
  readonly name: string;
  flags(scope: string): string[];
  spec(scope: string): RepositorySpec;
  readonly env: Record<string, string>;
  readonly proxy?: ObservingProxy;
  stop(): Promise<void>;
}

/** A deterministic kill point: a predicate polled on the project folder, or a request seen at the proxy. */
type KillPoint =
  | { readonly name: string; readonly kind: 'delay'; readonly ms: [number, number] }
  | { readonly name: string; readonly kind: 'file'; readonly where: 'work' | 'cache' | 'repo'; readonly match: RegExp }
  | { readonly name: string; readonly kind: 'request'; readonly match: RegExp; readonly landed: boolean };

const LOCAL_POINTS: KillPoint[] = [
  { name: 'random delay', kind: 'delay', ms: [50, 2500] },
  { name: 'first tile in the work folder', kind: 'file', where: 'work', match: /\.png$/ },
  { name: 'first WTML in the work folder', kind: 'file', where: 'work', match: /index_rel\.wtml$/ },
  { name: 'journal written (cache)', kind: 'file', where: 'cache', match: /journal\.jsonl$/ },
  { name: 'first file published', kind: 'file', where: 'repo', match: /\.png$/ },
  { name: 'manifest published', kind: 'file', where: 'repo', match: /imgbuild\.json$/ },
  { name: 'root index written', kind: 'file', where: 'repo', match: /^index\.wtml/ },
];
const REMOTE_POINTS: KillPoint[] = [
  { name: 'random delay', kind: 'delay', ms: [50, 3000] },
  { name: 'first tile in the work folder', kind: 'file', where: 'work', match: /\.png$/ },
  { name: 'journal written (cache)', kind: 'file', where: 'cache', match: /journal\.jsonl$/ },
  { name: 'first tile PUT (before it lands)', kind: 'request', match: /^PUT .*\.png/, landed: false },
  { name: 'a tile PUT (after it lands)', kind: 'request', match: /^PUT .*\/[0-9]+\/[0-9]+\/[0-9]+_[0-9]+\.png/, landed: true },
  { name: 'manifest PUT', kind: 'request', match: /^PUT .*imgbuild\.json/, landed: false },
  { name: 'root index PUT', kind: 'request', match: /^PUT \/[^?]*?\/k\d+\/index\.wtml/, landed: true },
];

/** Files (relative) under `dir` modified at or after `since`. */
function newFiles(dir: string, since: number): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string, depth: number): void => {
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r, depth + 1);
      else {
        try {
          if (fs.statSync(path.join(d, e.name)).mtimeMs >= since) out.push(r);
        } catch {
          // gone between readdir and stat
        }
      }
    }
  };
  walk(dir, '', 0);
  return out;
}

async function localBackend(project: TempProject): Promise<Backend> {
  return { name: 'local', flags: (s) => ['--local', project.path(`repo-${s}`)], spec: (s) => ({ kind: 'local', dir: project.path(`repo-${s}`) }), env: {}, stop: async () => undefined };
}

async function azureBackend(): Promise<Backend> {
  const azurite = await startAzurite();
  const proxy = await startObservingProxy(azurite.url);
  const direct = { RELIABILITY_AZURE_DIRECT: azureConnectionString(azurite.url) };
  return {
    name: 'Azurite',
    flags: (s) => ['--azure-conn-env', 'RELIABILITY_AZURE', '--azure-container', 'data', '--azure-path-prefix', s],
    spec: (s) => ({ kind: 'azure', connEnv: 'RELIABILITY_AZURE_DIRECT', container: 'data', pathPrefix: s }),
    env: { RELIABILITY_AZURE: azureConnectionString(proxy.url), ...direct },
    proxy,
    stop: async () => {
      await proxy.stop();
      await azurite.stop();
    },
  };
}

async function s3Backend(): Promise<Backend> {
  const server = await startS3Child(['imgbuild']);
  const proxy = await startObservingProxy(server.url);
  return {
    name: 's3rver',
    flags: (s) => ['--s3-bucket', 'imgbuild', '--s3-prefix', s, '--s3-endpoint', proxy.url],
    spec: (s) => ({ kind: 's3', bucket: 'imgbuild', prefix: s, endpoint: server.url }),
    env: { ...S3_CREDENTIALS, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    proxy,
    stop: async () => {
      await proxy.stop();
      await server.stop();
    },
  };
}

async function setIncoming(project: TempProject, options: KillOptions, version: number, extra: number): Promise<void> {
  for (let i = 0; i < options.images; i++) await writeVersionedPng(project.path(`incoming/img${i}.png`), options.width, options.height, version);
  // Every few trials a new image appears, so a kill can also land in a first publish.
  if (extra > 0) await writeVersionedPng(project.path(`incoming/new${extra}.png`), 400, 300, extra);
}

async function killTrials(backend: Backend, options: KillOptions, kills: number, project: TempProject, out: Row): Promise<void> {
  let generation = 1;
  let scope = `k${generation}`;
  const args = (s: string, cacheName: string): string[] => ['all', '--json', '--incoming', 'incoming', '--work', `work-${cacheName}`, '--cache', `cache-${cacheName}`, '--publish-url-prefix', PREFIX, '-j', '2', ...backend.flags(s)];
  const points = backend.proxy ? REMOTE_POINTS : LOCAL_POINTS;
  let view = await repoView(backend.spec(scope), backend.env);
  let delivered = 0;
  for (let trial = 0; delivered < kills && trial < kills * 3; trial++) {
    const point = points[trial % points.length]!;
    await setIncoming(project, options, trial % 2, trial % 3 === 0 ? trial + 1 : 0);
    const started = Date.now() - 5; // mtime resolution: a file written right at the start still counts
    const run = startCli(project.dir, args(scope, 'k'), backend.env, 120_000);
    let killed = false;
    const kill = (): void => {
      if (!killed && run.child.exitCode === null) {
        killed = run.child.kill('SIGKILL');
      }
    };
    if (backend.proxy) {
      backend.proxy.policy = ({ method, url }) => {
        if (point.kind === 'request' && point.match.test(`${method} ${url}`)) {
          kill();
          return point.landed ? 'pass' : 'reset';
        }
        return 'pass';
      };
    }
    const exited = run.done.then(() => true);
    if (point.kind === 'delay') {
      const ms = point.ms[0] + Math.random() * (point.ms[1] - point.ms[0]);
      await Promise.race([sleep(ms), exited]);
      kill();
    } else if (point.kind === 'file') {
      const dir = point.where === 'work' ? 'work-k' : point.where === 'cache' ? 'cache-k' : `repo-${scope}`;
      let finished = false;
      void exited.then(() => (finished = true));
      for (let polls = 0; !finished && !killed && polls < 20_000; polls++) {
        if (newFiles(project.path(dir), started).some((f) => point.match.test(f))) kill();
        else await sleep(3);
      }
    }
    const result = await run.done;
    if (backend.proxy) backend.proxy.policy = () => 'pass';
    if (!killed || result.signal !== 'SIGKILL') {
      // Not a failure: this kill was not delivered, so it is not counted as tried (the table says how many were).
      console.log(`note: ${backend.name}: "${point.name}" came too late (the run finished first); not counted`);
      continue;
    }
    delivered++;
    out.tried++;
    const doneInKilledRun = [...cacheRecords(project.path('cache-k'))].filter(([, r]) => Date.parse(r.builtAt) >= started).map(([id]) => id);
    const problems = [...cacheProblems(project.path('cache-k'), project.path('work-k')), ...(await repositoryProblems(view))];
    const rerun = await runCli(project.dir, args(scope, 'k'), backend.env, options.rerunTimeoutMs);
    const report = parseJson(rerun.stdout);
    if (rerun.code !== 0 || report === undefined) {
      problems.push(`rerun after the kill ${rerun.timedOut ? `hung for ${options.rerunTimeoutMs / 1000} s` : `exited ${rerun.code}`}: ${(rerun.stderr.split('\n').find((l) => l.startsWith('error')) ?? rerun.stderr.slice(0, 200)).trim()}`);
    } else {
      const redone = (report.ran ?? []).map((r) => r.id).filter((id) => doneInKilledRun.includes(id));
      if (redone.length > 0) problems.push(`work finished before the kill was redone: ${redone.join(', ')}`);
    }
    const after = [...cacheProblems(project.path('cache-k'), project.path('work-k')), ...(await repositoryProblems(view))];
    const lost = problems.filter((p) => /differ|missing|no manifest|unreadable/.test(p)).length + after.length;
    out.lost += lost;
    if (problems.length === 0 && after.length === 0) out.handled++;
    else out.notes.push(`${backend.name}, kill at "${point.name}": ${[...problems, ...after].slice(0, 3).join('; ')}`);
    if (rerun.code !== 0) {
      // A stuck repository would make every later trial fail the same way: go on with a fresh repository,
      // work folder and cache, so the later kill points still say something.
      scope = `k${++generation}`;
      view = await repoView(backend.spec(scope), backend.env);
      fs.rmSync(project.path('cache-k'), { recursive: true, force: true });
      fs.rmSync(project.path('work-k'), { recursive: true, force: true });
    }
  }
  // Finally: the repository equals a clean build's of the same images.
  const final = await runCli(project.dir, args(scope, 'k'), backend.env, 90_000);
  const clean = await runCli(project.dir, args('clean', 'clean'), backend.env, 180_000);
  if (final.code !== 0 || clean.code !== 0) {
    out.notes.push(`${backend.name}: final runs failed (${final.code}, ${clean.code}): ${final.stderr.slice(0, 200)}`);
    out.lost++;
    return;
  }
  const diffs = compareRepositories(await normalizedRepository(view), await normalizedRepository(await repoView(backend.spec('clean'), backend.env)));
  if (diffs.length > 0) {
    out.lost += diffs.length;
    out.notes.push(`${backend.name}: repository differs from a clean build's: ${diffs.slice(0, 3).join('; ')}${diffs.length > 3 ? ` and ${diffs.length - 3} more` : ''}`);
  }
}

export async function killPoints(options: KillOptions, onRow: (done: Row) => void = () => undefined): Promise<Row[]> {
  const rows: Row[] = [];
  const makers: Array<[string, (p: TempProject) => Promise<Backend>]> = [
    ['kill points: local folder', localBackend],
    ['kill points: Azurite', () => azureBackend()],
    ['kill points: s3rver', () => s3Backend()],
  ];
  const share = [Math.ceil(options.kills / 3), Math.ceil(options.kills / 3), Math.ceil(options.kills / 3)];
  for (const [i, [name, make]] of makers.entries()) {
    const out = row(name);
    rows.push(out);
    const project = new TempProject('imgbuild-reliability-kill-');
    let backend: Backend | undefined;
    try {
      backend = await make(project);
      await killTrials(backend, options, share[i]!, project, out);
    } catch (error) {
      out.lost++;
      out.notes.push(`${name}: harness error: ${(error as Error).message.split('\n')[0]}`);
    } finally {
      await backend?.stop();
      project.remove();
    }
    onRow(out);
  }
  return rows;
}
