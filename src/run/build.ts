// One build, start to end: config → settings → graph → plan → run → state. The CLI is a thin shell over
// this; tests and future front ends (watch mode, a web page) call it directly and listen to its events.
import path from 'node:path';
import { acquireCacheLock } from '../cache/cache-lock.js';
import { BuildState } from '../cache/build-state.js';
import { FileHasher } from '../cache/file-hasher.js';
import {
  bookkeepingStamps,
  dropFreshSnapshots,
  nodeStamps,
  racyStamp,
  type SnapshotScope,
  verifyFreshSnapshot,
  writeFreshSnapshot,
} from '../cache/fresh-snapshot.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { describeRepositorySpec, folderSeparation } from '../config/folders-for-repository.js';
import { resolveJobs, resolveRepository, resolveSettings, type SettingOverrides } from '../config/resolve-settings.js';
import { readRepositoryConfig, ruleParams } from '../config/repository-config.js';
import { openRepository, type RepositorySpec } from '../repo/repository-spec.js';
import type { Settings } from '../config/settings.js';
import { type BuildGraph, type BuildNode, buildGraph, selectTargets } from '../graph/build-graph.js';
import type { Rule } from '../graph/rule.js';
import { quoteName } from '../quote-name.js';
import type { Repository } from '../repo/repository.js';
import { RecordingRepository } from '../repo/recording-repository.js';
import type { BuildSummary, EventSink } from './events.js';
import { planBuild } from './plan.js';
import { runPlan } from './scheduler.js';
import { clearStaging } from './staging.js';
import { ImgbuildError } from '../errors.js';
import { NodeLogs } from './node-log.js';
import fs from 'node:fs';

/**
 * An incoming folder the user named (flag or config) that does not exist is a mistake, not an empty build:
 * it would publish an empty index. The default folder may be absent (a project that only reindexes).
 */
function checkIncoming(rules: readonly Rule[], settings: Settings, request: BuildRequest): void {
  const readsIncoming = rules.some((r) => typeof r.forEach === 'object' && (r.forEach.in === undefined || r.forEach.in === 'incoming'));
  if (!readsIncoming || fs.existsSync(settings.incoming)) return;
  const byFlag = request.overrides?.incoming !== undefined;
  if (!byFlag && request.config.incoming === undefined) return;
  const setBy = byFlag ? 'the --incoming flag' : `incoming in ${request.configFile ?? 'the pipeline config'}`;
  throw new ImgbuildError(byFlag ? 'usage' : 'config', `incoming folder ${settings.incoming} does not exist (set by ${setBy}): create it, or name the folder your images are in`);
}

/** What the selected rules need and the settings lack (`requires`), one message per rule. */
function missingRequirements(nodes: readonly BuildNode[], settings: Settings): string[] {
  const problems: string[] = [];
  const asked = new Set<Rule>();
  for (const node of nodes) {
    if (!node.rule.requires || asked.has(node.rule)) continue;
    asked.add(node.rule);
    const problem = node.rule.requires(settings);
    if (problem !== undefined) problems.push(`rule ${node.rule.name}: ${problem}`);
  }
  return problems;
}

export interface BuildRequest {
  readonly config: PipelineConfig;
  /**
   * What the config is, as content: the compiled config module's path (its name carries its hash), or
   * 'built-in' when there is no config file. Without it (a config object made in code) no-ops are not
   * remembered, because nothing says whether the config changed.
   */
  readonly configIdentity?: string;
  /** Folder relative config paths start from. */
  readonly projectDir: string;
  /** Rules used when the config names none (the built-in WWT rules). */
  readonly defaultRules: readonly Rule[];
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

/** The events and summary of a build the no-op snapshot answered: the same as a planned no-op's. */
function reportNoOp(fresh: number, dryRun: boolean, emit: EventSink): BuildSummary {
  emit({ type: 'plan', dryRun, total: fresh, fresh, run: [], skipped: [] });
  const summary: BuildSummary = { dryRun, fresh, ran: [], failed: [], blocked: [], skipped: [], warnings: [], ms: 0, fromSnapshot: true };
  emit({ type: 'finish', summary });
  return summary;
}

/** Remember a build that was a no-op resting on files alone (see fresh-snapshot.ts for the conditions). */
function rememberIfNoOp(scope: SnapshotScope, summary: BuildSummary, graph: BuildGraph, nodes: readonly BuildNode[], state: BuildState, recorder: RecordingRepository): void {
  if (summary.ran.length + summary.failed.length + summary.blocked.length + summary.skipped.length > 0) return;
  if (recorder.unstampable !== undefined || nodes.some((n) => n.rule.check && !n.rule.checkReadsOnlyRepository)) return;
  const files = [...nodeStamps(nodes, state), ...recorder.stamps];
  if (racyStamp(graph.listedFolders, files) !== undefined) return;
  const cache = scope.settings.cache;
  writeFreshSnapshot(cache, scope, nodes.length, [...graph.listedFolders], [...bookkeepingStamps(cache), ...files]);
}

export async function build(request: BuildRequest): Promise<BuildResult> {
  const overrides = request.overrides ?? {};
  const cwd = request.cwd ?? process.cwd();
  const spec = resolveRepository(request.config, request.projectDir, overrides, cwd);
  const repository = await (request.repository ?? openRepository)(spec);
  const fromRepository = await readRepositoryConfig(repository);
  const separation = folderSeparation(request.config, resolveRepository(request.config, request.projectDir, {}, cwd), spec);
  const settings = resolveSettings(request.config, request.projectDir, overrides, cwd, spec, fromRepository, separation);
  const emit = request.emit ?? (() => undefined);
  if (separation) {
    const shown = (dir: string): string => path.relative(cwd, dir) || dir;
    emit({
      type: 'note',
      message:
        `the repository ${describeRepositorySpec(spec)} is not the config's (${describeRepositorySpec(separation.configRepository)}): ` +
        `using work folder ${shown(settings.work)} and cache folder ${shown(settings.cache)} (--work and --cache choose others)`,
    });
  }
  const rules = request.config.rules ?? request.defaultRules;
  checkIncoming(rules, settings, request);
  const paramOverrides = ruleParams(rules, settings, fromRepository, request.config.params);
  const dryRun = request.dryRun ?? false;
  const scope: SnapshotScope | undefined =
    request.configIdentity === undefined
      ? undefined
      : { configIdentity: request.configIdentity, settings, targets: request.targets, rules, paramOverrides };
  if (scope) {
    const fresh = verifyFreshSnapshot(settings.cache, scope);
    if (fresh !== undefined) return { summary: reportNoOp(fresh, dryRun, emit), settings, hashedFiles: 0 };
  }
  const graph = buildGraph(rules, settings, paramOverrides);
  const { nodes, forced } = selectTargets(graph, request.targets);
  const problems = missingRequirements(nodes, settings);
  if (problems.length > 0 && !dryRun) {
    throw new ImgbuildError('config', problems.length === 1 ? problems[0]! : `${problems.length} configuration errors:\n  ${problems.join('\n  ')}`);
  }
  const onlyReindex = request.targets.length > 0 && request.targets.every((t) => t === 'reindex');

  const release = dryRun ? () => undefined : acquireCacheLock(settings.cache);
  try {
    if (!dryRun) clearStaging(settings.work);
    const state = BuildState.load(settings.cache);
    const hasher = new FileHasher(state.files);
    const display = (file: string): string => quoteName(path.relative(settings.projectDir, file) || file);
    // Checks see a repository that notes what they read, so a no-op that asked it can be remembered.
    const recorder = scope ? new RecordingRepository(repository) : undefined;
    const checked = recorder ?? repository;
    const plan = await planBuild(
      nodes,
      state,
      hasher,
      ({ node, key }) => ({ id: node.id, item: node.item, key, settings, repository: checked }),
      display,
      forced,
    );
    // Before anything changes, forget remembered no-ops (their stamps would catch it, but why keep them).
    if (!dryRun && plan.nodes.some((p) => p.reason !== undefined && p.skipped === undefined)) dropFreshSnapshots(settings.cache);
    const summary = await runPlan(
      plan,
      {
        jobs: resolveJobs(request.config, overrides),
        keepGoing: request.keepGoing ?? false,
        dryRun,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.cancel ? { cancel: request.cancel } : {}),
        problems,
        // `reindex` rebuilds the root index from the repository alone: incoming's problems are not its own.
        ...(onlyReindex ? {} : { rejected: graph.rejected, unclaimed: graph.unclaimed }),
      },
      { state, settings, repository, emit, logs: new NodeLogs(settings.cache) },
    );
    // A dry run changes nothing on disk, not even the hash memo: it may run beside a real build.
    if (!dryRun) {
      state.save(hasher.changed);
      clearStaging(settings.work);
      if (scope && recorder && forced.size === 0 && !request.signal?.aborted) rememberIfNoOp(scope, summary, graph, nodes, state, recorder);
    }
    return { summary, settings, hashedFiles: hasher.hashedFiles };
  } finally {
    release();
  }
}
