// Every data set a reviewer can see, with its state: from the build's plan (what is built, and the key its
// publish node has now), the reviewers' decisions (cache/review.json), the repository's manifests (what is
// published, and which build of it) and the run history (why it was built). `imgbuild review`, the approve and
// reject commands and the review page all read this one list.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readManifest } from '../repo/data-set-manifest.js';
import type { BuildSession } from '../run/build-session.js';
import { readRunHistory } from '../runs/run-history.js';
import { ReviewStore, type ReviewDecision } from './review-store.js';

/** The publishing rule whose nodes are the data sets under review. */
export const PUBLISH_RULE = 'publish';

export type ReviewState =
  /** In the graph, but something it needs is not built yet (or failed). */
  | 'not-built'
  /** Built, no decision yet (with require_approval: waits for review). */
  | 'built'
  /** Approved for the build that is there now. */
  | 'approved'
  | 'rejected'
  /** Published, the build that is there now (or published by a run elsewhere). */
  | 'published'
  | 'published-but-rejected';

export interface WtmlValues {
  readonly raHours?: number;
  readonly decDeg?: number;
  readonly zoom?: number;
  /** Degrees per pixel at the deepest level (BaseDegreesPerTile ÷ 256 ÷ 2^TileLevels…): the scale. */
  readonly baseDegreesPerTile?: number;
  readonly rotation?: number;
  readonly projection?: string;
  readonly tileLevels?: number;
}

export interface DataSetReview {
  readonly id: string;
  readonly state: ReviewState;
  /** The publish node's key now (undefined for a data set only in the repository). */
  readonly key?: string;
  readonly decision?: ReviewDecision;
  /** An approval given for another build than the one there now. */
  readonly approvalOutdated?: boolean;
  /** Its manifest in the repository: published, and whether that is the build there now. */
  readonly published?: { readonly at: string; readonly current: boolean };
  /** Why its tiles were last built (the run history), when known. */
  readonly builtBecause?: string;
  /** Its work folder holds its built files (index_rel.wtml). */
  readonly inWork: boolean;
  readonly wtml?: WtmlValues;
  /** What a person should know: "waits for review", "an older build is published", … */
  readonly note?: string;
}

export interface ReviewList {
  readonly dataSets: readonly DataSetReview[];
  readonly requireApproval: boolean;
}

/** The list, as things stand. */
export async function listDataSets(session: BuildSession): Promise<ReviewList> {
  const { settings } = session;
  const plan = await session.planNow([PUBLISH_RULE]);
  const decisions = new ReviewStore(settings.cache).read();
  const history = readRunHistory(settings.cache);
  const nodes = new Map(plan.nodes.filter((p) => p.node.rule.name === PUBLISH_RULE).map((p) => [p.node.item, p] as const));
  const ids = new Set<string>(nodes.keys());
  // Data sets published from elsewhere, and decisions about ones no longer in the graph.
  for (const id of await session.repository.folders('')) ids.add(id);
  for (const id of Object.keys(decisions)) ids.add(id);
  const out: DataSetReview[] = [];
  await Promise.all(
    [...ids].map(async (id) => {
      const entry = nodes.get(id);
      const manifest = await readManifest(session.repository, id);
      const inGraph = entry !== undefined;
      if (!inGraph && manifest === undefined && !Object.hasOwn(decisions, id)) return; // not a data set of ours
      const decision = Object.hasOwn(decisions, id) ? decisions[id] : undefined;
      const built = inGraph && entry.node.upstream.every((u) => plan.byId.get(u.id)?.reason === undefined);
      const current = manifest !== undefined && (!inGraph || manifest.key === entry.key);
      const approvedNow = decision?.decision === 'approved' && inGraph && decision.key === entry.key;
      const rejected = decision?.decision === 'rejected';
      let state: ReviewState;
      if (manifest !== undefined && rejected) state = 'published-but-rejected';
      else if (rejected) state = 'rejected';
      else if (current) state = 'published';
      else if (!built) state = 'not-built';
      else if (approvedNow) state = 'approved';
      else state = 'built';
      const wtmlFile = path.join(settings.work, id, 'index_rel.wtml');
      const inWork = fs.existsSync(wtmlFile);
      const tiles = history.get(`tiles:${id}`);
      const note = noteFor(state, { requireApproval: settings.requireApproval, olderPublished: manifest !== undefined && !current, outdated: decision?.decision === 'approved' && !approvedNow && inGraph });
      out.push({
        id,
        state,
        ...(inGraph ? { key: entry.key } : {}),
        ...(decision !== undefined ? { decision } : {}),
        ...(decision?.decision === 'approved' && !approvedNow && inGraph ? { approvalOutdated: true } : {}),
        ...(manifest !== undefined ? { published: { at: manifest.publishedAt, current } } : {}),
        ...(tiles?.why !== undefined ? { builtBecause: tiles.why } : {}),
        inWork,
        ...(inWork ? { wtml: wtmlValues(fs.readFileSync(wtmlFile, 'utf8')) } : {}),
        ...(note !== undefined ? { note } : {}),
      });
    }),
  );
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { dataSets: out, requireApproval: settings.requireApproval };
}

function noteFor(state: ReviewState, o: { requireApproval: boolean; olderPublished: boolean; outdated: boolean }): string | undefined {
  const notes: string[] = [];
  if (state === 'built') notes.push(o.requireApproval ? 'waits for review' : 'publishes with the next imgbuild publish');
  if (o.outdated) notes.push('approved before it was rebuilt');
  if (o.olderPublished && state !== 'published-but-rejected') notes.push('an older build is published');
  if (state === 'published-but-rejected') notes.push('still published: imgbuild unpublish takes it out');
  return notes.length > 0 ? notes.join('; ') : undefined;
}

/** RA, Dec, zoom, scale and rotation from a data set's WTML (its Place and ImageSet attributes). */
export function wtmlValues(wtml: string): WtmlValues {
  const attribute = (element: string, name: string): number | undefined => {
    const tag = new RegExp(`<${element}\\b[^>]*>`).exec(wtml)?.[0];
    const value = tag === undefined ? undefined : new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
    const number = value === undefined ? NaN : Number(value);
    return Number.isFinite(number) ? number : undefined;
  };
  const projection = /<ImageSet\b[^>]*\sProjection="([^"]*)"/.exec(wtml)?.[1];
  const values: Record<string, number | string | undefined> = {
    raHours: attribute('Place', 'RA') ?? (projection === 'Toast' ? undefined : (attribute('ImageSet', 'CenterX') ?? 0) / 15),
    decDeg: attribute('Place', 'Dec') ?? (projection === 'Toast' ? undefined : attribute('ImageSet', 'CenterY')),
    zoom: attribute('Place', 'ZoomLevel'),
    baseDegreesPerTile: attribute('ImageSet', 'BaseDegreesPerTile'),
    rotation: attribute('ImageSet', 'Rotation'),
    tileLevels: attribute('ImageSet', 'TileLevels'),
    projection,
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as WtmlValues;
}

/** The ids among `known` that `patterns` name: exact ids, or globs (`*`, `?`, `[…]`) as toasty's approve takes them. */
export function matchIds(patterns: readonly string[], known: readonly string[]): { matched: string[]; unmatched: string[] } {
  const matched = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const re = globToRegExp(pattern);
    const hits = known.filter((id) => id === pattern || re.test(id));
    if (hits.length === 0) unmatched.push(pattern);
    hits.forEach((id) => matched.add(id));
  }
  return { matched: [...matched].sort(), unmatched };
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    throw new UsageError(`${JSON.stringify(glob)} is not a usable glob (a [range] must go from low to high, e.g. "m[0-9]*")`);
  }
}
