// One place that turns whatever a rule threw into the one-line message a user reads (secrets scrubbed).
import { quoteName } from '../quote-name.js';
import { redact } from '../repo/redact.js';

export function describeError(error: unknown): string {
  return redact(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (error as NodeJS.ErrnoException).path) return `file not found: ${quoteName(String((error as NodeJS.ErrnoException).path))}`;
    return error.message.split('\n')[0]?.trim() || error.name;
  }
  return String(error);
}
