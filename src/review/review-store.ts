// A reviewer's decisions, kept with the build state (`<cache>/review.json`), never in the work folder: deleting
// work/ must not publish what a person rejected. An approval names the publish node's key it was given for, so
// a rebuilt data set (another key) needs approving again; a rejection holds for the data set, whatever is
// rebuilt, until someone approves it. Written whole to a temporary file and renamed (a kill leaves the old file or
// the new, never half of one), under a small lock of its own: the cache lock is held for a watcher's lifetime,
// and `imgbuild approve` must work beside one.
import fs from 'node:fs';
import path from 'node:path';
import { ImgbuildError } from '../errors.js';
import { isDead, type ProcessOwner, thisProcess } from '../process-owner.js';

export const REVIEW_FILE = 'review.json';

export type ReviewDecision =
  | { readonly decision: 'approved'; readonly key: string; readonly at: string }
  | { readonly decision: 'rejected'; readonly why: string; readonly key?: string; readonly at: string };

export type ReviewDecisions = Readonly<Record<string, ReviewDecision>>;

interface ReviewFileShape {
  readonly version: 1;
  readonly dataSets: Record<string, ReviewDecision>;
}

/** The last parse of each decisions file, by its stat: the file is replaced by rename, so a new version has a new inode. */
const parsed = new Map<string, { stamp: string; decisions: ReviewDecisions }>();

export class ReviewStore {
  readonly file: string;
  private readonly lockFile: string;

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, REVIEW_FILE);
    this.lockFile = `${this.file}.lock`;
  }

  /**
   * Every decision; none when no one has reviewed anything yet. Parsed once per version of the file (its stat), as
   * every publish node that would run asks for its own decision.
   */
  read(): ReviewDecisions {
    const stat = fs.statSync(this.file, { throwIfNoEntry: false });
    if (stat === undefined) return {};
    const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    const memo = parsed.get(this.file);
    if (memo?.stamp === stamp) return memo.decisions;
    const decisions = parseReviewFile(fs.readFileSync(this.file, 'utf8'), this.file);
    parsed.set(this.file, { stamp, decisions });
    return decisions;
  }

  /** The decision for one data set, if any. */
  get(id: string): ReviewDecision | undefined {
    const decisions = this.read();
    return Object.hasOwn(decisions, id) ? decisions[id] : undefined;
  }

  /** Change decisions: `change` edits a copy of them; it is written back atomically, under the lock. */
  update(change: (decisions: Record<string, ReviewDecision>) => void): ReviewDecisions {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const release = this.lock();
    try {
      const decisions: Record<string, ReviewDecision> = { ...this.read() };
      change(decisions);
      const shape: ReviewFileShape = { version: 1, dataSets: sortedById(decisions) };
      const temporary = `${this.file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(temporary, JSON.stringify(shape, null, 2) + '\n');
        fs.renameSync(temporary, this.file);
      } catch (error) {
        fs.rmSync(temporary, { force: true });
        throw new ImgbuildError('environment', `could not write ${this.file}: ${(error as Error).message.split('\n')[0]} (check the cache folder's permissions and free space)`);
      }
      return decisions;
    } finally {
      release();
    }
  }

  /**
   * Take the lock, waiting up to 10 s for a live holder; a dead holder's lock is taken over. The lock file appears
   * whole, owner and all (written aside, then hard-linked into place, which fails if it exists), so a lock being
   * taken is never mistaken for an abandoned one.
   */
  private lock(): () => void {
    const deadline = Date.now() + 10_000;
    const mine = `${this.lockFile}.${process.pid}`;
    fs.writeFileSync(mine, JSON.stringify(thisProcess()));
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          fs.linkSync(mine, this.lockFile);
          return () => fs.rmSync(this.lockFile, { force: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const holder = readOwner(this.lockFile);
        const age = Date.now() - (fs.statSync(this.lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if ((holder !== undefined && isDead(holder)) || (holder === undefined && age > 10_000)) {
          // A holder killed mid-update left its lock (the decisions file itself is whole: it is renamed into place).
          fs.rmSync(this.lockFile, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new ImgbuildError('environment', `${this.lockFile} is held by process ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}: wait for it, or remove the file if that process is gone`);
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 10 * 2 ** attempt));
      }
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }
}

function readOwner(file: string): ProcessOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessOwner;
    return typeof owner?.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function sortedById(decisions: Record<string, ReviewDecision>): Record<string, ReviewDecision> {
  return Object.fromEntries(Object.entries(decisions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Decisions from the file's text; a file that is not what we write is an error naming it and the fix. */
export function parseReviewFile(text: string, file: string): ReviewDecisions {
  const broken = (why: string): ImgbuildError =>
    new ImgbuildError('config', `${file} ${why}: it holds the reviewers' approvals and rejections; restore it from a backup, or remove it to start the review over`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw broken('is not valid JSON');
  }
  const dataSets = (parsed as Partial<ReviewFileShape> | null)?.dataSets;
  if ((parsed as Partial<ReviewFileShape> | null)?.version !== 1 || dataSets === null || typeof dataSets !== 'object' || Array.isArray(dataSets)) {
    throw broken('is not a review file of this version of imgbuild');
  }
  const out: Record<string, ReviewDecision> = {};
  for (const [id, entry] of Object.entries(dataSets)) {
    // What imgbuild writes here are data set ids (folder names of the repository): nothing else is trusted.
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..') throw broken(`names ${JSON.stringify(id)}, which is not a data set id`);
    const e = entry as Partial<Record<'decision' | 'key' | 'why' | 'at', unknown>> | null;
    const at = typeof e?.at === 'string' ? e.at : '';
    if (e?.decision === 'approved' && typeof e.key === 'string') out[id] = { decision: 'approved', key: e.key, at };
    else if (e?.decision === 'rejected' && typeof e.why === 'string') out[id] = { decision: 'rejected', why: e.why, ...(typeof e.key === 'string' ? { key: e.key } : {}), at };
    else throw broken(`has an entry for ${JSON.stringify(id)} that is neither an approval nor a rejection`);
  }
  return out;
}
