// One node's run as its record will tell it: the status steps it went through, its CPU and memory, the bytes
// it read and wrote, and how it ended. The scheduler opens one per node it starts.
import fs from 'node:fs';
import path from 'node:path';
import type { CommandUsage } from '../run/run-command.js';
import type { ResourceMeter, NodeMeter } from './resource-meter.js';
import type { RunHistory } from './run-history.js';
import type { RunRecord, RunStep } from './run-record.js';

/** A node that reports progress many times a second keeps its steps list short. */
const MAX_STEPS = 100;

export interface NodeRef {
  readonly id: string;
  readonly rule: string;
  readonly item: string;
}

export class NodeRun {
  private readonly steps: RunStep[] = [];
  private readonly started = Date.now();
  private readonly meter: NodeMeter;
  private bytesRead: number;
  private readonly counted = new Set<string>();

  constructor(
    private readonly ref: NodeRef & { readonly why?: string },
    inputs: readonly string[],
    meter: ResourceMeter,
    private readonly history: RunHistory | undefined,
  ) {
    this.meter = meter.start();
    this.bytesRead = inputs.reduce((sum, file) => sum + bytesOf(file), 0);
    for (const file of inputs) this.counted.add(file);
    history?.record(this.record('running', { pid: process.pid }));
  }

  /**
   * A status step. "tiling 4000×3000: 12/300 tiles" after "tiling 4000×3000" is progress within that step,
   * not a new one: it replaces the step's text and keeps its start.
   */
  step(text: string): void {
    const last = this.steps.at(-1);
    if (last !== undefined && (text === last.step || text.startsWith(`${baseOf(last.step)}:`))) {
      this.steps[this.steps.length - 1] = { step: text, ms: last.ms };
      return;
    }
    if (this.steps.length >= MAX_STEPS) this.steps.splice(1, 1);
    this.steps.push({ step: text, ms: Date.now() - this.started });
  }

  /** Upstream output files the node looked at (an aggregate reads its upstream's outputs). */
  readFiles(files: readonly { readonly path: string; readonly size: number }[]): void {
    for (const file of files) {
      if (this.counted.has(file.path)) continue;
      this.counted.add(file.path);
      this.bytesRead += file.size;
    }
  }

  command(usage: CommandUsage): void {
    this.meter.addCommand(usage);
  }

  finish(state: 'done' | 'failed', bytesWritten: number, message?: string): RunRecord {
    const record = this.record(state, { bytesWritten, ...(message !== undefined ? { message } : {}) });
    this.history?.record(record);
    return record;
  }

  private record(state: RunRecord['state'], extra: Partial<RunRecord>): RunRecord {
    const usage = state === 'running' ? { cpuMs: 0, maxRssBytes: 0, cpuShared: false } : this.meter.finish();
    return {
      ...this.ref,
      state,
      startedAt: new Date(this.started).toISOString(),
      ms: Date.now() - this.started,
      cpuMs: usage.cpuMs,
      maxRssBytes: usage.maxRssBytes,
      bytesRead: this.bytesRead,
      bytesWritten: 0,
      steps: [...this.steps],
      ...(usage.cpuShared ? { cpuShared: true } : {}),
      ...extra,
    };
  }
}

/** A record for a node that did not run: blocked by a failure upstream, skipped by its rule, or refused input. */
export function notRunRecord(ref: NodeRef, state: 'blocked' | 'skipped' | 'failed', message: string): RunRecord {
  return { ...ref, state, startedAt: new Date().toISOString(), ms: 0, cpuMs: 0, maxRssBytes: 0, bytesRead: 0, bytesWritten: 0, steps: [], message };
}

/** "tiling 4000×3000: 12/300 tiles" → "tiling 4000×3000". */
function baseOf(step: string): string {
  const colon = step.indexOf(':');
  return colon === -1 ? step : step.slice(0, colon);
}

/** Size of a file, or of every file under a folder; 0 for what is not there. */
function bytesOf(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of fs.readdirSync(file, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}
