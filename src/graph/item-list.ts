// The output of a rule that `produces: 'items'` (docs/seams.md §3): the items that rules with `forEach` over it
// get one node each for, and the items it refused, each with its own one-line reason. Written canonically
// (sorted by id, keys sorted), so the same items give the same bytes and a producer rerun on an unchanged feed
// leaves its output, and so every remembered no-op downstream, as it was.
import fs from 'node:fs';
import { canonicalJson } from '../cache/node-key.js';
import type { Json } from './rule.js';

export interface ListedItem {
  /** The item's id, as the producer made it (the graph still sanitises it and refuses unsafe ones). */
  readonly id: string;
  /** What the dependent node needs: part of its key, so an item whose data changes reruns alone. */
  readonly data: Json;
  /** Why it is listed, in words (new, changed, …): what a plan says for a node never built from it. */
  readonly why?: string;
}

export interface RefusedItem {
  /** The id as it arrived (it may be unusable: that can be the reason). */
  readonly id: string;
  /** One line: what is wrong with the item, for the user. */
  readonly problem: string;
}

export interface ItemList {
  readonly items: readonly ListedItem[];
  readonly refused: readonly RefusedItem[];
  /** Failures of the list as a whole that still let the listed items build (a feed page that could not be read). */
  readonly problems?: readonly string[];
  /** Whatever else the producer keeps for its next run (a feed's ETag); not read by the engine. */
  readonly extra?: Json;
}

const FORMAT = 'imgbuild-items-1';

export class ItemListError extends Error {
  override readonly name = 'ItemListError';
}

export function writeItemList(file: string, list: ItemList): void {
  const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const document = {
    format: FORMAT,
    items: [...list.items].sort(byId).map((i) => ({ id: i.id, data: i.data, ...(i.why !== undefined ? { why: i.why } : {}) })),
    refused: [...list.refused].sort(byId).map((r) => ({ id: r.id, problem: r.problem })),
    ...(list.problems !== undefined && list.problems.length > 0 ? { problems: [...list.problems] } : {}),
    ...(list.extra !== undefined ? { extra: list.extra } : {}),
  };
  fs.writeFileSync(file, canonicalJson(document as unknown as Json) + '\n');
}

/** The list in `file`, or undefined when there is none yet; throws ItemListError for a file that is not one. */
export function readItemList(file: string): ItemList | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ItemListError(`${file} is not an item list (not JSON)`);
  }
  const document = parsed as { format?: unknown; items?: unknown; refused?: unknown; problems?: unknown; extra?: Json };
  if (document.format !== FORMAT || !Array.isArray(document.items) || !Array.isArray(document.refused)) {
    throw new ItemListError(`${file} is not an item list (format ${JSON.stringify(document.format)})`);
  }
  for (const item of document.items as unknown[]) {
    if (typeof (item as ListedItem)?.id !== 'string') throw new ItemListError(`${file}: an item has no id`);
  }
  const problems = Array.isArray(document.problems) ? document.problems.filter((p): p is string => typeof p === 'string') : [];
  return { items: document.items as ListedItem[], refused: document.refused as RefusedItem[], problems, ...(document.extra !== undefined ? { extra: document.extra } : {}) };
}
