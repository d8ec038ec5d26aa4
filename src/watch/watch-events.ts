// What the watcher tells besides the build events of each batch: the terminal prints one line per batch from
// these, and tests wait on them.

/** `review`: a reviewer approved or rejected something (cache/review.json changed): publish what now may be. */
export type BatchCause = 'start' | 'changes' | 'rescan' | 'retry' | 'review';

export type WatchEvent =
  /** Following these folders; `polling` when the system would not give watches (see `fallback`). */
  | { readonly type: 'watching'; readonly folders: readonly string[]; readonly polling: boolean }
  | { readonly type: 'batch-start'; readonly cause: BatchCause; readonly files: number }
  | {
      readonly type: 'batch-done';
      readonly cause: BatchCause;
      /** Changed files the batch was planned from (0 for the first batch and rescans of everything). */
      readonly files: number;
      readonly ran: number;
      readonly failed: number;
      /** Nodes held back because they failed before on the same inputs. */
      readonly held: number;
      readonly ms: number;
    }
  /** Input files that went away; what was built and published from them stays. */
  | { readonly type: 'removed'; readonly files: readonly string[] }
  /** Events may have been lost: everything is looked at again. */
  | { readonly type: 'rescan'; readonly why: string }
  /** Watches could not be had: following by polling instead, and how to raise the limit. */
  | { readonly type: 'fallback'; readonly why: string; readonly advice: string }
  /** The batch could not finish because of the machine or repository: tried again after `inMs`. */
  | { readonly type: 'retry-later'; readonly why: string; readonly inMs: number }
  | { readonly type: 'stopping'; readonly cancelling: boolean };

export type WatchEventSink = (event: WatchEvent) => void;
