// What every part of the reliability harness shares: the real CLI as a killable child, test images in two
// versions, views of a repository (local folder, Azurite, s3rver), and the invariants checked after a kill.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { openRepository, type RepositorySpec } from '../../src/repo/repository-spec.js';
import { REPO_ROOT } from '../helpers/project.js';

export const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');
export const PREFIX = 'https://data.example.org/wwt/';

/** One row of the summary table. */
export interface Row {
  readonly name: string;
  tried: number;
  handled: number;
  lost: number;
  notes: string[];
}

export const row = (name: string): Row => ({ name, tried: 0, handled: 0, lost: 0, notes: [] });

export interface ChildRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>;
}

/** The CLI in a child process; killed with SIGKILL after `timeoutMs` at the latest (every wait is bounded). */
export function startCli(cwd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): ChildRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    }),
  );
  return { child, done };
}

export async function runCli(cwd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000) {
  return startCli(cwd, args, env, timeoutMs).done;
}

export function parseJson(stdout: string): { ran?: Array<{ id: string }>; failed?: Array<{ id: string; error?: string }> } | undefined {
  try {
    return JSON.parse(stdout) as { ran?: Array<{ id: string }> };
  } catch {
    return undefined;
  }
}

/** A PNG whose pixels depend on (x, y) and the version, so two versions differ in every tile but not in size. */
export async function writeVersionedPng(file: string, width: number, height: number, version: number): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x + version * 97) & 255;
      raw[i + 1] = (y * 3 + version * 31) & 255;
      raw[i + 2] = ((x ^ y) + version * 50) & 255;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(file);
}

/** Read-only view of a repository: its files and their bytes. */
export interface RepoView {
  list(): Promise<string[]>;
  read(file: string): Promise<Buffer | undefined>;
}

export async function repoView(spec: RepositorySpec, env: Record<string, string> = {}): Promise<RepoView> {
  const repository = await openRepository(spec, { ...process.env, ...env });
  return {
    async list() {
      const out: string[] = [];
      for await (const entry of repository.list('')) out.push(entry.path);
      return out.sort();
    },
    read: (file) => repository.get(file),
  };
}

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

/** Problems with the repository: manifests that lie about their files, root-index entries without a data set. */
export async function repositoryProblems(view: RepoView): Promise<string[]> {
  const problems: string[] = [];
  const files = await view.list();
  const manifests = files.filter((f) => /^[^/]+\/imgbuild\.json$/.test(f));
  const published = new Set<string>();
  for (const manifestPath of manifests) {
    const id = manifestPath.split('/')[0]!;
    const bytes = await view.read(manifestPath);
    let manifest: { files: Array<{ path: string; size: number; sha256: string }> };
    try {
      manifest = JSON.parse(bytes!.toString('utf8'));
    } catch {
      problems.push(`${manifestPath}: unreadable manifest`);
      continue;
    }
    published.add(id);
    for (const entry of manifest.files) {
      const body = await view.read(`${id}/${entry.path}`);
      if (body === undefined) problems.push(`${id}/${entry.path}: listed in the manifest, missing`);
      else if (body.length !== entry.size || sha(body) !== entry.sha256) problems.push(`${id}/${entry.path}: bytes differ from the manifest`);
    }
  }
  const root = await view.read('index.wtml');
  if (root !== undefined) {
    const text = root.toString('utf8');
    const escaped = PREFIX.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    for (const match of text.matchAll(new RegExp(`${escaped}([^/"]+)/`, 'g'))) {
      if (!published.has(match[1]!)) problems.push(`index.wtml lists ${match[1]} which has no manifest`);
    }
  }
  return problems;
}

/** The repository's files and bytes with publish times blanked and root-index places in a fixed order. */
export async function normalizedRepository(view: RepoView): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of await view.list()) {
    if (/(^|\/)(\.imgbuild|imgbuild-lock)|\.tmp$/.test(file)) {
      out.set(file, 'LEFTOVER');
      continue;
    }
    let text = (await view.read(file))!.toString('latin1');
    if (file.endsWith('imgbuild.json')) text = text.replace(/"publishedAt":\s*"[^"]*"/, '"publishedAt":""');
    if (file === 'index.wtml') {
      text = text.replace(/X:LastUpdated="[^"]*"/g, '');
      // The folder is named after the repository when no folder_name is set, and the clean build's repository
      // has another name: compare everything but that.
      text = text.replace(/(<Folder [^>]*?)Name="[^"]*"/, '$1');
      const places = [...text.matchAll(/<Place [\s\S]*?<\/Place>/g)].map((m) => m[0]).sort();
      text = text.replace(/<Place [\s\S]*?<\/Place>/g, '') + places.join('\n');
    }
    out.set(file, sha(Buffer.from(text, 'latin1')));
  }
  return out;
}

export function compareRepositories(actual: Map<string, string>, expected: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [file, hash] of expected) {
    if (!actual.has(file)) diffs.push(`${file}: missing`);
    else if (actual.get(file) !== hash) diffs.push(`${file}: bytes differ from a clean build's`);
  }
  for (const file of actual.keys()) if (!expected.has(file)) diffs.push(`${file}: not in a clean build`);
  return diffs;
}

type OutputRecord = [string, string, number, number, string];

/** The nodes the cache records as done (state.json, then the journal replayed over it): id → builtAt, outputs. */
export function cacheRecords(cacheDir: string): Map<string, { builtAt: string; outputs: OutputRecord[] }> {
  const out = new Map<string, { builtAt: string; outputs: OutputRecord[] }>();
  try {
    const state = JSON.parse(fs.readFileSync(path.join(cacheDir, 'state.json'), 'utf8')) as { nodes: Record<string, [string, string, OutputRecord[]]> };
    for (const [id, [, builtAt, outputs]] of Object.entries(state.nodes)) out.set(id, { builtAt, outputs });
  } catch {
    // no state yet
  }
  let journal = '';
  try {
    journal = fs.readFileSync(path.join(cacheDir, 'journal.jsonl'), 'utf8');
  } catch {
    // no journal
  }
  for (const line of journal.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { node: string; record: { builtAt: string; outputs: OutputRecord[] } | null };
      if (entry.record === null) out.delete(entry.node);
      else out.set(entry.node, { builtAt: entry.record.builtAt, outputs: entry.record.outputs });
    } catch {
      // a torn last line is what a kill leaves; the engine ignores it too
    }
  }
  return out;
}

/** Where the built-in WWT rules put each named output of an item, in the work folder. */
function outputPath(work: string, id: string, name: string, relative: string): string | undefined {
  const item = id.slice(id.indexOf(':') + 1);
  const files: Record<string, string> = { placement: 'placement.json', thumb: 'thumb.jpg', relative: 'index_rel.wtml', absolute: 'index.wtml', tiles: 'tiles' };
  const base = files[name];
  return base === undefined ? undefined : path.join(work, item, base, relative);
}

/** Cache records whose outputs are not what they say (size or hash). */
export function cacheProblems(cacheDir: string, work: string): string[] {
  const problems: string[] = [];
  for (const [id, record] of cacheRecords(cacheDir)) {
    for (const [name, relative, size, , hash] of record.outputs) {
      const file = outputPath(work, id, name, relative);
      if (file === undefined) continue;
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch {
        problems.push(`${id}: recorded output ${name}/${relative} is missing`);
        continue;
      }
      if (bytes.length !== size || sha(bytes) !== hash) problems.push(`${id}: recorded output ${name}/${relative} differs from its record`);
    }
  }
  return problems;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
