// One place that turns whatever a rule threw into the one-line message a user reads (secrets scrubbed).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteName } from '../quote-name.js';
import { redact } from '../repo/redact.js';
import { PipelineError } from './pipeline-error.js';

export function describeError(error: unknown, projectDir?: string): string {
  return redact(describe(error, projectDir));
}

/** A programming error, not a failure a rule or library meant to report: its message alone would not help. */
export function isUnexpected(error: unknown): error is Error {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    (error instanceof Error && error.name === 'AssertionError')
  );
}

function describe(error: unknown, projectDir: string | undefined): string {
  if (error instanceof PipelineError) return firstLine(error.message) || 'the pipeline failed';
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (error as NodeJS.ErrnoException).path) return `file not found: ${quoteName(String((error as NodeJS.ErrnoException).path))}`;
    const message = firstLine(error.message) || error.name;
    if (!isUnexpected(error)) return message;
    const where = origin(error, projectDir);
    return `${error.name}: ${message}${where ? ` (at ${where})` : ''}`;
  }
  return String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/** The first stack frame outside Node's own code and node_modules: where the rule went wrong. */
function origin(error: Error, projectDir: string | undefined): string | undefined {
  for (const line of (error.stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const shown = projectDir !== undefined && !path.relative(projectDir, file).startsWith('..') ? path.relative(projectDir, file) : file;
    return `${shown}:${match[2]}`;
  }
  return undefined;
}
