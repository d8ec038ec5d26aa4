// What the cache folder remembers between runs:
//   state.json     the file-hash memo and, per finished node, its key and output files: all a no-op needs,
//                  kept compact because a no-op parses it whole (10,000 nodes ≈ 3 MB)
//   explain.json   per node, the parts its key was made from; read only when a key changed, to say why
//   journal.jsonl  records appended as nodes finish during a run, folded into the two files at the end;
//                  after a crash the next run replays it, so finished work is never lost, and unfinished
//                  work never counts as done (a node is recorded only after its outputs were moved into place)
import fs from 'node:fs';
import path from 'node:path';
import type { FileMemoEntry } from './file-hasher.js';
import type { KeyParts, NodeKey } from './node-key.js';

/** [output name, path relative to that output ('' for a file output), size, mtimeMs, sha256] */
export type OutputFileRecord = [string, string, number, number, string];

export interface NodeRecord {
  readonly key: NodeKey;
  readonly outputs: OutputFileRecord[];
  /** ISO time the node last finished. */
  readonly builtAt: string;
}

/** [key, builtAt, outputs]: a record as state.json stores it. */
type StoredRecord = [string, string, OutputFileRecord[]];

interface StateFile {
  format: typeof STATE_FORMAT;
  files: Record<string, FileMemoEntry>;
  nodes: Record<string, StoredRecord>;
}

type JournalLine = { node: string; record: (NodeRecord & { parts: KeyParts }) | null };

const STATE_FORMAT = 2 as const;

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (error) {
    // Missing is a first build; unreadable is treated the same way: every node is then checked from
    // scratch, which is slower but never wrong.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

export class BuildState {
  /** Path → memo entry; the FileHasher reads and updates it in place. */
  readonly files: Record<string, FileMemoEntry>;
  private readonly nodes: Record<string, StoredRecord>;
  private explain: Record<string, KeyParts> | undefined;
  private readonly pendingParts = new Map<string, KeyParts | null>();
  private nodesChanged = false;

  private constructor(
    readonly dir: string,
    state: StateFile,
  ) {
    this.files = state.files;
    this.nodes = state.nodes;
  }

  static load(dir: string): BuildState {
    const parsed = readJson<StateFile>(path.join(dir, 'state.json'));
    const state = parsed?.format === STATE_FORMAT && parsed.files && parsed.nodes ? parsed : { format: STATE_FORMAT, files: {}, nodes: {} } satisfies StateFile;
    const store = new BuildState(dir, state);
    store.replayJournal();
    return store;
  }

  private get journalPath(): string {
    return path.join(this.dir, 'journal.jsonl');
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
      this.apply(entry.node, entry.record);
    }
  }

  private apply(node: string, record: JournalLine['record']): void {
    if (record === null) delete this.nodes[node];
    else this.nodes[node] = [record.key, record.builtAt, record.outputs];
    this.pendingParts.set(node, record?.parts ?? null);
    this.nodesChanged = true;
  }

  get(node: string): NodeRecord | undefined {
    const stored = this.nodes[node];
    return stored && { key: stored[0] as NodeKey, builtAt: stored[1], outputs: stored[2] };
  }

  /** The parts the node's recorded key was made from (reads explain.json on first use). */
  partsOf(node: string): KeyParts | undefined {
    const pending = this.pendingParts.get(node);
    if (pending !== undefined) return pending ?? undefined;
    this.explain ??= readJson<Record<string, KeyParts>>(path.join(this.dir, 'explain.json')) ?? {};
    return this.explain[node];
  }

  /** Record a node as done (or forget it, with null) durably, right away. */
  record(node: string, record: (NodeRecord & { parts: KeyParts }) | null): void {
    if (record === null && this.nodes[node] === undefined) return;
    this.apply(node, record);
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.journalPath, JSON.stringify({ node, record } satisfies JournalLine) + '\n');
  }

  /** Replace a record whose outputs were touched but not changed (new mtimes); saved with the state. */
  refresh(node: string, record: NodeRecord): void {
    this.nodes[node] = [record.key, record.builtAt, record.outputs];
    this.nodesChanged = true;
  }

  /** Fold everything into state.json and explain.json (atomically) when anything changed. */
  save(filesChanged: boolean): void {
    if (!this.nodesChanged && !filesChanged) return;
    fs.mkdirSync(this.dir, { recursive: true });
    if (this.pendingParts.size > 0) {
      this.explain ??= readJson<Record<string, KeyParts>>(path.join(this.dir, 'explain.json')) ?? {};
      for (const [node, parts] of this.pendingParts) {
        if (parts === null) delete this.explain[node];
        else this.explain[node] = parts;
      }
      this.writeAtomically('explain.json', this.explain);
      this.pendingParts.clear();
    }
    this.writeAtomically('state.json', { format: STATE_FORMAT, files: this.files, nodes: this.nodes } satisfies StateFile);
    fs.rmSync(this.journalPath, { force: true });
    this.nodesChanged = false;
  }

  private writeAtomically(name: string, value: unknown): void {
    const target = path.join(this.dir, name);
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(value));
    fs.renameSync(temporary, target);
  }
}
