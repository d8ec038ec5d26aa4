// `imgbuild review`, `approve ID|GLOB…`, `reject ID|GLOB… --why "…"` and `unpublish ID…`: toasty's review
// between processing and publishing, with the decisions kept in the cache (src/review/review-store.ts). They
// plan and run nothing, and take no cache lock, so they work beside a running build or watcher.
import type { BuildSession } from '../run/build-session.js';
import { approve, reject, unpublish } from '../review/review-actions.js';
import { type DataSetReview, listDataSets } from '../review/review-list.js';
import type { CommandIo } from './archive-commands.js';
import { plural } from './plural.js';

export const REVIEW_COMMANDS = ['review', 'approve', 'reject', 'unpublish'] as const;
export type ReviewCommand = (typeof REVIEW_COMMANDS)[number];

export async function runReviewCommand(session: BuildSession, command: ReviewCommand, args: readonly string[], options: { json: boolean; why?: string }, io: CommandIo): Promise<number> {
  switch (command) {
    case 'review':
      return review(session, options.json, io);
    case 'approve': {
      const { outcomes, unmatched } = await approve(session, args);
      let failed = reportUnmatched(unmatched, io);
      for (const o of outcomes) {
        if (o.kind === 'not-built') {
          failed++;
          io.say(o.inGraph ? `${o.id} is not built yet: run imgbuild process, look at it, then approve it` : `${o.id} is not built here (it is only in the repository): nothing to approve`);
          continue;
        }
        const after = o.published ? 'already published' : 'imgbuild publish (or a running watcher) publishes it';
        io.say(`approved ${o.id}${o.wasRejected !== undefined ? ` (it was rejected: ${o.wasRejected})` : ''}: ${after}`);
      }
      if (options.json) io.print(JSON.stringify({ outcomes, unmatched }) + '\n');
      return failed > 0 ? 1 : 0;
    }
    case 'reject': {
      const { outcomes, unmatched } = await reject(session, args, options.why ?? '');
      const failed = reportUnmatched(unmatched, io);
      for (const o of outcomes) {
        io.say(o.stillPublished ? `rejected ${o.id}, but it is published: imgbuild unpublish ${o.id} takes it out of the repository` : `rejected ${o.id}: it will not be published`);
      }
      if (options.json) io.print(JSON.stringify({ outcomes, unmatched }) + '\n');
      return failed > 0 ? 1 : 0;
    }
    case 'unpublish': {
      const { outcomes, unmatched } = await unpublish(session, args);
      let failed = reportUnmatched(unmatched, io);
      for (const o of outcomes) {
        if (o.kind === 'not-published') {
          failed++;
          io.say(`${o.id} is not published in ${session.repository.description}: nothing to take out`);
          continue;
        }
        io.say(`unpublished ${o.id} from ${session.repository.description} (${plural(o.removed, 'file')} removed${o.fromRootIndex ? ', and its entry in the root index' : ''})${o.markedRejected ? '; marked rejected, so it is not published again (imgbuild approve undoes that)' : ''}`);
      }
      if (options.json) io.print(JSON.stringify({ outcomes, unmatched }) + '\n');
      return failed > 0 ? 1 : 0;
    }
  }
}

function reportUnmatched(unmatched: readonly string[], io: CommandIo): number {
  for (const pattern of unmatched) io.say(`no data set is named ${JSON.stringify(pattern)} (imgbuild review lists them)`);
  return unmatched.length;
}

async function review(session: BuildSession, json: boolean, io: CommandIo): Promise<number> {
  const list = await listDataSets(session);
  if (json) {
    io.print(JSON.stringify(list) + '\n');
    return 0;
  }
  if (list.dataSets.length === 0) {
    io.say('no data sets yet: imgbuild process builds them into the work folder for review');
    return 0;
  }
  const rows = list.dataSets.map((d) => [d.id, stateText(d), d.note ?? '', d.builtBecause ?? '']);
  io.print(table(['ID', 'STATE', 'NOTE', 'BUILT BECAUSE'], rows));
  const waiting = list.dataSets.filter((d) => d.state === 'built').length;
  io.say(
    `${plural(list.dataSets.length, 'data set')}` +
      (waiting > 0 ? `, ${waiting} ${list.requireApproval ? 'waiting for review (approval is required)' : 'built and not yet published'}` : '') +
      ' — imgbuild approve ID, imgbuild reject ID --why "…", imgbuild serve shows them in WWT',
  );
  return 0;
}

function stateText(d: DataSetReview): string {
  // A hand-edited reason could hold terminal escapes: printed as one plain line.
  if (d.state === 'rejected' || d.state === 'published-but-rejected') return `${d.state}: ${d.decision?.decision === 'rejected' ? d.decision.why.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ') : ''}`;
  return d.state;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

export function isReviewCommand(word: string | undefined): word is ReviewCommand {
  return (REVIEW_COMMANDS as readonly string[]).includes(word ?? '');
}

