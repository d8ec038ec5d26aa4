// `imgbuild status` and `imgbuild log`, from the cache folder alone: the latest run of each node, a summary
// per rule, and a node's last log.
import fs from 'node:fs';
import { nodeLogFile } from '../run/node-log.js';
import { readRunHistory } from './run-history.js';
import { RUN_STATES, type RunRecord, type RunState } from './run-record.js';

export interface StatusQuery {
  /** Node ids, items or rule names; none = every node. */
  readonly ids: readonly string[];
  readonly failedOnly: boolean;
}

/** What a query selected, or the ids that matched nothing (typed, for the CLI to word). */
export type StatusResult = { readonly ok: true; readonly nodes: RunRecord[] } | { readonly ok: false; readonly unmatched: string[] };

export function queryStatus(cache: string, query: StatusQuery, alive: (pid: number) => boolean = processAlive): StatusResult {
  const all = [...readRunHistory(cache).values()].map((record) => interrupted(record, alive));
  const unmatched = query.ids.filter((id) => !all.some((r) => matches(r, id)));
  if (unmatched.length > 0) return { ok: false, unmatched };
  const nodes = all
    .filter((r) => query.ids.length === 0 || query.ids.some((id) => matches(r, id)))
    .filter((r) => !query.failedOnly || r.state === 'failed')
    .sort((a, b) => a.rule.localeCompare(b.rule) || a.id.localeCompare(b.id));
  return { ok: true, nodes };
}

function matches(record: RunRecord, id: string): boolean {
  return record.id === id || record.item === id || record.rule === id;
}

/**
 * A node recorded as running whose process is gone did not finish: the build was killed. Nothing it made was
 * kept (outputs are moved into place only when a node succeeds), and the next build runs it again.
 */
function interrupted(record: RunRecord, alive: (pid: number) => boolean): RunRecord {
  if (record.state !== 'running' || (record.pid !== undefined && alive(record.pid))) return record;
  const { pid, ...rest } = record;
  return { ...rest, state: 'failed', message: `${record.id}: interrupted: the imgbuild process running it${pid !== undefined ? ` (pid ${pid})` : ''} stopped before it finished; the next build runs it again` };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RuleSummary {
  readonly rule: string;
  readonly counts: Readonly<Record<RunState, number>>;
}

export function summarizeByRule(nodes: readonly RunRecord[]): RuleSummary[] {
  const byRule = new Map<string, Record<RunState, number>>();
  for (const node of nodes) {
    const counts = byRule.get(node.rule) ?? (Object.fromEntries(RUN_STATES.map((s) => [s, 0])) as Record<RunState, number>);
    counts[node.state]++;
    byRule.set(node.rule, counts);
  }
  return [...byRule].map(([rule, counts]) => ({ rule, counts }));
}

/** The JSON `imgbuild status --json` prints: the issue's shape, one object per node. */
export function statusJson(nodes: readonly RunRecord[]): string {
  return (
    JSON.stringify(
      {
        nodes: nodes.map((n) => ({
          id: n.id,
          rule: n.rule,
          item: n.item,
          state: n.state,
          startedAt: n.startedAt,
          ms: n.ms,
          cpuMs: n.cpuMs,
          maxRssBytes: n.maxRssBytes,
          bytesRead: n.bytesRead,
          bytesWritten: n.bytesWritten,
          steps: n.steps,
          message: n.message ?? null,
          ...(n.cpuShared ? { cpuShared: true } : {}),
        })),
        rules: summarizeByRule(nodes),
      },
      null,
      2,
    ) + '\n'
  );
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The table a person reads: one line per node, then one per rule. */
export function statusTable(nodes: readonly RunRecord[]): string {
  if (nodes.length === 0) return '';
  const rows = nodes.map((n) => [n.id, n.rule, n.state, n.startedAt.replace('T', ' ').slice(0, 19), n.state === 'blocked' || n.state === 'skipped' ? '' : duration(n.ms), n.message ?? '']);
  const header = ['ID', 'RULE', 'STATE', 'WHEN (UTC)', 'TIME', 'MESSAGE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const summary = summarizeByRule(nodes).map(
    ({ rule, counts }) =>
      `${rule}: ${RUN_STATES.filter((s) => counts[s] > 0)
        .map((s) => `${counts[s]} ${s}`)
        .join(', ')}`,
  );
  return [line(header), ...rows.map(line), '', ...summary].join('\n') + '\n';
}

/** A node's last log, or why there is none (typed, for the CLI to word). */
export type LogResult =
  | { readonly kind: 'log'; readonly text: string }
  | { readonly kind: 'never-ran'; readonly record: RunRecord }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'ambiguous'; readonly ids: string[] };

export function nodeLog(cache: string, id: string): LogResult {
  const all = readRunHistory(cache);
  let record = all.get(id);
  if (record === undefined) {
    // An item or a rule:item prefix that names one node is enough.
    const candidates = [...all.values()].filter((r) => r.item === id || r.id.startsWith(`${id}:`) || r.id.endsWith(`:${id}`));
    if (candidates.length > 1) return { kind: 'ambiguous', ids: candidates.map((r) => r.id).sort() };
    record = candidates[0];
  }
  const file = nodeLogFile(cache, record?.id ?? id);
  try {
    return { kind: 'log', text: fs.readFileSync(file, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return record === undefined ? { kind: 'unknown' } : { kind: 'never-ran', record };
}
