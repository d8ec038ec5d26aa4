// A listing of the watched folders by (size, mtime, inode): comparing two listings gives the paths that changed
// without any watcher's help. The watcher rescans on a timer and whenever events may have been lost, so a
// missed event delays a file, never loses it.
import fs from 'node:fs';
import path from 'node:path';
import { isInProgressName } from '../graph/in-progress-name.js';

export type FolderListing = Map<string, string>;

/** Every regular file under `folders`, down to `depth` levels of subfolders. */
export function scanFolders(folders: readonly string[], depth: number): FolderListing {
  const listing: FolderListing = new Map();
  const walk = (dir: string, levels: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // missing or unreadable: nothing to list (the build reports unreadable inputs itself)
    }
    for (const entry of entries) {
      if (isInProgressName(entry.name)) continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (levels > 0) walk(file, levels - 1);
        continue;
      }
      const stamp = stampOf(file);
      if (stamp !== undefined) listing.set(file, stamp);
    }
  };
  for (const folder of folders) walk(folder, depth);
  return listing;
}

/** A regular file's (size, mtime, inode) as a listing keeps it; undefined when it is not a regular file. */
export function stampOf(file: string): string | undefined {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat?.isFile() ? `${stat.size}:${stat.mtimeMs}:${stat.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Paths added, changed or removed between two listings. */
export function changedBetween(before: FolderListing, after: FolderListing): string[] {
  const changed: string[] = [];
  for (const [file, stamp] of after) if (before.get(file) !== stamp) changed.push(file);
  for (const file of before.keys()) if (!after.has(file)) changed.push(file);
  return changed;
}
