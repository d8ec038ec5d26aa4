// Outputs are written to a staging folder inside the work folder (same filesystem, so rename is atomic) and
// moved into place only after the node succeeded. A crash at any moment leaves either the old outputs or
// the new ones in place, and the node is recorded as done only after the move, so nothing half-written can
// ever count as done.
import fs from 'node:fs';
import path from 'node:path';
import type { OutputFileRecord } from '../cache/build-state.js';
import { hashFileContents } from '../cache/file-hasher.js';
import type { NodeOutput } from '../graph/build-graph.js';

export const STAGING_FOLDER = '.staging';

let counter = 0;

export interface Staging {
  readonly dir: string;
  /** Output name → where the rule writes it. */
  readonly paths: Record<string, string>;
}

/** Remove what crashed runs left behind. Call only while holding the cache lock. */
export function clearStaging(work: string): void {
  fs.rmSync(path.join(work, STAGING_FOLDER), { recursive: true, force: true });
}

export function createStaging(work: string, nodeId: string, outputs: readonly NodeOutput[]): Staging {
  const dir = path.join(work, STAGING_FOLDER, `${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-${++counter}`);
  const paths: Record<string, string> = {};
  for (const output of outputs) {
    const staged = path.join(dir, output.relative);
    fs.mkdirSync(output.folder ? staged : path.dirname(staged), { recursive: true });
    paths[output.name] = staged;
  }
  return { dir, paths };
}

/** Empty a staging folder again, its output paths as createStaging made them (a restore that failed half-way). */
export function resetStaging(staging: Staging, outputs: readonly NodeOutput[]): void {
  fs.rmSync(staging.dir, { recursive: true, force: true });
  for (const output of outputs) {
    const staged = staging.paths[output.name]!;
    fs.mkdirSync(output.folder ? staged : path.dirname(staged), { recursive: true });
  }
}

function walkFiles(root: string, relative: string, into: string[]): void {
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) walkFiles(root, child, into);
    else if (entry.isFile()) into.push(child);
  }
}

/** Hash what the rule wrote; throws naming the output the rule failed to write. */
export function describeStagedOutputs(staging: Staging, outputs: readonly NodeOutput[]): OutputFileRecord[] {
  const records: OutputFileRecord[] = [];
  for (const output of outputs) {
    const staged = staging.paths[output.name]!;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(staged);
    } catch {
      throw new Error(`the rule did not write its output ${output.name} (${output.relative})`);
    }
    if (output.folder !== stat.isDirectory()) {
      throw new Error(`output ${output.name} (${output.relative}) should be a ${output.folder ? 'folder' : 'file'}`);
    }
    const files: string[] = [];
    if (output.folder) walkFiles(staged, '', files);
    else files.push('');
    for (const relative of files.sort()) {
      const file = relative === '' ? staged : path.join(staged, relative);
      const fileStat = fs.statSync(file);
      records.push([output.name, relative, fileStat.size, fileStat.mtimeMs, hashFileContents(file)]);
    }
  }
  return records;
}

/**
 * For a rule that runs on every build (`alwaysRun`): a file output whose bytes are what is already in place
 * keeps the file in place (ninja's restat), so its stamp, and every remembered no-op resting on it, holds. The
 * records returned describe the files as they will be after commitStaging.
 */
export function keepUnchangedFiles(staging: Staging, outputs: readonly NodeOutput[], records: readonly OutputFileRecord[]): OutputFileRecord[] {
  return records.map((record) => {
    const output = outputs.find((o) => o.name === record[0]);
    if (output === undefined || output.folder) return record;
    const old = fs.statSync(output.path, { throwIfNoEntry: false });
    if (old === undefined || !old.isFile() || old.size !== record[2] || hashFileContents(output.path) !== record[4]) return record;
    fs.rmSync(staging.paths[output.name]!);
    return [record[0], record[1], old.size, old.mtimeMs, record[4]] as OutputFileRecord;
  });
}

/**
 * Move staged outputs over the old ones (a file output whose staged file was dropped by keepUnchangedFiles stays). A folder output is swapped whole: the old folder is first moved into
 * the staging folder, so that whatever moment a crash hits, the next run's clearStaging removes it.
 */
export function commitStaging(staging: Staging, outputs: readonly NodeOutput[]): void {
  for (const output of outputs) {
    const staged = staging.paths[output.name]!;
    fs.mkdirSync(path.dirname(output.path), { recursive: true });
    if (output.folder) {
      const old = path.join(staging.dir, `.imgbuild-replaced-${++counter}`);
      let moved = false;
      try {
        fs.renameSync(output.path, old);
        moved = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      fs.renameSync(staged, output.path);
      if (moved) fs.rmSync(old, { recursive: true, force: true });
    } else if (fs.existsSync(staged)) {
      fs.renameSync(staged, output.path);
    }
  }
  fs.rmSync(staging.dir, { recursive: true, force: true });
}

export function discardStaging(staging: Staging): void {
  fs.rmSync(staging.dir, { recursive: true, force: true });
}
