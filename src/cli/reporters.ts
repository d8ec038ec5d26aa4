// Consumers of build events: the terminal (a live line on a TTY, plain lines otherwise) and --json.
import type { BuildEvent, BuildSummary, PlannedRun } from '../run/events.js';
import { assertNever } from '../run/stale-reason.js';

export interface Reporter {
  readonly onEvent: (event: BuildEvent) => void;
}

const shortRun = (r: PlannedRun): { id: string; rule: string; why: string; reason: string } => ({ id: r.id, rule: r.rule, why: r.why, reason: r.reason });

/** The --json contract: one object on stdout when the build ends. */
export function jsonReport(summary: BuildSummary): object {
  if (summary.dryRun) return { run: summary.ran.map(shortRun), fresh: summary.fresh, skipped: summary.skipped.map(shortRun) };
  return {
    ran: summary.ran.map(shortRun),
    skipped: summary.skipped.map(shortRun),
    failed: summary.failed.map((f) => ({ ...shortRun(f), error: f.error })),
    blocked: summary.blocked.map((b) => ({ ...shortRun(b), cause: b.cause })),
    fresh: summary.fresh,
    warnings: summary.warnings,
  };
}

export function jsonReporter(write: (text: string) => void): Reporter {
  let planned: readonly PlannedRun[] = [];
  return {
    onEvent: (event) => {
      if (event.type === 'plan') planned = event.run;
      if (event.type !== 'finish') return;
      const summary = event.summary.dryRun ? { ...event.summary, ran: planned } : event.summary;
      write(JSON.stringify(jsonReport(summary), null, 2) + '\n');
    },
  };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function terminalReporter(out: NodeJS.WriteStream, err: NodeJS.WritableStream, verbose: boolean): Reporter {
  const live = out.isTTY === true;
  let total = 0;
  let finished = 0;
  const active = new Map<string, string>();
  let lineShown = false;
  const clearLine = (): void => {
    if (live && lineShown) out.write('\r\x1b[2K');
    lineShown = false;
  };
  const drawLine = (): void => {
    if (!live) return;
    const current = [...active.entries()].map(([id, step]) => (step ? `${id} (${step})` : id)).join(', ');
    const text = `[${finished}/${total}] ${current}`;
    out.write(`\r\x1b[2K${text.slice(0, (out.columns || 100) - 1)}`);
    lineShown = true;
  };
  const say = (stream: NodeJS.WritableStream, text: string): void => {
    clearLine();
    stream.write(text + '\n');
    drawLine();
  };
  return {
    onEvent: (event) => {
      switch (event.type) {
        case 'plan':
          total = event.run.length;
          if (event.dryRun) {
            for (const r of event.run) out.write(`would run ${r.id}: ${r.why}\n`);
          }
          for (const r of event.skipped) if (r.why.indexOf(' is skipped') < 0 || verbose) out.write(`skip ${r.id}: ${r.why}\n`);
          break;
        case 'node-start':
          active.set(event.node.id, '');
          if (!live || verbose) say(out, `run  ${event.node.id}: ${event.node.why}`);
          else drawLine();
          break;
        case 'node-status':
          if (active.has(event.node.id)) active.set(event.node.id, event.step);
          drawLine();
          break;
        case 'node-log':
          if (event.level === 'warn') say(err, `warning: ${event.node.id}: ${event.message}`);
          else if (verbose) say(out, `     ${event.node.id}: ${event.message}`);
          break;
        case 'node-done':
          finished++;
          active.delete(event.node.id);
          if (!live || verbose) say(out, `done ${event.node.id} (${seconds(event.ms)})`);
          else drawLine();
          break;
        case 'node-failed':
          finished++;
          active.delete(event.node.id);
          say(err, `error: ${event.error}`);
          break;
        case 'node-blocked':
          finished++;
          if (verbose) say(out, `skip ${event.node.id}: ${event.cause}`);
          break;
        case 'finish': {
          clearLine();
          const s = event.summary;
          const how = verbose && s.fromSnapshot ? ' (no file changed since the last no-op)' : '';
          if (s.dryRun) {
            out.write(total === 0 ? `imgbuild: nothing to do, ${s.fresh} nodes up to date${how}\n` : `imgbuild: ${total} to run, ${s.fresh} up to date (dry run)\n`);
          } else if (s.ran.length === 0 && s.failed.length === 0 && s.blocked.length === 0) {
            out.write(`imgbuild: nothing to do, ${s.fresh} nodes up to date${how}\n`);
          } else {
            const parts = [`${s.ran.length} ran`, `${s.failed.length} failed`];
            if (s.blocked.length > 0) parts.push(`${s.blocked.length} not run`);
            parts.push(`${s.fresh} up to date`);
            out.write(`imgbuild: ${parts.join(', ')} (${seconds(s.ms)})\n`);
          }
          break;
        }
        default:
          assertNever(event);
      }
    },
  };
}
