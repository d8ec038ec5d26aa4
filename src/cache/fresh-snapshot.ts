// A no-op, remembered. When a build finds every node it was asked for up to date, it writes down what that
// verdict rested on: the config, the settings, the targets, each rule's version, parameters and tool
// versions (the scope), and the stat of every file and folder it looked at (inputs, outputs, listed folders,
// the engine's own files, the state file, the repository files the checks read). The next build with the
// same scope stats exactly those paths; if none changed, it is a no-op again and stops there, without
// expanding the graph, reading state.json or computing a key. At any difference the ordinary plan decides
// (and when anything then runs, every snapshot is dropped).
//
// It is written only when the verdict depended on nothing else: every `check` promised to read only the
// repository and the repository is a local folder, so the files it read could be stamped too (a remote one
// can change behind our back; see repo/recording-repository.ts); nothing was skipped or forced; the config
// is a compiled file whose content is known; and no stamp is "racy" (changed so recently that a same-size
// rewrite in the same clock tick could go unseen; see file-hasher.ts). Rules' `inputs`/`outputs`/`params`
// functions must depend only on the node and the settings, which the rule API asks of them anyway.
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { engineFiles } from '../engine-location.js';
import { type BuildNode, resolveParams } from '../graph/build-graph.js';
import type { FolderStamp } from '../graph/pattern.js';
import type { Params, Rule } from '../graph/rule.js';
import type { BuildState } from './build-state.js';
import { RACY_WINDOW_MS, sha256 } from './file-hasher.js';
import { ruleKeyParts } from './node-key.js';

/** [path, size, mtimeMs] or [path, size, mtimeMs, inode] for a file that must be unchanged; [path] for one that must be absent. */
export type FileStamp = [string, number, number] | [string, number, number, number] | [string];

/** Everything besides file stats that decides the graph and its keys. */
export interface SnapshotScope {
  /** The compiled config module (its name carries its content hash), or 'built-in' without a config file. */
  readonly configIdentity: string;
  readonly settings: Settings;
  readonly targets: readonly string[];
  readonly rules: readonly Rule[];
  readonly paramOverrides: Readonly<Record<string, Params>>;
}

interface SnapshotFile {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly scope: string;
  /** Nodes up to date. */
  readonly fresh: number;
  readonly folders: FolderStamp[];
  readonly files: FileStamp[];
}

const SNAPSHOT_FORMAT = 1;
const PREFIX = 'fresh-';

function scopeText(scope: SnapshotScope): string {
  // The same canonical parts the rule's node keys are made of.
  const rules = scope.rules.map((rule) => {
    const parts = ruleKeyParts(rule, resolveParams(rule, scope.settings, scope.paramOverrides));
    return [rule.name, parts.version, parts.params, parts.tools];
  });
  return JSON.stringify({ config: scope.configIdentity, settings: scope.settings, targets: scope.targets, rules });
}

function snapshotPath(cacheDir: string, scope: string): string {
  return path.join(cacheDir, `${PREFIX}${sha256(scope).slice(0, 16)}.json`);
}

/** The files besides inputs and outputs that a verdict rests on: the engine and the build state. */
export function bookkeepingStamps(cacheDir: string): FileStamp[] {
  const stamps: FileStamp[] = [];
  for (const file of engineFiles()) {
    const stat = fs.statSync(file);
    stamps.push([file, stat.size, stat.mtimeMs]);
  }
  const state = fs.statSync(path.join(cacheDir, 'state.json'), { throwIfNoEntry: false });
  // state.json is replaced by rename on every save, so its inode changes even within one clock tick.
  if (state) stamps.push([path.join(cacheDir, 'state.json'), state.size, state.mtimeMs, state.ino]);
  else stamps.push([path.join(cacheDir, 'state.json')]);
  stamps.push([path.join(cacheDir, 'journal.jsonl')]);
  return stamps;
}

/**
 * The number of nodes up to date, if a snapshot for this scope exists and every stamp in it still holds;
 * otherwise undefined (and the ordinary plan runs).
 */
export function verifyFreshSnapshot(cacheDir: string, scope: SnapshotScope): number | undefined {
  const text = scopeText(scope);
  let snapshot: SnapshotFile;
  try {
    snapshot = JSON.parse(fs.readFileSync(snapshotPath(cacheDir, text), 'utf8')) as SnapshotFile;
  } catch {
    return undefined;
  }
  if (snapshot.format !== SNAPSHOT_FORMAT || snapshot.scope !== text) return undefined;
  for (const stamp of snapshot.folders) {
    const stat = fs.statSync(stamp[0], { throwIfNoEntry: false });
    if (stamp.length === 1 ? stat !== undefined : stat === undefined || stat.mtimeMs !== stamp[1] || stat.ino !== stamp[2]) return undefined;
  }
  for (const stamp of snapshot.files) {
    const stat = fs.statSync(stamp[0], { throwIfNoEntry: false });
    if (stamp.length === 1) {
      if (stat !== undefined) return undefined;
      continue;
    }
    if (stat === undefined || stat.size !== stamp[1] || stat.mtimeMs !== stamp[2]) return undefined;
    if (stamp.length === 4 && stat.ino !== stamp[3]) return undefined;
  }
  return snapshot.fresh;
}

/** The stamps of every input (from the hash memo) and every recorded output of `nodes`, as this build saw them. */
export function nodeStamps(nodes: readonly BuildNode[], state: BuildState): FileStamp[] {
  const stamps: FileStamp[] = [];
  const seen = new Set<string>();
  for (const node of nodes) {
    for (const input of node.inputs) {
      if (seen.has(input.path)) continue;
      seen.add(input.path);
      const known = state.files[input.path];
      stamps.push(known ? [input.path, known[0], known[1], known[2]] : [input.path]);
    }
    for (const [name, relative, size, mtimeMs] of state.get(node.id)?.outputs ?? []) {
      const root = node.outputs.find((o) => o.name === name)?.path;
      if (root !== undefined) stamps.push([relative === '' ? root : path.join(root, relative), size, mtimeMs]);
    }
  }
  return stamps;
}

/** Why a verdict cannot be remembered, or undefined when it can. */
export function racyStamp(folders: readonly FolderStamp[], files: readonly FileStamp[], now = Date.now()): string | undefined {
  for (const stamp of folders) if (stamp.length !== 1 && now - stamp[1] < RACY_WINDOW_MS) return stamp[0];
  for (const stamp of files) if (stamp.length !== 1 && now - stamp[2] < RACY_WINDOW_MS) return stamp[0];
  return undefined;
}

/** Remember a no-op (atomically: a reader sees the old snapshot, the new one, or none). */
export function writeFreshSnapshot(cacheDir: string, scope: SnapshotScope, fresh: number, folders: FolderStamp[], files: FileStamp[]): void {
  const text = scopeText(scope);
  const target = snapshotPath(cacheDir, text);
  const snapshot: SnapshotFile = { format: SNAPSHOT_FORMAT, scope: text, fresh, folders, files };
  const temporary = `${target}.${process.pid}.tmp`;
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(temporary, JSON.stringify(snapshot));
  fs.renameSync(temporary, target);
}

/** Forget every remembered no-op: called before a build changes anything. */
export function dropFreshSnapshots(cacheDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(PREFIX)) fs.rmSync(path.join(cacheDir, name), { force: true });
}
