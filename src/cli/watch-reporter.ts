// The watcher's own lines: one per batch (files, nodes run, failures, time), and what it does about lost
// events, missing watches, an unreachable repository and stopping. Build events of each batch go to the usual
// reporters; under --json these are JSON lines too (`{"watch": event}`).
import path from 'node:path';
import type { WatchEvent } from '../watch/watch-events.js';
import { plural } from './plural.js';

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function watchLine(event: WatchEvent, cwd: string): string | undefined {
  const shown = (file: string): string => path.relative(cwd, file) || file;
  switch (event.type) {
    case 'watching':
      return `watching ${event.folders.map(shown).join(', ')}${event.polling ? ' by polling' : ''} (Ctrl-C to stop)`;
    case 'batch-start':
      return undefined;
    case 'batch-done': {
      const what = event.cause === 'start' ? 'first pass' : event.cause === 'retry' ? 'retry' : event.cause === 'review' ? 'review decision' : `batch of ${plural(event.files, 'file')}`;
      const parts = [`${event.ran} ran`, `${event.failed} failed`];
      if (event.held > 0) parts.push(`${event.held} waiting for a fixed input`);
      return `${what}: ${parts.join(', ')} (${seconds(event.ms)})`;
    }
    case 'removed':
      return `removed from incoming: ${event.files.map(shown).join(', ')} (what was published from ${event.files.length === 1 ? 'it' : 'them'} stays published)`;
    case 'rescan':
      return `events may have been missed (${event.why}): looking at every file again`;
    case 'fallback':
      return `${event.why}: following the folders by polling instead, which is slower; ${event.advice}`;
    case 'retry-later':
      return `${event.why}: trying again in ${seconds(event.inMs)}`;
    case 'stopping':
      return undefined;
  }
}
