// One build, start to end: config → settings → graph → plan → run → state. The CLI is a thin shell over
// this; tests call it directly and listen to its events. Front ends that live longer (the watcher) keep a
// BuildSession open instead.
import type { PipelineConfig } from '../config/pipeline-config.js';
import type { SettingOverrides } from '../config/resolve-settings.js';
import type { RepositorySpec } from '../repo/repository-spec.js';
import type { Settings } from '../config/settings.js';
import type { Rule } from '../graph/rule.js';
import type { Repository } from '../repo/repository.js';
import type { BuildSummary, EventSink } from './events.js';
import { BuildSession } from './build-session.js';
import type { Shard } from '../remote/shard.js';

export interface BuildRequest {
  readonly config: PipelineConfig;
  /**
   * What the config is, as content: the compiled config module's path (its name carries its hash), or
   * 'built-in' when there is no config file. Without it (a config object made in code) no-ops are not
   * remembered, because nothing says whether the config changed.
   */
  readonly configIdentity?: string;
  /** `--shard I/N`: run only this shard's items (src/remote/shard.ts); aggregates wait for an unsharded run. */
  readonly shard?: Shard;
  /** Folder relative config paths start from. */
  readonly projectDir: string;
  /**
   * Rules used when the config names none (the built-in WWT rules), or a choice made once the settings are known
   * (a repository whose source_type names a feed gets the feed pipeline).
   */
  readonly defaultRules: readonly Rule[] | ((settings: Settings) => readonly Rule[]);
  readonly targets: readonly string[];
  readonly overrides?: SettingOverrides;
  readonly dryRun?: boolean;
  readonly keepGoing?: boolean;
  /** Opens the repository (tests inject a fault-injecting one); default: from the spec the flags name. */
  readonly repository?: (spec: RepositorySpec) => Repository | Promise<Repository>;
  readonly emit?: EventSink;
  /** Stop starting nodes (the first Ctrl-C); nodes already running finish. */
  readonly signal?: AbortSignal;
  /** Cancel the running nodes too (the second Ctrl-C): their `ctx.signal` aborts. */
  readonly cancel?: AbortSignal;
  readonly cwd?: string;
  /** The config file as the user named it, for messages (undefined: built-in rules, no config file). */
  readonly configFile?: string;
}

export interface BuildResult {
  readonly summary: BuildSummary;
  readonly settings: Settings;
  /** Input files whose bytes were read to hash them (0 on a no-op). */
  readonly hashedFiles: number;
}

/** One build: a session with one run (src/run/build-session.ts). */
export async function build(request: BuildRequest): Promise<BuildResult> {
  const session = await BuildSession.open(request);
  try {
    return await session.runOnce();
  } finally {
    session.close();
  }
}
