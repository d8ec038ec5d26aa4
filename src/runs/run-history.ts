// The latest run of every node, kept in the cache folder so `imgbuild status` and `imgbuild log` need nothing
// else (CALDP: "state visible without a database"):
//   runs/latest.json    node id → RunRecord, rewritten (by rename) when the journal is folded into it
//   runs/journal.jsonl  one RunRecord per line, appended as nodes start and end; a kill -9 loses at most the
//                       line being written, which the reader skips
// Only the process holding the cache lock writes; readers (status) never take the lock.
import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from './run-record.js';

/** Fold the journal into latest.json once it is this big (and when the session closes). */
const FOLD_BYTES = 4 * 1024 * 1024;

export function runsFolder(cache: string): string {
  return path.join(cache, 'runs');
}

/** Every node's latest run, as the cache holds it now. Safe to call while a build writes. */
export function readRunHistory(cache: string): Map<string, RunRecord> {
  const dir = runsFolder(cache);
  // The journal first: if a fold happens between the two reads, the new latest.json holds all of it anyway.
  const journal = readText(path.join(dir, 'journal.jsonl'));
  const latest = new Map<string, RunRecord>();
  const stored = readText(path.join(dir, 'latest.json'));
  if (stored !== '') {
    try {
      for (const record of Object.values(JSON.parse(stored) as Record<string, RunRecord>)) latest.set(record.id, record);
    } catch {
      // A damaged file (it is only ever replaced by rename, so this is a disk's doing): the journal still tells.
    }
  }
  for (const line of journal.split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as RunRecord;
      if (typeof record.id === 'string') latest.set(record.id, record);
    } catch {
      // The line a kill cut short.
    }
  }
  return latest;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The writer, held by a build session (which holds the cache lock). */
export class RunHistory {
  private readonly dir: string;
  private journalBytes: number | undefined;
  /** What latest.json plus the journal say, once something needed it (deciding whether a skip is news). */
  private known: Map<string, RunRecord> | undefined;

  constructor(cache: string) {
    this.dir = runsFolder(cache);
  }

  private get journal(): string {
    return path.join(this.dir, 'journal.jsonl');
  }

  /**
   * Append a record. Recording is a courtesy: a full disk must not fail the node it describes, so a failure is
   * kept for the scheduler to tell once (takeFailure) instead of thrown.
   */
  record(record: RunRecord): void {
    try {
      const line = `${JSON.stringify(record)}\n`;
      if (this.journalBytes === undefined) {
        fs.mkdirSync(this.dir, { recursive: true });
        this.journalBytes = fileSize(this.journal);
        // A kill mid-append left half a line: start on a fresh one, or this record would be lost with it.
        if (this.journalBytes > 0 && !endsWithNewline(this.journal)) {
          fs.appendFileSync(this.journal, '\n');
          this.journalBytes++;
        }
      }
      fs.appendFileSync(this.journal, line);
      this.journalBytes += Buffer.byteLength(line);
      this.known?.set(record.id, record);
      if (this.journalBytes > FOLD_BYTES) this.fold();
    } catch (error) {
      this.failure ??= (error as Error).message;
    }
  }

  private failure: string | undefined;

  /** Why recording failed since the last call, if it did. */
  takeFailure(): string | undefined {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  /** Record a skip only when it is news: a watcher plans the same skipped nodes batch after batch. */
  recordIfChanged(record: RunRecord): void {
    this.known ??= readRunHistory(path.dirname(this.dir));
    const last = this.known.get(record.id);
    if (last !== undefined && last.state === record.state && last.message === record.message) return;
    this.record(record);
  }

  /** Write the journal into latest.json and empty it. */
  fold(): void {
    if (!fs.existsSync(this.journal)) return;
    const all = readRunHistory(path.dirname(this.dir));
    const temporary = path.join(this.dir, `latest.json.${process.pid}.tmp`);
    fs.writeFileSync(temporary, JSON.stringify(Object.fromEntries(all)));
    fs.renameSync(temporary, path.join(this.dir, 'latest.json'));
    fs.rmSync(this.journal, { force: true });
    this.journalBytes = 0;
    this.known = all;
  }

  /** Forget nodes (imgbuild expire removed their items). */
  forget(ids: Iterable<string>): void {
    const all = readRunHistory(path.dirname(this.dir));
    let changed = false;
    for (const id of ids) changed = all.delete(id) || changed;
    if (!changed) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const temporary = path.join(this.dir, `latest.json.${process.pid}.tmp`);
    fs.writeFileSync(temporary, JSON.stringify(Object.fromEntries(all)));
    fs.renameSync(temporary, path.join(this.dir, 'latest.json'));
    fs.rmSync(this.journal, { force: true });
    this.journalBytes = 0;
    this.known = all;
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function endsWithNewline(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, fs.fstatSync(fd).size - 1);
    return last[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}
