// What approving, rejecting and unpublishing do, for the CLI (src/cli/review-commands.ts) and the review page
// (src/serve) alike: each returns typed outcomes per data set, and the callers put them in words.
import { UsageError } from '../errors.js';
import type { BuildSession } from '../run/build-session.js';
import { withdrawDataSet } from '../repo/withdraw-data-set.js';
import { listDataSets, matchIds, type DataSetReview, type ReviewList } from './review-list.js';
import { ReviewStore } from './review-store.js';

export type ApproveOutcome =
  | { readonly id: string; readonly kind: 'approved'; readonly wasRejected?: string; readonly published: boolean }
  /** Nothing to approve yet: not built here (only in the repository), or something it needs is not built. */
  | { readonly id: string; readonly kind: 'not-built'; readonly inGraph: boolean };

export type RejectOutcome = { readonly id: string; readonly kind: 'rejected'; readonly stillPublished: boolean };

export type UnpublishOutcome = { readonly id: string; readonly kind: 'unpublished'; readonly removed: number; readonly fromRootIndex: boolean; readonly markedRejected: boolean } | { readonly id: string; readonly kind: 'not-published' };

export interface Selection<T> {
  readonly outcomes: readonly T[];
  /** Patterns that named no data set. */
  readonly unmatched: readonly string[];
}

/** How names are taken: as IDs or globs (the CLI), or as exact IDs only (the page's API: one data set per request). */
export type Naming = 'globs' | 'exact';

function select(list: ReviewList, patterns: readonly string[], naming: Naming): { chosen: DataSetReview[]; unmatched: string[] } {
  if (patterns.length === 0) throw new UsageError('name the data sets: IDs or globs such as "m31*" (imgbuild review lists them)');
  const known = list.dataSets.map((d) => d.id);
  const { matched, unmatched } =
    naming === 'exact' ? { matched: patterns.filter((p) => known.includes(p)), unmatched: patterns.filter((p) => !known.includes(p)) } : matchIds(patterns, known);
  return { chosen: matched.map((id) => list.dataSets.find((d) => d.id === id)!), unmatched };
}

/** Approve what `patterns` name, each for the build it has now (its publish node's key). */
export async function approve(session: BuildSession, patterns: readonly string[], naming: Naming = 'globs'): Promise<Selection<ApproveOutcome>> {
  const list = await listDataSets(session);
  const { chosen, unmatched } = select(list, patterns, naming);
  const outcomes: ApproveOutcome[] = [];
  const approvable = chosen.filter((d) => d.key !== undefined && d.state !== 'not-built');
  const at = new Date().toISOString();
  new ReviewStore(session.settings.cache).update((decisions) => {
    for (const d of approvable) decisions[d.id] = { decision: 'approved', key: d.key!, at };
  });
  for (const d of chosen) {
    if (!approvable.includes(d)) outcomes.push({ id: d.id, kind: 'not-built', inGraph: d.key !== undefined });
    else outcomes.push({ id: d.id, kind: 'approved', ...(d.decision?.decision === 'rejected' ? { wasRejected: d.decision.why } : {}), published: d.published?.current === true });
  }
  return { outcomes, unmatched };
}

/** Reject what `patterns` name: it is never published while the rejection stands (whatever is rebuilt). */
export async function reject(session: BuildSession, patterns: readonly string[], reason: string, naming: Naming = 'globs'): Promise<Selection<RejectOutcome>> {
  // One line of text: it is printed on terminals (no control characters, no escape sequences) and kept short.
  const why = reason.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, 500);
  if (why === '') throw new UsageError('say why with --why "…" (the reason is kept, and shown by imgbuild review)');
  const list = await listDataSets(session);
  const { chosen, unmatched } = select(list, patterns, naming);
  const at = new Date().toISOString();
  new ReviewStore(session.settings.cache).update((decisions) => {
    for (const d of chosen) decisions[d.id] = { decision: 'rejected', why, ...(d.key !== undefined ? { key: d.key } : {}), at };
  });
  return { outcomes: chosen.map((d) => ({ id: d.id, kind: 'rejected', stillPublished: d.published !== undefined })), unmatched };
}

/**
 * Take what `patterns` name out of the repository (src/repo/withdraw-data-set.ts: root-index entry, manifest, then
 * the files). One not rejected yet is marked rejected, so the next `imgbuild all` does not publish it again.
 */
export async function unpublish(session: BuildSession, patterns: readonly string[]): Promise<Selection<UnpublishOutcome>> {
  const list = await listDataSets(session);
  const { chosen, unmatched } = select(list, patterns, 'globs');
  const outcomes: UnpublishOutcome[] = [];
  const store = new ReviewStore(session.settings.cache);
  for (const d of chosen) {
    // A withdrawal killed half-way left files but no manifest: running unpublish again finishes it.
    if (d.published === undefined && !(await hasFiles(session, d.id))) {
      outcomes.push({ id: d.id, kind: 'not-published' });
      continue;
    }
    const markedRejected = d.decision?.decision !== 'rejected';
    if (markedRejected) {
      // Recorded before anything is removed: a kill half-way never leaves a data set that the next run republishes.
      const at = new Date().toISOString();
      store.update((decisions) => {
        decisions[d.id] = { decision: 'rejected', why: 'unpublished (imgbuild unpublish)', ...(d.key !== undefined ? { key: d.key } : {}), at };
      });
    }
    const { removed, fromRootIndex } = await withdrawDataSet(session.repository, d.id);
    outcomes.push({ id: d.id, kind: 'unpublished', removed, fromRootIndex, markedRejected });
  }
  return { outcomes, unmatched };
}

async function hasFiles(session: BuildSession, id: string): Promise<boolean> {
  for await (const _entry of session.repository.list(`${id}/`)) return true;
  return false;
}
