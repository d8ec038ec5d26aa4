// Everything the scheduler does is told as a typed event. The terminal progress, the --json report and a
// future web page are only consumers of this stream.

export interface NodeRef {
  readonly id: string;
  readonly rule: string;
  readonly item: string;
}

export interface PlannedRun extends NodeRef {
  /** Machine-readable reason kind (see StaleReason). */
  readonly reason: string;
  /** The same reason in words. */
  readonly why: string;
  /** In a dry run: the remote cache holds its outputs, so the run would restore them instead of running it. */
  readonly restore?: true;
}

export type BuildEvent = EventStamp &
  (
  | { readonly type: 'plan'; readonly dryRun: boolean; readonly total: number; readonly fresh: number; readonly run: readonly PlannedRun[]; readonly skipped: readonly PlannedRun[];
      /** Configuration errors the run would stop on (rules' `requires`); a dry run reports them here. */
      readonly problems?: readonly string[] }
  | { readonly type: 'node-start'; readonly node: PlannedRun }
  | { readonly type: 'node-status'; readonly node: NodeRef; readonly step: string }
  | { readonly type: 'node-log'; readonly node: NodeRef; readonly level: 'info' | 'warn'; readonly message: string }
  /** `restored`: its outputs came from the remote cache (`--remote-cache`) instead of a run. */
  | { readonly type: 'node-done'; readonly node: PlannedRun; readonly ms: number; readonly restored?: true }
  | { readonly type: 'node-failed'; readonly node: PlannedRun; readonly error: string; readonly ms: number }
  | { readonly type: 'node-blocked'; readonly node: PlannedRun; readonly cause: string }
  /** Something the user should know about how the build was set up (e.g. which folders it uses), not about a node. */
  | { readonly type: 'note'; readonly message: string }
  | { readonly type: 'finish'; readonly summary: BuildSummary }
  );

export interface BuildSummary {
  readonly dryRun: boolean;
  readonly fresh: number;
  readonly ran: readonly PlannedRun[];
  /** Nodes whose outputs were restored from the remote cache instead of running (not in `ran`). */
  readonly restored?: readonly PlannedRun[];
  readonly failed: ReadonlyArray<FailedRun>;
  /** Nodes that did not run because something they need failed, or because the build stopped. */
  readonly blocked: ReadonlyArray<PlannedRun & { readonly cause: string }>;
  /** Nodes that would have run but were told not to (skip.flag, a rejection), with the reason in `why`. */
  readonly skipped: readonly PlannedRun[];
  readonly warnings: ReadonlyArray<{ readonly id: string; readonly message: string }>;
  readonly ms: number;
  /** Configuration errors found at plan time (rules' `requires`): a dry run reports them, a real run stops on them. */
  readonly problems?: readonly string[];
  /** A sharded build (`--shard I/N`): which part, and the nodes left to the final unsharded run. */
  readonly shard?: { readonly index: number; readonly count: number; readonly source: string; readonly deferred: readonly string[] };
  /** True when the no-op snapshot (cache/fresh-snapshot.ts) answered, without planning the graph. */
  readonly fromSnapshot?: boolean;
}

/**
 * A node that failed. `environment` marks a failure of the machine or the repository (a full disk, a
 * repository that did not answer), not of the node's inputs: running again later may succeed with the same
 * inputs, so a watcher retries it with backoff instead of waiting for the inputs to change.
 */
export type FailedRun = PlannedRun & { readonly error: string; readonly environment?: boolean };

export type EventSink = (event: BuildEvent) => void;

/** When and in which build: every event a session emits carries both (the review page's live progress uses them). */
export interface EventStamp {
  /** ISO time the event happened. */
  readonly at?: string;
  /** The build (one runOnce of a session) it belongs to: `<pid>-<session start>-<n>`. */
  readonly build?: string;
}

/** A sink that stamps each event with its time and `build` before passing it on. */
export function stamped(sink: EventSink, build: string): EventSink {
  return (event) => sink({ ...event, at: new Date().toISOString(), build } as BuildEvent);
}
