// One build, start to end: config → settings → graph → plan → run → state. The CLI is a thin shell over
// this; tests and future front ends (watch mode, a web page) call it directly and listen to its events.
import path from 'node:path';
import { acquireCacheLock } from '../cache/cache-lock.js';
import { BuildState } from '../cache/build-state.js';
import { FileHasher } from '../cache/file-hasher.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { resolveJobs, resolveSettings, type SettingOverrides } from '../config/resolve-settings.js';
import type { Settings } from '../config/settings.js';
import { buildGraph, selectTargets } from '../graph/build-graph.js';
import type { Rule } from '../graph/rule.js';
import { LocalRepository } from '../repo/local-repository.js';
import type { Repository } from '../repo/repository.js';
import type { BuildSummary, EventSink } from './events.js';
import { planBuild } from './plan.js';
import { runPlan } from './scheduler.js';
import { clearStaging } from './staging.js';

export interface BuildRequest {
  readonly config: PipelineConfig;
  /** Folder relative config paths start from. */
  readonly projectDir: string;
  /** Rules used when the config names none (the built-in WWT rules). */
  readonly defaultRules: readonly Rule[];
  readonly targets: readonly string[];
  readonly overrides?: SettingOverrides;
  readonly dryRun?: boolean;
  readonly keepGoing?: boolean;
  readonly repository?: (settings: Settings) => Repository;
  readonly emit?: EventSink;
  readonly signal?: AbortSignal;
  readonly cwd?: string;
}

export interface BuildResult {
  readonly summary: BuildSummary;
  readonly settings: Settings;
  /** Input files whose bytes were read to hash them (0 on a no-op). */
  readonly hashedFiles: number;
}

export async function build(request: BuildRequest): Promise<BuildResult> {
  const overrides = request.overrides ?? {};
  const settings = resolveSettings(request.config, request.projectDir, overrides, request.cwd ?? process.cwd());
  const rules = request.config.rules ?? request.defaultRules;
  const graph = buildGraph(rules, settings, request.config.params ?? {});
  const nodes = selectTargets(graph, request.targets);
  const repository = request.repository?.(settings) ?? new LocalRepository(settings.local);
  const emit = request.emit ?? (() => undefined);
  const dryRun = request.dryRun ?? false;

  const release = dryRun ? () => undefined : acquireCacheLock(settings.cache);
  try {
    if (!dryRun) clearStaging(settings.work);
    const state = BuildState.load(settings.cache);
    const hasher = new FileHasher(state.files);
    const display = (file: string): string => path.relative(settings.projectDir, file) || file;
    const plan = await planBuild(
      nodes,
      state,
      hasher,
      ({ node, key }) => ({ id: node.id, item: node.item, key, settings, repository }),
      display,
    );
    const summary = await runPlan(
      plan,
      { jobs: resolveJobs(request.config, overrides), keepGoing: request.keepGoing ?? false, dryRun, ...(request.signal ? { signal: request.signal } : {}) },
      { state, settings, repository, emit },
    );
    // A dry run changes nothing on disk, not even the hash memo: it may run beside a real build.
    if (!dryRun) {
      state.save(hasher.changed);
      clearStaging(settings.work);
    }
    return { summary, settings, hashedFiles: hasher.hashedFiles };
  } finally {
    release();
  }
}
