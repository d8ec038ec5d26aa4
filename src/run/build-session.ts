// A long-lived build session: the repository, its configuration, the settings, the build state, the hash memo
// and the expanded graph, opened once and kept in memory; `runOnce` plans and runs from what changed. The
// one-shot CLI is one session with one run (build.ts); the watcher (src/watch) keeps one open for as long as
// it runs, so that a replan after one new file costs what that file reaches, not what the whole graph costs.
import fs from 'node:fs';
import path from 'node:path';
import { acquireCacheLock } from '../cache/cache-lock.js';
import { BuildState } from '../cache/build-state.js';
import { FileHasher } from '../cache/file-hasher.js';
import { nodeKey, upstreamDigest } from '../cache/node-key.js';
import {
  bookkeepingStamps,
  dropFreshSnapshots,
  type FileStamp,
  nodeStamps,
  racyStamp,
  type SnapshotScope,
  verifyFreshSnapshot,
  writeFreshSnapshot,
} from '../cache/fresh-snapshot.js';
import { describeRepositorySpec, folderSeparation } from '../config/folders-for-repository.js';
import { resolveJobs, resolveRepository, resolveSettings } from '../config/resolve-settings.js';
import { readRepositoryConfig, ruleParams } from '../config/repository-config.js';
import type { Settings } from '../config/settings.js';
import { ImgbuildError } from '../errors.js';
import { type BuildGraph, type BuildNode, buildGraph, type ProducedLists, selectTargets } from '../graph/build-graph.js';
import { compilePattern, type FilePattern, matchPattern } from '../graph/pattern.js';
import { type CheckContext, type FileSource, type Params, type Rule, sourcePatterns } from '../graph/rule.js';
import { quoteName } from '../quote-name.js';
import { RecordingRepository } from '../repo/recording-repository.js';
import { mirrorIncoming } from '../repo/incoming-mirror.js';
import { plural } from '../cli/plural.js';
import { openRepository } from '../repo/repository-spec.js';
import type { Repository } from '../repo/repository.js';
import type { BuildRequest, BuildResult } from './build.js';
import { type BuildSummary, type EventSink, type PlannedRun, stamped } from './events.js';
import { probeProducer } from './producer-probe.js';
import { readRunHistory } from '../runs/run-history.js';
import { NodeLogs } from './node-log.js';
import { RunHistory } from '../runs/run-history.js';
import { type Plan, type PlannedNode, planBuild } from './plan.js';
import { runPlan } from './scheduler.js';
import { clearStaging } from './staging.js';
import type { NodeOutputCache } from '../remote/node-output-cache.js';
import { RepositoryOutputCache } from '../remote/repository-output-cache.js';
import { GuardedCache } from '../remote/guarded-cache.js';
import { rejectedInShard, selectShard } from '../remote/shard.js';

/** One run of a session. Unset fields take the session's request's values. */
export interface RunRequest {
  readonly targets?: readonly string[];
  /**
   * Files (absolute paths) that changed since the last run: added, rewritten or removed. Only what they reach is
   * planned again. Undefined: plan everything again (every input is stat'ed; the first run always does).
   */
  readonly changed?: readonly string[];
  /**
   * Do not rerun a node that failed on its inputs before while they have not changed (a watcher reports a bad
   * file once, and retries it when it changes). Failures of the machine or repository are always retried.
   * Files that cannot become nodes and files no rule takes are likewise told once, not in every run.
   */
  readonly holdFailures?: boolean;
  readonly keepGoing?: boolean;
  readonly signal?: AbortSignal;
  readonly cancel?: AbortSignal;
  readonly emit?: EventSink;
}

/** Why a node that would run does not: it failed before on exactly these inputs (see RunRequest.holdFailures). */
export const HELD_REASON = 'failed before on these inputs: waiting for them to change';

/** Where each incoming pattern looks: a file in `folder` at `pattern` may become a node. */
interface Source {
  readonly folder: string;
  readonly pattern: FilePattern;
}

export class BuildSession {
  private graph: BuildGraph | undefined;
  /** Input path → how many nodes read it (seed files and sidecars): a changed path that is none may add nodes. */
  private inputs = new Map<string, number>();
  /** Nodes fresh after the last run, as planned then: what a replan may take without looking again. */
  private fresh: Map<string, PlannedNode> | undefined;
  /** Node → the key it failed with, for failures of its inputs (not of the machine). */
  private readonly failedKeys = new Map<string, string>();
  /** Rejected and unclaimed files already told (with holdFailures), so that each is told once. */
  private readonly told = new Set<string>();
  private state: BuildState | undefined;
  private hasher: FileHasher | undefined;
  private release: (() => void) | undefined;
  /** Each node's latest run (imgbuild status), written while the session holds the cache. */
  private history: RunHistory | undefined;
  private runs = 0;
  /** When the session opened (ms), part of each build's id. */
  private readonly opened = Date.now();
  private readonly sources: readonly Source[];

  private constructor(
    private readonly request: BuildRequest,
    readonly repository: Repository,
    readonly settings: Settings,
    readonly rules: readonly Rule[],
    private readonly paramOverrides: Readonly<Record<string, Params>>,
    private readonly scope: SnapshotScope | undefined,
  ) {
    this.sources = rules.flatMap((rule) =>
      typeof rule.forEach === 'object' ? sourcePatterns(rule.forEach).map((files) => ({ folder: sourceFolder((rule.forEach as FileSource).in, settings), pattern: compilePattern(files) })) : [],
    );
  }

  /** Open the repository, read its configuration and resolve the settings: everything a run needs first. */
  static async open(request: BuildRequest): Promise<BuildSession> {
    const overrides = request.overrides ?? {};
    const cwd = request.cwd ?? process.cwd();
    const spec = resolveRepository(request.config, request.projectDir, overrides, cwd);
    const repository = await (request.repository ?? openRepository)(spec);
    const fromRepository = await readRepositoryConfig(repository);
    const separation = folderSeparation(request.config, resolveRepository(request.config, request.projectDir, {}, cwd), spec);
    const settings = resolveSettings(request.config, request.projectDir, overrides, cwd, spec, fromRepository, separation);
    if (nodeMajor() < 22 && [settings.repository, settings.incomingSource].some((s) => s?.kind === 's3')) {
      // The SDK's own warning is seven lines on every run (the CLI turns it off); this says it once, in one.
      request.emit?.({ type: 'note', message: `Node ${process.versions.node} is past its end of life: AWS SDK releases after January 2027 need Node ≥ 22 (S3 keeps working with the SDK installed here)` });
    }
    // Told only when it chose a folder: one the user named with --work or --cache is simply used.
    const chosen = [
      ...(overrides.work === undefined ? [`work folder ${path.relative(cwd, settings.work) || settings.work}`] : []),
      ...(overrides.cache === undefined ? [`cache folder ${path.relative(cwd, settings.cache) || settings.cache}`] : []),
    ];
    if (separation && chosen.length > 0) {
      request.emit?.({
        type: 'note',
        message:
          `the repository ${describeRepositorySpec(spec)} is not the config's (${describeRepositorySpec(separation.configRepository)}): ` +
          `using ${chosen.join(' and ')} of its own (--work and --cache choose others)`,
      });
    }
    const rules = request.config.rules ?? (typeof request.defaultRules === 'function' ? request.defaultRules(settings) : request.defaultRules);
    if (settings.source !== undefined && !rules.some((r) => r.produces === 'items')) {
      // toasty's source_type with rules that read no feed would build nothing from it, silently.
      request.emit?.({ type: 'note', message: `${settings.source.from ?? 'source_type'} names a ${settings.source.type} feed, but the rules read none: use wwtFeedRules() in the config's rules (or drop the config's rules)` });
    }
    checkIncoming(rules, settings, request);
    const paramOverrides = ruleParams(rules, settings, fromRepository, request.config.params);
    // A shard's no-op is not the build's: only unsharded runs remember one.
    const scope: SnapshotScope | undefined =
      request.configIdentity === undefined || request.shard !== undefined
        ? undefined
        : { configIdentity: request.configIdentity, settings, targets: request.targets, rules, paramOverrides };
    return new BuildSession(request, repository, settings, rules, paramOverrides, scope);
  }

  private remote: Promise<NodeOutputCache> | undefined;

  /** The shared cache of node outputs the settings name (`--remote-cache`), opened once per session. */
  private remoteCache(): Promise<NodeOutputCache> | undefined {
    const spec = this.settings.remoteCache;
    if (spec === undefined) return undefined;
    return (this.remote ??= openRepository(spec).then((store) => new RepositoryOutputCache(store)));
  }

  /** The folders rules list to find their files (what a watcher follows). */
  get sourceFolders(): string[] {
    return [...new Set(this.sources.map((s) => s.folder))];
  }

  /** How many levels of subfolders the rules' patterns reach into. */
  get sourceDepth(): number {
    return Math.max(0, ...this.sources.map((s) => s.pattern.depth));
  }

  /** Those of `files` that nodes of the current graph read. */
  inputsAmong(files: readonly string[]): string[] {
    return files.filter((file) => this.inputs.has(file));
  }

  async runOnce(run: RunRequest = {}): Promise<BuildResult> {
    const { request, settings } = this;
    const emit = stamped(run.emit ?? request.emit ?? (() => undefined), `${process.pid}-${this.opened}-${this.runs + 1}`);
    const targets = run.targets ?? request.targets;
    const dryRun = request.dryRun ?? false;
    const firstRun = this.runs++ === 0;
    const changed = firstRun ? undefined : run.changed;
    const producing = this.rules.some((r) => r.produces === 'items');
    // A one-shot no-op is answered from the remembered snapshot without planning (cache/fresh-snapshot.ts);
    // with producers, only once they have run (what they list decides the graph).
    const scope = this.scope && firstRun && sameTargets(targets, request.targets) && !(producing && dryRun) ? this.scope : undefined;
    if (scope && !producing) {
      const fresh = verifyFreshSnapshot(settings.cache, scope);
      if (fresh !== undefined) return { summary: reportNoOp(fresh, dryRun, emit), settings, hashedFiles: 0 };
    }

    // A remote incoming is fetched into its mirror first (not in a dry run: it changes nothing on disk).
    if (settings.incomingSource !== undefined) {
      if (dryRun) emit({ type: 'note', message: `planned on the local copy of ${describeRepositorySpec(settings.incomingSource)} as last fetched` });
      else await this.syncIncoming(emit);
    }
    if (this.graph === undefined || changed === undefined || this.changesNodes(changed) || producing) this.expand();
    let graph = this.graph!;
    let { nodes, forced } = selectTargets(graph, targets);
    let deferred: BuildNode[] = [];
    if (request.shard) ({ nodes, deferred } = selectShard(nodes, request.shard));
    const problems = missingRequirements(nodes, settings);
    if (problems.length > 0 && !dryRun) {
      throw new ImgbuildError('config', problems.length === 1 ? problems[0]! : `${problems.length} configuration errors:\n  ${problems.join('\n  ')}`);
    }
    const onlyReindex = targets.length > 0 && targets.every((t) => t === 'reindex');

    if (!dryRun && this.release === undefined) {
      // The session holds the cache for its lifetime: a second imgbuild on the same cache waits or is told.
      this.release = acquireCacheLock(settings.cache);
      clearStaging(settings.work);
    }
    const state = (this.state ??= BuildState.load(settings.cache));
    const hasher = (this.hasher ??= new FileHasher(state.files));
    if (changed === undefined) hasher.invalidateAll();
    else hasher.invalidate(changed);
    const hashedBefore = hasher.hashedFiles;
    const display = (file: string): string => quoteName(path.relative(settings.projectDir, file) || file);
    // Checks see a repository that notes what they read, so a no-op that asked it can be remembered.
    const recorder = scope ? new RecordingRepository(this.repository) : undefined;
    const checkContext = this.checkContextFor(recorder ?? this.repository);
    const keepGoing = run.keepGoing ?? request.keepGoing ?? false;
    const signal = run.signal ?? request.signal;
    const cancel = run.cancel ?? request.cancel;
    const jobs = resolveJobs(request.config, request.overrides ?? {});
    const history = dryRun ? undefined : (this.history ??= new RunHistory(settings.cache));
    const opened = await this.remoteCache();
    const remote = opened ? new GuardedCache(opened) : undefined;
    const deps = { state, settings, repository: this.repository, emit, logs: new NodeLogs(settings.cache), ...(history ? { history } : {}), ...(remote ? { remote } : {}) };

    // Producers first (docs/seams.md §3): what they list is expanded into nodes in this same build.
    let produced: { summary: BuildSummary | undefined; unexpanded: PlannedRun[]; ran: ReadonlySet<string> } = { summary: undefined, unexpanded: [], ran: new Set() };
    if (nodes.some((n) => n.rule.produces === 'items')) {
      produced = await this.runProducers(nodes, { dryRun, state, hasher, display, checkContext, forced, keepGoing, jobs, deps, emit, ...(signal ? { signal } : {}), ...(cancel ? { cancel } : {}) });
      graph = this.graph!;
      ({ nodes, forced } = selectTargets(graph, targets));
      if (request.shard) ({ nodes, deferred } = selectShard(nodes, request.shard));
      nodes = nodes.filter((n) => !produced.ran.has(n.id));
      if (scope) {
        const fresh = verifyFreshSnapshot(settings.cache, scope);
        if (fresh !== undefined) return { summary: mergeSummaries(produced.summary, reportNoOp(fresh, dryRun, () => undefined), emit), settings, hashedFiles: hasher.hashedFiles - hashedBefore };
      }
    }

    if (request.shard) {
      const { index, count, source } = request.shard;
      const items = new Set(nodes.filter((n) => n.item !== '').map((n) => n.item)).size;
      emit({
        type: 'note',
        message: `shard ${index}/${count} (${source}): ${plural(items, 'item')}` + (deferred.length > 0 ? `; ${plural(deferred.length, 'node')} that gather${deferred.length === 1 ? 's' : ''} every item (${deferred.slice(0, 3).map((n) => n.id).join(', ')}${deferred.length > 3 ? ', …' : ''}) left to a final run without --shard (imgbuild reindex)` : ''),
      });
    }
    const reuse = changed !== undefined && this.fresh !== undefined ? { fresh: this.fresh, changed: new Set(changed) } : undefined;
    let plan = await planBuild(nodes, state, hasher, checkContext, display, forced, reuse);
    if (reuse && !dryRun) plan = this.keepAggregatesOverRemovals(plan, state);
    if (run.holdFailures) plan = this.holdFailures(plan, state);
    plan = failedBefore(plan, settings.cache);
    // Before anything changes, forget remembered no-ops (their stamps would catch it, but why keep them).
    if (!dryRun && plan.nodes.some((p) => p.reason !== undefined && p.skipped === undefined)) dropFreshSnapshots(settings.cache);
    const mainEmit: EventSink = produced.summary === undefined ? emit : (event) => (event.type === 'finish' ? undefined : emit(event));
    const main = await runPlan(
      plan,
      {
        jobs,
        keepGoing,
        dryRun,
        ...(signal ? { signal } : {}),
        ...(cancel ? { cancel } : {}),
        problems,
        unexpanded: produced.unexpanded,
        ...(request.shard ? { shard: { ...request.shard, deferred: deferred.map((n) => n.id) } } : {}),
        // `reindex` rebuilds the root index from the repository alone: incoming's problems are not its own.
        ...(onlyReindex
          ? {}
          : run.holdFailures
            ? this.untold(graph)
            : request.shard
              ? { rejected: rejectedInShard(graph.rejected, request.shard), unclaimed: request.shard.index === 1 ? graph.unclaimed : [] }
              : { rejected: graph.rejected, unclaimed: graph.unclaimed }),
      },
      { ...deps, emit: mainEmit },
    );
    const summary = produced.summary === undefined ? main : mergeSummaries(produced.summary, main, emit);
    // A dry run changes nothing on disk, not even the hash memo: it may run beside a real build.
    if (!dryRun) {
      state.save(hasher.changed);
      hasher.markSaved();
      clearStaging(settings.work);
      this.remember(plan, state, summary);
      if (scope && recorder && forced.size === 0 && !signal?.aborted) {
        rememberIfNoOp(scope, main, graph, nodes, state, recorder);
      }
    }
    return { summary, settings, hashedFiles: hasher.hashedFiles - hashedBefore };
  }

  /**
   * Run the selected producers (and what they need) before anything else, then expand the graph from the
   * lists they wrote. A dry run runs them into a scratch folder instead (producer-probe.ts); a producer that
   * cannot run leaves its dependents unexpanded, each shown as one line saying what it depends on.
   */
  private async runProducers(
    selected: readonly BuildNode[],
    o: {
      dryRun: boolean;
      state: BuildState;
      hasher: FileHasher;
      display: (file: string) => string;
      checkContext: (planned: { node: BuildNode; key: string }) => CheckContext;
      forced: ReadonlySet<string>;
      keepGoing: boolean;
      jobs: number;
      deps: Parameters<typeof runPlan>[2];
      emit: EventSink;
      signal?: AbortSignal;
      cancel?: AbortSignal;
    },
  ): Promise<{ summary: BuildSummary | undefined; unexpanded: PlannedRun[]; ran: ReadonlySet<string> }> {
    const producers = selected.filter((n) => n.rule.produces === 'items');
    // The producers and everything upstream of them, in graph order.
    const wanted = new Set<string>();
    const add = (node: BuildNode): void => {
      if (wanted.has(node.id)) return;
      wanted.add(node.id);
      node.upstream.forEach(add);
    };
    producers.forEach(add);
    const before = selected.filter((n) => wanted.has(n.id));
    const plan = await planBuild(before, o.state, o.hasher, o.checkContext, o.display, o.forced);
    const lists = new Map<string, string | { unread: string }>();
    if (o.dryRun) {
      const cleanups: Array<() => void> = [];
      for (const producer of producers) {
        const entry = plan.byId.get(producer.id)!;
        const waiting = producer.upstream.find((u) => plan.byId.get(u.id)?.reason !== undefined);
        if (waiting) {
          lists.set(producer.id, { unread: `${waiting.id} must be built first` });
          continue;
        }
        const probe = await probeProducer(producer, entry.key, this.settings, this.repository, (message) => o.emit({ type: 'note', message: `${producer.id}: ${message}` }), o.signal);
        if ('unread' in probe) lists.set(producer.id, { unread: probe.unread });
        else {
          lists.set(producer.id, probe.list);
          cleanups.push(probe.cleanup);
        }
      }
      try {
        this.expand(lists);
      } finally {
        for (const cleanup of cleanups) cleanup();
      }
      // The producers stay in the plan (they would run); their items' nodes are planned like any other.
      return { summary: undefined, unexpanded: unexpandedRuns(this.graph!), ran: new Set() };
    }
    // A producer that runs every build changes nothing a remembered no-op rests on unless its list changes, and
    // the list's stamp is in the no-op (listStamps); anything else that runs first does.
    if (plan.nodes.some((p) => p.reason !== undefined && p.skipped === undefined && p.node.rule.alwaysRun === undefined)) dropFreshSnapshots(this.settings.cache);
    // Their plan and finish are folded into the build's own; their nodes' events are the build's.
    const summary = await runPlan(
      plan,
      { jobs: o.jobs, keepGoing: o.keepGoing, dryRun: false, ...(o.signal ? { signal: o.signal } : {}), ...(o.cancel ? { cancel: o.cancel } : {}) },
      { ...o.deps, emit: (event) => (event.type === 'plan' || event.type === 'finish' ? undefined : o.emit(event)) },
    );
    // A producer that failed lists nothing new: its dependents are expanded from its last list (if any).
    this.expand();
    return { summary, unexpanded: unexpandedRuns(this.graph!), ran: wanted };
  }

  /**
   * Forget the nodes of these items (of every rule): their records and their outputs in the work folder. What
   * `imgbuild expire` removes from the cache; the next plan sees them as never built (and their rules' `skip`
   * decides whether they build again).
   */
  forgetItems(items: ReadonlySet<string>): number {
    if (items.size === 0) return 0;
    if (this.release === undefined) {
      this.release = acquireCacheLock(this.settings.cache);
      clearStaging(this.settings.work);
    }
    const state = (this.state ??= BuildState.load(this.settings.cache));
    if (this.graph === undefined) this.expand();
    let forgotten = 0;
    (this.history ??= new RunHistory(this.settings.cache)).forget(this.graph!.nodes.filter((node) => items.has(node.item)).map((node) => node.id));
    for (const node of this.graph!.nodes) {
      if (!items.has(node.item) || state.get(node.id) === undefined) continue;
      state.record(node.id, null);
      for (const output of node.outputs) fs.rmSync(output.path, { recursive: true, force: true });
      this.fresh?.delete(node.id);
      this.failedKeys.delete(node.id);
      forgotten++;
    }
    state.save(false);
    dropFreshSnapshots(this.settings.cache);
    return forgotten;
  }

  /**
   * The plan for `targets` as things stand, running nothing and writing nothing (the review list, the key an
   * approval is given for). Producers' items come from their last lists. After a run, the nodes fresh then are
   * taken as they were (a watcher's replan costs what changed).
   */
  /**
   * The configuration errors a run of these targets would stop on (rules' `requires`), found from the graph alone:
   * `imgbuild submit` says them once, before N tasks each fail on them.
   */
  configurationProblems(targets: readonly string[]): string[] {
    if (this.graph === undefined || this.runs === 0) this.expand();
    return missingRequirements(selectTargets(this.graph!, targets).nodes, this.settings);
  }

  async planNow(targets: readonly string[]): Promise<Plan> {
    // A session that never runs (imgbuild serve) looks at the folders afresh each time; a watcher's graph is
    // kept current by its batches.
    if (this.graph === undefined || this.runs === 0) this.expand();
    const { nodes, forced } = selectTargets(this.graph!, targets);
    const state = this.state ?? BuildState.load(this.settings.cache);
    let hasher = this.hasher;
    if (hasher === undefined) {
      hasher = new FileHasher(state.files);
      hasher.invalidateAll();
    }
    const display = (file: string): string => quoteName(path.relative(this.settings.projectDir, file) || file);
    const reuse = this.fresh !== undefined ? { fresh: this.fresh, changed: new Set<string>() } : undefined;
    return planBuild(nodes, state, hasher, this.checkContextFor(this.repository), display, forced, reuse);
  }

  private checkContextFor(repository: Repository): (planned: { node: BuildNode; key: string }) => CheckContext {
    return ({ node, key }) => ({
      id: node.id,
      item: node.item,
      key,
      params: node.params,
      ...(node.data !== undefined ? { data: node.data } : {}),
      settings: this.settings,
      repository,
    });
  }

  private incomingSource: Repository | undefined;

  /**
   * Fetch what changed in a remote incoming (settings.incomingSource) into its local mirror; a watcher calls it
   * every so often too, and the files it writes are then seen like any arriving file.
   */
  async syncIncoming(emit: EventSink = this.request.emit ?? (() => undefined)): Promise<void> {
    const spec = this.settings.incomingSource;
    if (spec === undefined) return;
    this.incomingSource ??= await openRepository(spec);
    const result = await mirrorIncoming(this.incomingSource, this.settings.incoming, this.request.signal);
    const where = describeRepositorySpec(spec);
    if (result.fetched.length > 0 || result.removed.length > 0) {
      emit({ type: 'note', message: `incoming ${where}: fetched ${plural(result.fetched.length, 'file')}${result.removed.length > 0 ? `, removed ${result.removed.length} gone from it` : ''} (${result.unchanged} unchanged)` });
    }
    for (const name of result.refused) emit({ type: 'note', message: `incoming ${where}: ${JSON.stringify(name)} is not a usable file name here; left out` });
  }

  /** Let go of the cache (the repository adapters hold nothing that needs closing). */
  close(): void {
    // Fold the run journal while the cache is still ours (a kill before this leaves the journal, which is read too).
    try {
      if (this.release !== undefined) this.history?.fold();
    } catch {
      // The journal stays and is read as it is; folding is only tidying.
    }
    this.release?.();
    this.release = undefined;
  }

  private expand(lists?: ProducedLists): void {
    this.graph = buildGraph(this.rules, this.settings, this.paramOverrides, lists);
    this.inputs = new Map();
    for (const node of this.graph.nodes) {
      for (const input of node.inputs) this.inputs.set(input.path, (this.inputs.get(input.path) ?? 0) + 1);
    }
  }

  /**
   * Whether a changed path can add or remove nodes: it is no node's input (a new file, or a rejected one) but
   * a rule's pattern takes it, or it is a node's input and no longer a file. Rewriting an input changes keys,
   * not the graph.
   */
  private changesNodes(changed: readonly string[]): boolean {
    for (const file of changed) {
      const read = this.inputs.has(file);
      if (read) {
        if (!isFile(file) && this.graph!.nodes.some((n) => n.file === file || n.files?.includes(file))) return true;
        continue;
      }
      for (const { folder, pattern } of this.sources) {
        const relative = path.relative(folder, file);
        if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
        if (matchPattern(pattern, relative.split(path.sep).join('/')) !== undefined) return true;
      }
      // A new file at the top of the incoming folder that no pattern takes is told about (once) as unclaimed.
      if (path.dirname(file) === this.settings.incoming && isFile(file)) return true;
    }
    return false;
  }

  /**
   * An aggregate whose rule says its output does not depend on which upstream nodes exist (the root index reads
   * the repository, where a removed input's data set stays published) is not rerun when upstream nodes only
   * went away: its record is re-keyed to the new upstream set instead. Anything else upstream that changed
   * still reruns it.
   */
  private keepAggregatesOverRemovals(plan: Plan, state: BuildState): Plan {
    let nodes: PlannedNode[] | undefined;
    const byId = new Map(plan.byId);
    plan.nodes.forEach((entry, i) => {
      const { node } = entry;
      if (!node.aggregate || !node.rule.unaffectedByRemovedUpstream || entry.reason?.kind !== 'upstream-changed' || entry.skipped !== undefined) return;
      const before = this.fresh?.get(node.id);
      const record = state.get(node.id);
      if (before === undefined || record === undefined || record.key !== before.key) return;
      const was = new Set(before.node.upstream.map((u) => u.id));
      const onlyRemoved =
        node.upstream.length < was.size && node.upstream.every((u) => was.has(u.id) && plan.byId.get(u.id)?.reason === undefined && this.fresh?.get(u.id)?.key === plan.byId.get(u.id)?.key);
      if (!onlyRemoved) return;
      state.record(node.id, { ...record, key: entry.key, parts: entry.parts });
      const kept: PlannedNode = { ...entry, reason: undefined };
      (nodes ??= [...plan.nodes])[i] = kept;
      byId.set(node.id, kept);
    });
    return nodes ? { nodes, byId } : plan;
  }

  /** Rejected and unclaimed files not told before (a file told before and since changed is told again). */
  private untold(graph: BuildGraph): { rejected: BuildGraph['rejected']; unclaimed: BuildGraph['unclaimed'] } {
    const now = new Set([...graph.rejected.map((r) => r.message), ...graph.unclaimed.map((u) => `unclaimed ${u}`)]);
    for (const message of this.told) if (!now.has(message)) this.told.delete(message);
    const rejected = graph.rejected.filter((r) => !this.told.has(r.message));
    const unclaimed = graph.unclaimed.filter((u) => !this.told.has(`unclaimed ${u}`));
    for (const message of now) this.told.add(message);
    return { rejected, unclaimed };
  }

  /**
   * Skip the nodes that failed on these very inputs before, and what depends on them (see RunRequest). An
   * aggregate over a held node is keyed, as the scheduler keys it after a failure, on the upstream it covers:
   * if that is what it was built with, it is up to date (the root index is not rebuilt for a held file).
   */
  private holdFailures(plan: Plan, state: BuildState): Plan {
    if (this.failedKeys.size === 0) return plan;
    const byId = new Map(plan.byId);
    const nodes = plan.nodes.map((entry) => {
      if (entry.reason === undefined || entry.skipped !== undefined) return entry;
      let skipped: string | undefined;
      if (this.failedKeys.get(entry.node.id) === entry.key) skipped = HELD_REASON;
      else if (!entry.node.aggregate) {
        const up = entry.node.upstream.find((u) => byId.get(u.id)?.skipped !== undefined);
        if (up) skipped = `${up.id} is skipped`;
      } else if (entry.reason.kind === 'upstream-changed') {
        const covered = entry.node.upstream.filter((u) => byId.get(u.id)?.skipped !== HELD_REASON);
        if (covered.length < entry.node.upstream.length) {
          const parts = { ...entry.parts, upstream: upstreamDigest(covered.map((u) => [u.id, byId.get(u.id)?.key ?? state.get(u.id)?.key ?? ''] as const)) };
          const key = nodeKey(entry.node.rule.name, parts);
          if (state.get(entry.node.id)?.key === key) {
            const fresh: PlannedNode = { ...entry, key, parts, reason: undefined };
            byId.set(entry.node.id, fresh);
            return fresh;
          }
        }
      }
      if (skipped === undefined) return entry;
      const held: PlannedNode = { ...entry, skipped };
      byId.set(entry.node.id, held);
      return held;
    });
    return { nodes, byId };
  }

  /** After a run: which nodes are fresh now (for the next replan), and which failed on their inputs. */
  private remember(plan: Plan, state: BuildState, summary: BuildSummary): void {
    const fresh = new Map<string, PlannedNode>();
    for (const entry of plan.nodes) {
      if (state.get(entry.node.id)?.key !== entry.key) continue;
      fresh.set(entry.node.id, entry.reason === undefined ? entry : { ...entry, reason: undefined });
    }
    // Nodes outside this run's selection keep what the last run knew of them.
    if (this.fresh) for (const [id, entry] of this.fresh) if (!plan.byId.has(id) && state.get(id)?.key === entry.key) fresh.set(id, entry);
    this.fresh = fresh;
    for (const ran of summary.ran) this.failedKeys.delete(ran.id);
    for (const failure of summary.failed) {
      const key = plan.byId.get(failure.id)?.key;
      if (failure.environment || key === undefined) this.failedKeys.delete(failure.id);
      else this.failedKeys.set(failure.id, key);
    }
  }
}

/** The item lists the graph was expanded from: a changed list changes the graph. */
function listStamps(lists: readonly string[]): FileStamp[] {
  return lists.map((file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat ? ([file, stat.size, stat.mtimeMs] as FileStamp) : ([file] as FileStamp);
  });
}

function sameTargets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function sourceFolder(source: string | undefined, settings: Settings): string {
  if (source === undefined || source === 'incoming') return settings.incoming;
  if (source === 'work') return settings.work;
  return path.resolve(settings.projectDir, source);
}

/**
 * An incoming folder the user named (flag or config) that does not exist is a mistake, not an empty build:
 * it would publish an empty index. The default folder may be absent (a project that only reindexes).
 */
function nodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}

function checkIncoming(rules: readonly Rule[], settings: Settings, request: BuildRequest): void {
  const readsIncoming = rules.some((r) => typeof r.forEach === 'object' && (r.forEach.in === undefined || r.forEach.in === 'incoming'));
  // A remote incoming's mirror is made by the first fetch.
  if (!readsIncoming || settings.incomingSource !== undefined || fs.existsSync(settings.incoming)) return;
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

/** One line per rule over a producer whose list could not be read: what it depends on. */
function unexpandedRuns(graph: BuildGraph): PlannedRun[] {
  return graph.unread.map((u) => ({ id: `${u.rule}:*`, rule: u.rule, item: '*', reason: 'unexpanded', why: `depends on the ${u.producer}'s contents, not read yet (${u.why}): it and what follows from it are planned once it is` }));
}

/** The producers' run and the main run, as one build. */
function mergeSummaries(first: BuildSummary | undefined, second: BuildSummary, emit: EventSink): BuildSummary {
  const summary: BuildSummary =
    first === undefined
      ? second
      : {
          ...second,
          fresh: first.fresh + second.fresh,
          ran: [...first.ran, ...second.ran],
          ...(first.restored !== undefined || second.restored !== undefined ? { restored: [...(first.restored ?? []), ...(second.restored ?? [])] } : {}),
          failed: [...first.failed, ...second.failed],
          blocked: [...first.blocked, ...second.blocked],
          skipped: [...first.skipped, ...second.skipped],
          warnings: [...first.warnings, ...second.warnings],
          ms: first.ms + second.ms,
          fromSnapshot: second.fromSnapshot ?? false,
        };
  emit({ type: 'finish', summary });
  return summary;
}

/**
 * Nodes made from a produced list's items that are never built because they failed last time say so (a feed
 * item whose download failed is "failed before", not "new"). Asked only when such nodes are planned.
 */
function failedBefore(plan: Plan, cache: string): Plan {
  if (!plan.nodes.some((p) => p.reason?.kind === 'listed' && p.skipped === undefined)) return plan;
  const history = readRunHistory(cache);
  let changed = false;
  const byId = new Map(plan.byId);
  const nodes = plan.nodes.map((entry) => {
    if (entry.reason?.kind !== 'listed') return entry;
    const last = history.get(entry.node.id);
    if (last?.state !== 'failed') return entry;
    changed = true;
    const detail = (last.message ?? 'it failed').replace(new RegExp(`^${entry.node.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '');
    const retried: PlannedNode = { ...entry, reason: { kind: 'failed-before', detail: detail.length > 120 ? `${detail.slice(0, 117)}…` : detail } };
    byId.set(entry.node.id, retried);
    return retried;
  });
  return changed ? { nodes, byId } : plan;
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
  const files = [...nodeStamps(nodes, state), ...recorder.stamps, ...listStamps(graph.lists)];
  if (racyStamp(graph.listedFolders, files) !== undefined) return;
  const cache = scope.settings.cache;
  writeFreshSnapshot(cache, scope, nodes.length, [...graph.listedFolders], [...bookkeepingStamps(cache), ...files]);
}
