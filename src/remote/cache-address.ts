// Where a node's outputs live in a remote cache. The node key says what the outputs are made from, but not
// everything a rule's run can see: the item's id and wildcards (a WTML names its data set), the name of the
// file it was made from, and the machine (a program may write other bytes elsewhere). Locally that does not
// matter — one node id, one record — but a shared cache would hand item a's WTML to item b whose image is
// byte-identical. So the address adds them: a hit is never another item's outputs, nor another platform's.
import path from 'node:path';
import { canonicalJson } from '../cache/node-key.js';
import { sha256 } from '../cache/file-hasher.js';
import type { BuildNode } from '../graph/build-graph.js';
import type { Settings } from '../config/settings.js';

const ADDRESS_FORMAT = 'imgbuild-remote-1';

/** The platform part of an address: OS and CPU architecture. */
export function platformOf(): string {
  return `${process.platform}-${process.arch}`;
}

/** A source file's name as the address takes it: relative to the incoming or work folder, else its base name. */
function fileName(file: string, settings: Pick<Settings, 'incoming' | 'work'>): string {
  for (const root of [settings.incoming, settings.work]) {
    const relative = path.relative(root, file);
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) return relative.split(path.sep).join('/');
  }
  return path.basename(file);
}

export function cacheAddress(key: string, node: Pick<BuildNode, 'item' | 'wildcards' | 'file' | 'files'>, settings: Pick<Settings, 'incoming' | 'work'>): string {
  const files = (node.files ?? (node.file !== undefined ? [node.file] : [])).map((f) => fileName(f, settings));
  return sha256(JSON.stringify([ADDRESS_FORMAT, key, platformOf(), node.item, canonicalJson(node.wildcards), files]));
}
