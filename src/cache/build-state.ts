// What the cache folder remembers between runs:
//   state.json     the file-hash memo and one record per node that finished (compact, rewritten atomically)
//   journal.jsonl  records appended as nodes finish during a run, folded into state.json at the end; after a
//                  crash the next run replays it, so finished work is never lost and unfinished work never
//                  counts as done (a node is recorded only after its outputs were moved into place).
import fs from 'node:fs';
import path from 'node:path';
import type { FileMemoEntry } from './file-hasher.js';
import type { KeyParts, NodeKey } from './node-key.js';

/** [output name, path relative to that output ('' for a file output), size, mtimeMs, sha256] */
export type OutputFileRecord = [string, string, number, number, string];

export interface NodeRecord {
  readonly key: NodeKey;
  readonly parts: KeyParts;
  readonly outputs: OutputFileRecord[];
  /** ISO time the node last finished. */
  readonly builtAt: string;
}

interface StateFile {
  format: typeof STATE_FORMAT;
  files: Record<string, FileMemoEntry>;
  nodes: Record<string, NodeRecord>;
}

type JournalLine = { node: string; record: NodeRecord | null };

const STATE_FORMAT = 1;

export class BuildState {
  readonly files: Map<string, FileMemoEntry>;
  readonly nodes: Map<string, NodeRecord>;
  private nodesChanged = false;
  private readonly statePath: string;
  private readonly journalPath: string;

  private constructor(
    readonly dir: string,
    state: StateFile,
  ) {
    this.statePath = path.join(dir, 'state.json');
    this.journalPath = path.join(dir, 'journal.jsonl');
    this.files = new Map(Object.entries(state.files));
    this.nodes = new Map(Object.entries(state.nodes));
  }

  static load(dir: string): BuildState {
    let state: StateFile = { format: STATE_FORMAT, files: {}, nodes: {} };
    const statePath = path.join(dir, 'state.json');
    try {
      const parsed = JSON.parse(fs.readFileSync(statePath, 'utf8')) as Partial<StateFile>;
      if (parsed.format === STATE_FORMAT && parsed.files && parsed.nodes) state = parsed as StateFile;
    } catch (error) {
      // A missing state is a first build. An unreadable one is treated the same way: every node is then
      // checked from scratch, which is slower but never wrong.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    const store = new BuildState(dir, state);
    store.replayJournal();
    return store;
  }

  private replayJournal(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.journalPath, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch {
        continue; // a line cut short by a crash: that node simply reruns
      }
      if (entry.record === null) this.nodes.delete(entry.node);
      else this.nodes.set(entry.node, entry.record);
      this.nodesChanged = true;
    }
  }

  /** Record a node as done (or forget it, with null) durably, right away. */
  record(node: string, record: NodeRecord | null): void {
    if (record === null) {
      if (!this.nodes.has(node)) return;
      this.nodes.delete(node);
    } else {
      this.nodes.set(node, record);
    }
    this.nodesChanged = true;
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.journalPath, JSON.stringify({ node, record } satisfies JournalLine) + '\n');
  }

  /** Replace a record whose outputs were touched but not changed (new mtimes); saved with the state. */
  refresh(node: string, record: NodeRecord): void {
    this.nodes.set(node, record);
    this.nodesChanged = true;
  }

  /** Fold everything into state.json (atomically) when anything changed; `filesChanged` says the memo did. */
  save(filesChanged: boolean): void {
    if (!this.nodesChanged && !filesChanged) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const state: StateFile = { format: STATE_FORMAT, files: Object.fromEntries(this.files), nodes: Object.fromEntries(this.nodes) };
    const temporary = `${this.statePath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(state));
    fs.renameSync(temporary, this.statePath);
    fs.rmSync(this.journalPath, { force: true });
    this.nodesChanged = false;
  }
}
