// Deterministic crash tests of "withdraw, then replace" (README, "Publishing"): a repository that stops
// accepting writes after its N-th one (as a killed publisher would), for every N over a republish, on a local
// folder, Azurite and s3rver. After each crash the invariant holds — a data set with a manifest is complete and
// matches it byte for byte; every root-index entry points at such a data set — and the next run repairs it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MANIFEST_NAME, readManifest } from '../src/repo/data-set-manifest.js';
import { LocalRepository } from '../src/repo/local-repository.js';
import { type FileToPublish, PROGRESS_NAME, publishDataSet } from '../src/repo/publish-data-set.js';
import type { PutOptions, Repository, RepositoryEntry, Versioned } from '../src/repo/repository.js';
import { openRepository } from '../src/repo/repository-spec.js';
import { firstEntry, rootIndexWtml } from '../src/wwt/wtml.js';
import { azureConnectionString, S3_CREDENTIALS, startAzurite, startS3 } from './helpers/servers.js';

class Killed extends Error {}

/** Passes through until `limit` writes have been made; then every write throws, as after a kill -9. */
class CrashingRepository implements Repository {
  writes = 0;
  constructor(
    private readonly inner: Repository,
    private readonly limit: number,
  ) {}
  get description(): string {
    return this.inner.description;
  }
  private write(): void {
    if (++this.writes > this.limit) throw new Killed(`killed before write ${this.writes}`);
  }
  get(p: string): Promise<Buffer | undefined> {
    return this.inner.get(p);
  }
  async put(p: string, body: Buffer, o: PutOptions): Promise<void> {
    this.write();
    await this.inner.put(p, body, o);
  }
  async putFile(p: string, file: string, o: PutOptions): Promise<void> {
    this.write();
    await this.inner.putFile(p, file, o);
  }
  list(prefix: string): AsyncIterable<RepositoryEntry> {
    return this.inner.list(prefix);
  }
  folders(prefix: string): Promise<string[]> {
    return this.inner.folders(prefix);
  }
  async delete(p: string): Promise<void> {
    this.write();
    await this.inner.delete(p);
  }
  getVersioned(p: string): Promise<Versioned | undefined> {
    return this.inner.getVersioned(p);
  }
  async putIfMatch(p: string, body: Buffer, etag: string): Promise<string | undefined> {
    this.write();
    return this.inner.putIfMatch(p, body, etag);
  }
  async deleteIfMatch(p: string, etag: string): Promise<boolean> {
    this.write();
    return this.inner.deleteIfMatch(p, etag);
  }
  async createExclusive(p: string, body: Buffer): Promise<boolean> {
    this.write();
    return this.inner.createExclusive(p, body);
  }
}

function place(name: string): string {
  return `<Place Name="${name}" DataSetType="Sky"><ForegroundImageSet><ImageSet Name="${name}" /></ForegroundImageSet></Place>`;
}

/** A version of data set `id`: tiles of `levels` levels whose bytes say which version they are. */
function makeVersion(dir: string, version: string, levels: number): FileToPublish[] {
  const files: Array<[string, string]> = [];
  for (let level = 0; level < levels; level++) {
    for (let y = 0; y < 2 ** level; y++) for (let x = 0; x < 2 ** level; x++) files.push([`${level}/${y}/${y}_${x}.png`, `tile ${version} ${level} ${y} ${x}`]);
  }
  files.push(['thumb.jpg', `thumb ${version}`]);
  const wtml = `<?xml version='1.0' encoding='UTF-8'?>\n<Folder>\n  ${place(`M ${version}`)}\n</Folder>\n`;
  files.push(['index_rel.wtml', wtml], ['index.wtml', wtml]);
  return files.map(([p, content]) => {
    const source = path.join(dir, version, p);
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, content);
    return { path: p, source, size: Buffer.byteLength(content), sha256: crypto.createHash('sha256').update(content).digest('hex') };
  });
}

/** What the `index` node would write: every data set with a manifest and no progress record. */
async function reindex(repo: Repository): Promise<void> {
  const entries = [];
  for (const id of await repo.folders('')) {
    if ((await repo.get(`${id}/${PROGRESS_NAME}`)) !== undefined) continue;
    const manifest = await readManifest(repo, id);
    const wtml = await repo.get(`${id}/index.wtml`);
    const p = wtml && firstEntry(wtml.toString('utf8'));
    if (manifest && p) entries.push({ placeXml: p, lastUpdated: manifest.publishedAt });
  }
  await repo.put('index.wtml', Buffer.from(rootIndexWtml('test', '', entries)), { contentType: 'text/xml' });
}

async function assertInvariant(repo: Repository, ids: string[], where: string): Promise<void> {
  for (const id of ids) {
    const manifest = await readManifest(repo, id);
    if (!manifest) continue;
    for (const f of manifest.files) {
      const bytes = await repo.get(`${id}/${f.path}`);
      assert.ok(bytes !== undefined, `${where}: ${id}/${f.path} listed by the manifest is missing`);
      assert.is(crypto.createHash('sha256').update(bytes).digest('hex'), f.sha256, `${where}: ${id}/${f.path} differs from its manifest`);
    }
  }
  const root = (await repo.get('index.wtml'))?.toString('utf8') ?? '';
  for (const entry of root.match(/<Place\b[\s\S]*?<\/Place>/g) ?? []) {
    const name = /Name="M ([^"]*)"/.exec(entry)?.[1];
    const id = ids.find((i) => name?.startsWith(i));
    assert.ok(id, `${where}: unknown root entry ${entry}`);
    const manifest = await readManifest(repo, id);
    assert.ok(manifest, `${where}: the root index lists ${id}, which has no manifest`);
    const wtml = (await repo.get(`${id}/index.wtml`))?.toString('utf8');
    assert.is(wtml && firstEntry(wtml), firstEntry(entry), `${where}: the root entry for ${id} is not the data set's own Place`);
  }
}

async function crashEveryWrite(name: string, open: (scope: string) => Promise<Repository>): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-crash-'));
  try {
    const id = 'a';
    // v1 has 2 levels, v2 has 1 and differs and different: overwrites, removals and a new root entry.
    const v1 = makeVersion(work, `${id}1`, 2);
    const v2 = makeVersion(work, `${id}2`, 1);
    let crashes = 0;
    for (let n = 0; ; n++) {
      const repo = await open(`${name}-n${n}`);
      await publishDataSet(repo, id, 'k1', v1);
      await reindex(repo);
      const crashing = new CrashingRepository(repo, n);
      let finished = false;
      try {
        await publishDataSet(crashing, id, 'k2', v2);
        finished = true;
      } catch (error) {
        if (!(error instanceof Killed) && !(error as Error).message.includes('killed before')) throw error;
        crashes++;
      }
      await assertInvariant(repo, [id], `${name}, killed after ${n} writes`);
      // A killed process leaves its locks; taking over a dead holder's lock is repository-lock.test.ts's job.
      await repo.delete(`${id}/.imgbuild-lock`);
      await repo.delete('.imgbuild-index-lock');
      // The user switched back: the next run publishes v1 again. Whatever the killed attempt recorded (paths it
      // was deleting, say) must not make it skip a file that is no longer there.
      await publishDataSet(repo, id, 'k1', v1);
      await assertInvariant(repo, [id], `${name}, v1 again after a kill at ${n}`);
      const back: string[] = [];
      for await (const e of repo.list(`${id}/`)) back.push(e.path.slice(id.length + 1));
      assert.equal(back.sort(), [...v1.map((f) => f.path), MANIFEST_NAME].sort(), `${name}: exactly v1's files after switching back at ${n}`);
      // The next run: publish and reindex repair everything.
      await publishDataSet(repo, id, 'k2', v2);
      await reindex(repo);
      await assertInvariant(repo, [id], `${name}, repaired after a kill at ${n}`);
      const manifest = await readManifest(repo, id);
      assert.is(manifest?.key, 'k2');
      assert.is(await repo.get(`${id}/${PROGRESS_NAME}`), undefined, 'the progress record is gone');
      const listed: string[] = [];
      for await (const e of repo.list(`${id}/`)) listed.push(e.path.slice(id.length + 1));
      assert.equal(listed.sort(), [...v2.map((f) => f.path), MANIFEST_NAME].sort(), `${name}: exactly v2's files after repair at ${n}`);
      assert.match((await repo.get('index.wtml'))!.toString(), /M a2/);
      if (finished) break;
      assert.ok(n < 200, 'bounded');
    }
    assert.ok(crashes > 8, `${name}: crashed at ${crashes} points`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

test('a republish killed after any write: the invariant holds and the next run repairs (local folder)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-crash-repo-'));
  try {
    await crashEveryWrite('local', async (scope) => new LocalRepository(path.join(dir, scope)));
    // Fewer tiles leave no empty folders behind.
    const leftovers = fs.readdirSync(path.join(dir, 'local-n0', 'a')).sort();
    assert.equal(leftovers, ['0', MANIFEST_NAME, 'index.wtml', 'index_rel.wtml', 'thumb.jpg']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a republish killed after any write: the invariant holds and the next run repairs (Azurite)', async () => {
  const azurite = await startAzurite();
  try {
    process.env['IMGBUILD_CRASH_CONN'] = azureConnectionString(azurite.url);
    await crashEveryWrite('azure', (scope) => openRepository({ kind: 'azure', connEnv: 'IMGBUILD_CRASH_CONN', container: 'crash', pathPrefix: scope }));
  } finally {
    await azurite.stop();
  }
});

test('a republish killed after any write: the invariant holds and the next run repairs (s3rver)', async () => {
  const server = await startS3(['crash']);
  try {
    Object.assign(process.env, S3_CREDENTIALS);
    await crashEveryWrite('s3', (scope) => openRepository({ kind: 's3', bucket: 'crash', prefix: scope, endpoint: server.url }));
  } finally {
    await server.stop();
  }
});

test.run();
