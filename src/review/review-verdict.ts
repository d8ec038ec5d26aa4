// Whether a data set may be published, as its reviewers decided (src/review/review-store.ts) and the
// repository's policy says: a rejected data set never is; with `require_approval`, only one approved for exactly
// the key its publish node has now. Asked only of publish nodes that would run, so a no-op never reads it.
import type { CheckContext, SkipVerdict } from '../graph/rule.js';
import { ImgbuildError } from '../errors.js';
import { ReviewStore } from './review-store.js';

/** The kinds of skip review gives (BuildSummary.skipped[].reason): the summary counts them. */
export const AWAITING_REVIEW = 'awaiting-review';
export const REJECTED = 'rejected';
export const REVIEW_UNREADABLE = 'review-unreadable';

export function reviewVerdict(ctx: CheckContext): SkipVerdict | undefined {
  let decision;
  try {
    decision = new ReviewStore(ctx.settings.cache).get(ctx.item);
  } catch (error) {
    // Nothing is published while the decisions cannot be read (a rejection may be in there); the build goes on,
    // and a watcher plans again when the file changes.
    if (!(error instanceof ImgbuildError)) throw error;
    return { kind: REVIEW_UNREADABLE, why: `not published while the reviewers' decisions cannot be read: ${error.message}` };
  }
  if (decision?.decision === 'rejected') {
    return { kind: REJECTED, why: `rejected by a reviewer${decision.why ? `: ${decision.why}` : ''} (imgbuild approve ${ctx.item} publishes it after all)` };
  }
  if (!ctx.settings.requireApproval) return undefined;
  if (decision?.decision === 'approved' && decision.key === ctx.key) return undefined;
  return {
    kind: AWAITING_REVIEW,
    why:
      decision?.decision === 'approved'
        ? `rebuilt since it was approved: waits for review again (imgbuild approve ${ctx.item})`
        : `waits for review: the repository requires approval (imgbuild approve ${ctx.item})`,
  };
}
