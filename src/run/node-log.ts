// Each node's last log, kept in the cache: `cache/logs/<node>.log`, written when the node finishes (success
// or failure). A command's stderr often says what went wrong (or right) and is otherwise gone once the build
// ends; a later `imgbuild log NODE` reads these files.
import fs from 'node:fs';
import path from 'node:path';

/** A node log keeps its last lines only: a chatty program must not fill the cache. */
const MAX_LINES = 2000;

/** The file name a node's log is kept under (node ids hold ':', which some file systems refuse). */
export function nodeLogFile(cache: string, nodeId: string): string {
  return path.join(cache, 'logs', `${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

export class NodeLog {
  private readonly lines: string[] = [];
  private dropped = 0;
  private lastKind = '';

  constructor(
    private readonly file: string,
    private readonly started: number = Date.now(),
  ) {}

  add(kind: 'log' | 'warn' | 'status' | 'stderr' | 'error', text: string): void {
    const at = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    // Progress steps come several times a second: keep the latest of a run of them.
    if (kind === 'status' && this.lastKind === 'status') this.lines.pop();
    this.lastKind = kind;
    for (const line of text.split('\n')) this.lines.push(`${at}s ${kind.padEnd(6)} ${line}`);
    const excess = this.lines.length - MAX_LINES;
    if (excess > 0) {
      this.lines.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Write the log (replacing the previous run's), by rename so a crash never leaves half a file. */
  write(outcome: 'done' | 'failed'): void {
    const head = this.dropped > 0 ? [`(${this.dropped} earlier lines dropped)`] : [];
    const body = [...head, ...this.lines, `${outcome} after ${((Date.now() - this.started) / 1000).toFixed(1)} s`].join('\n') + '\n';
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, body);
    fs.renameSync(temporary, this.file);
  }
}

/** Where a build keeps its node logs. */
export class NodeLogs {
  constructor(private readonly cache: string) {}

  open(nodeId: string): NodeLog {
    return new NodeLog(nodeLogFile(this.cache, nodeId));
  }
}
