// An incoming folder given as a URI (`--incoming s3://bucket/prefix`, as CALDP takes its inputs) is fetched into
// a local mirror before each run, through the repository adapters, and the rules read the mirror like any
// incoming folder. Only what changed is fetched (the listing's ETag against the one recorded); a file is
// written as NAME.part and renamed, so neither a rule nor a watcher ever sees half of it, and a kill mid-fetch
// leaves only a .part the next sync removes. Objects gone from the source are removed from the mirror.
import fs from 'node:fs';
import path from 'node:path';
import { assertRepositoryPath, type Repository } from './repository.js';

/** The mirror's record of what it holds: path → the source's version and size when fetched. A dot-file: no rule takes it. */
const STAMPS = '.imgbuild-mirror.json';
const CONCURRENCY = 8;

export interface MirrorResult {
  readonly fetched: string[];
  readonly removed: string[];
  readonly unchanged: number;
  /** Source paths that cannot be a local file name (`..`, empty parts): left out, each told. */
  readonly refused: string[];
}

type Stamps = Record<string, string>;

function readStamps(dir: string): Stamps {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STAMPS), 'utf8')) as Stamps;
  } catch {
    // None yet, or unreadable: every file is fetched again (slower, never wrong).
    return {};
  }
}

function writeStamps(dir: string, stamps: Stamps): void {
  const temporary = path.join(dir, `${STAMPS}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, JSON.stringify(stamps));
  fs.renameSync(temporary, path.join(dir, STAMPS));
}

export async function mirrorIncoming(source: Repository, dir: string, signal?: AbortSignal): Promise<MirrorResult> {
  fs.mkdirSync(dir, { recursive: true });
  removePartials(dir);
  const stamps = readStamps(dir);
  const wanted = new Map<string, string>();
  const refused: string[] = [];
  for await (const entry of source.list('')) {
    // "folder/" objects (what consoles make for folders) are no files.
    if (entry.path.endsWith('/')) continue;
    try {
      assertRepositoryPath(entry.path);
    } catch {
      refused.push(entry.path);
      continue;
    }
    // Without a version (an adapter that lists none), the size is all there is to compare.
    wanted.set(entry.path, `${entry.version ?? ''}:${entry.size}`);
  }
  const stale = [...wanted].filter(([file, stamp]) => stamps[file] !== stamp || !fs.existsSync(path.join(dir, file)));
  const fetched: string[] = [];
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < stale.length) {
      if (signal?.aborted) return;
      const [file, stamp] = stale[next++]!;
      const target = path.join(dir, file);
      const partial = `${target}.part`;
      try {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const found = source.getFile ? await source.getFile(file, partial) : await getViaBuffer(source, file, partial);
        if (!found) continue; // gone since the listing: the next sync removes it
        fs.renameSync(partial, target);
        stamps[file] = stamp;
        fetched.push(file);
      } catch (error) {
        fs.rmSync(partial, { force: true });
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, stale.length) }, worker));
  const removed: string[] = [];
  for (const file of Object.keys(stamps)) {
    if (wanted.has(file)) continue;
    fs.rmSync(path.join(dir, file), { force: true });
    delete stamps[file];
    removed.push(file);
  }
  // Recorded even after a failure: what was fetched need not be fetched again.
  writeStamps(dir, stamps);
  if (failure !== undefined) throw failure;
  return { fetched: fetched.sort(), removed: removed.sort(), unchanged: wanted.size - stale.length, refused };
}

async function getViaBuffer(source: Repository, file: string, target: string): Promise<boolean> {
  const body = await source.get(file);
  if (body === undefined) return false;
  fs.writeFileSync(target, body);
  return true;
}

/** `.part` files a killed sync left. */
function removePartials(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.part')) fs.rmSync(path.join(entry.parentPath, entry.name), { force: true });
  }
}
