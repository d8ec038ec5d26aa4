// What `imgbuild status` and `imgbuild log` know about a node's latest run, kept in the cache (run-history.ts):
// tom_education's status and log lines and CALDP's per-dataset metrics, without a server or a database.

/** A node's state after its latest run (`running` while a build runs it, or if that build died). */
export type RunState = 'done' | 'failed' | 'blocked' | 'skipped' | 'running';

/** A status step the node went through (ctx.status), with when it started, in ms after the node started. */
export interface RunStep {
  readonly step: string;
  readonly ms: number;
}

export interface RunRecord {
  readonly id: string;
  readonly rule: string;
  readonly item: string;
  readonly state: RunState;
  /** ISO time the node started (for blocked and skipped nodes: when that was decided). */
  readonly startedAt: string;
  /** Wall time. */
  readonly ms: number;
  /**
   * CPU time (user + system) of imgbuild's process while the node ran, libvips' threads included, plus that of
   * the programs a command rule ran. Nodes run in parallel share the process: see `cpuShared`.
   */
  readonly cpuMs: number;
  /** Peak resident memory while the node ran: imgbuild's process, or a command's program if larger. */
  readonly maxRssBytes: number;
  /** Sizes of the node's input files (declared inputs, and the upstream outputs an aggregate reads). */
  readonly bytesRead: number;
  /** Sizes of the output files the node made. */
  readonly bytesWritten: number;
  readonly steps: readonly RunStep[];
  /** Why it ran (its stale reason in words: `input changed: image`), for a node that started. */
  readonly why?: string;
  /** Why it failed, was blocked or skipped (one line, secrets scrubbed). */
  readonly message?: string;
  /** Other nodes ran at the same time, so cpuMs and maxRssBytes include theirs (exact with -j 1). */
  readonly cpuShared?: boolean;
  /** The process running it (state `running`): if that process is gone, the run was interrupted. */
  readonly pid?: number;
}

export const RUN_STATES: readonly RunState[] = ['done', 'failed', 'blocked', 'skipped', 'running'];
