// Consumers of build events: the terminal (a live line on a TTY, plain lines otherwise) and --json.
import { AWAITING_REVIEW } from '../review/review-verdict.js';
import type { BuildEvent, BuildSummary, PlannedRun } from '../run/events.js';
import { assertNever } from '../run/stale-reason.js';
import { plural } from './plural.js';
import { HELD_REASON } from '../run/build-session.js';

export interface Reporter {
  readonly onEvent: (event: BuildEvent) => void;
}

const shortRun = (r: PlannedRun): { id: string; rule: string; why: string; reason: string } => ({ id: r.id, rule: r.rule, why: r.why, reason: r.reason });

/** The --json contract: one object on stdout when the build ends. */
export function jsonReport(summary: BuildSummary): object {
  if (summary.dryRun) {
    const problems = summary.problems ?? [];
    // The configuration errors the run would stop on, in the same shape as any other error object.
    const errors = problems.length > 0 ? { error: problems.join('; '), kind: 'config', errors: problems } : {};
    return { run: summary.ran.map((r) => ({ ...shortRun(r), ...(r.restore ? { restore: true } : {}) })), fresh: summary.fresh, skipped: summary.skipped.map(shortRun), ...(summary.shard ? { shard: summary.shard } : {}), ...errors };
  }
  return {
    ran: summary.ran.map(shortRun),
    ...(summary.restored !== undefined ? { restored: summary.restored.map(shortRun) } : {}),
    skipped: summary.skipped.map(shortRun),
    failed: summary.failed.map((f) => ({ ...shortRun(f), error: f.error })),
    blocked: summary.blocked.map((b) => ({ ...shortRun(b), cause: b.cause })),
    fresh: summary.fresh,
    warnings: summary.warnings,
    ...(summary.shard ? { shard: summary.shard } : {}),
  };
}

/** `lines`: each object on one line (a watcher writes one per batch: JSON Lines). */
export function jsonReporter(write: (text: string) => void, options: { readonly lines?: boolean } = {}): Reporter {
  let planned: readonly PlannedRun[] = [];
  return {
    onEvent: (event) => {
      if (event.type === 'plan') planned = event.run;
      if (event.type !== 'finish') return;
      const summary = event.summary.dryRun ? { ...event.summary, ran: planned } : event.summary;
      write((options.lines ? JSON.stringify(jsonReport(summary)) : JSON.stringify(jsonReport(summary), null, 2)) + '\n');
    },
  };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** At most this often the live block is redrawn (~10×/s): a busy build must not spend itself on the terminal. */
const REDRAW_MS = 100;

export interface TerminalOptions {
  readonly verbose: boolean;
  /** Colour codes (a TTY without NO_COLOR). Cursor movement for the live block needs only a TTY. */
  readonly color: boolean;
  /** A watcher's batches: no summary per build (the watcher prints one line per batch), held nodes not repeated. */
  readonly watching?: boolean;
}

/** Whether a stream should get colour: a terminal, and the user did not set NO_COLOR (https://no-color.org). */
export function wantsColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
}

interface ActiveJob {
  readonly rule: string;
  readonly item: string;
  readonly started: number;
  step: string;
}

export function terminalReporter(out: NodeJS.WriteStream, err: NodeJS.WritableStream, options: TerminalOptions): Reporter {
  const { verbose } = options;
  // On a terminal: the running jobs as a block of lines at the bottom, redrawn in place, with every other
  // line printed above it. Piped: plain lines, no escape codes at all.
  const live = out.isTTY === true;
  const paint = (code: string, text: string): string => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const errColor = options.color && (err as NodeJS.WriteStream).isTTY === true;
  const paintErr = (code: string, text: string): string => (errColor ? `\x1b[${code}m${text}\x1b[0m` : text);
  let total = 0;
  /** In a dry run: how many of those the remote cache would answer. */
  let restorable = 0;
  let finished = 0;
  const active = new Map<string, ActiveJob>();
  const toldWarnings = new Set<string>();
  let drawnLines = 0;
  let lastDraw = 0;
  let pendingDraw: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const erase = (): void => {
    if (!live || drawnLines === 0) return;
    // The cursor sits at the end of the block's last line: go to its first line and clear to the end.
    out.write(`\r${drawnLines > 1 ? `\x1b[${drawnLines - 1}A` : ''}\x1b[J`);
    drawnLines = 0;
  };
  const draw = (): void => {
    pendingDraw = undefined;
    if (!live) return;
    erase();
    lastDraw = Date.now();
    if (active.size === 0) return;
    const width = Math.max(20, (out.columns || 100) - 1);
    const lines = [paint('1', `[${finished}/${total}] running ${plural(active.size, 'job')}`)];
    for (const job of active.values()) {
      const elapsed = seconds(Math.round((Date.now() - job.started) / 100) * 100);
      const text = `  ${job.rule.padEnd(10)} ${job.item.padEnd(16)} ${job.step}`;
      lines.push(`${text.slice(0, width - elapsed.length - 2)}  ${paint('2', elapsed)}`);
    }
    out.write(lines.join('\n'));
    drawnLines = lines.length;
  };
  const requestDraw = (): void => {
    if (!live || pendingDraw) return;
    pendingDraw = setTimeout(draw, Math.max(0, REDRAW_MS - (Date.now() - lastDraw)));
    pendingDraw.unref();
  };
  const stopDrawing = (): void => {
    if (pendingDraw) clearTimeout(pendingDraw);
    if (ticker) clearInterval(ticker);
    pendingDraw = undefined;
    ticker = undefined;
    erase();
  };
  const say = (stream: NodeJS.WritableStream, text: string): void => {
    erase();
    stream.write(text + '\n');
    requestDraw();
  };
  return {
    onEvent: (event) => {
      switch (event.type) {
        case 'plan':
          total = event.run.length;
          restorable = event.run.filter((r) => r.restore).length;
          if (event.dryRun) {
            for (const r of event.run) out.write(r.restore ? `would restore ${r.id} from the remote cache (${r.why})\n` : `would run ${r.id}: ${r.why}\n`);
          }
          for (const r of event.skipped) {
            if (options.watching && r.why === HELD_REASON) continue;
            if (r.why.indexOf(' is skipped') < 0 || verbose) out.write(`skip ${r.id}: ${r.why}\n`);
          }
          for (const problem of event.problems ?? []) err.write(`${paintErr('31', 'error:')} ${problem}\n`);
          if (live && total > 0 && !event.dryRun) {
            // Elapsed times move even when nothing else happens.
            ticker = setInterval(requestDraw, 1000);
            ticker.unref();
          }
          break;
        case 'node-start':
          active.set(event.node.id, { rule: event.node.rule, item: event.node.item || event.node.id, started: Date.now(), step: '' });
          // A watcher's output is one line per batch; each node's lines only with -v.
          if (verbose || (!live && !options.watching)) say(out, `run  ${event.node.id}: ${event.node.why}`);
          else requestDraw();
          break;
        case 'node-status': {
          const job = active.get(event.node.id);
          if (job) job.step = event.step;
          requestDraw();
          break;
        }
        case 'node-log':
          // A watcher runs the same nodes again and again (the root index each batch): a warning is told once.
          if (event.level === 'warn' && options.watching) {
            const key = `${event.node.id}\n${event.message}`;
            if (toldWarnings.has(key)) break;
            toldWarnings.add(key);
          }
          if (event.level === 'warn') say(err, `${paintErr('33', 'warning:')} ${event.node.id}: ${event.message}`);
          else if (verbose) say(out, `     ${event.node.id}: ${event.message}`);
          break;
        case 'node-done':
          finished++;
          active.delete(event.node.id);
          if (verbose || (!live && !options.watching)) say(out, `done ${event.node.id} (${event.restored ? 'restored from the remote cache in ' : ''}${seconds(event.ms)})`);
          else requestDraw();
          break;
        case 'node-failed':
          finished++;
          active.delete(event.node.id);
          say(err, `${paintErr('31', 'error:')} ${event.error}`);
          break;
        case 'node-blocked':
          finished++;
          if (verbose) say(out, `skip ${event.node.id}: ${event.cause}`);
          break;
        case 'note':
          say(err, `imgbuild: ${event.message}`);
          break;
        case 'finish': {
          stopDrawing();
          if (options.watching) break;
          const s = event.summary;
          const how = verbose && s.fromSnapshot ? ' (no file changed since the last no-op)' : '';
          if (s.dryRun) {
            out.write(total === 0 ? `imgbuild: nothing to do, ${plural(s.fresh, 'node')} up to date${how}\n` : `imgbuild: ${total} to run${restorable > 0 ? ` (${restorable} from the remote cache)` : ''}, ${s.fresh} up to date (dry run)\n`);
            if ((s.problems ?? []).length > 0) err.write(`imgbuild: the run would stop on ${plural(s.problems!.length, 'configuration error')} (above)\n`);
          } else if (s.ran.length === 0 && (s.restored ?? []).length === 0 && s.failed.length === 0 && s.blocked.length === 0) {
            out.write(`imgbuild: nothing to do, ${plural(s.fresh, 'node')} up to date${how}\n`);
          } else {
            const parts = [`${s.ran.length} ran`];
            if (s.restored !== undefined) parts.push(`${s.restored.length} restored from the remote cache`);
            parts.push(`${s.failed.length} failed`);
            if (s.blocked.length > 0) parts.push(`${s.blocked.length} not run`);
            parts.push(`${s.fresh} up to date`);
            out.write(`imgbuild: ${parts.join(', ')} (${seconds(s.ms)})${how}\n`);
          }
          const waiting = s.skipped.filter((r) => r.reason === AWAITING_REVIEW).length;
          if (waiting > 0) out.write(`imgbuild: ${plural(waiting, 'data set')} ${waiting === 1 ? 'waits' : 'wait'} for review: imgbuild review lists them, imgbuild approve ID lets one be published\n`);
          break;
        }
        default:
          assertNever(event);
      }
    },
  };
}
