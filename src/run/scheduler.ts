// Runs a plan's stale nodes in dependency order, `jobs` at a time, and tells everything as events.
import type { BuildState } from '../cache/build-state.js';
import { type KeyParts, nodeKey, upstreamDigest } from '../cache/node-key.js';
import type { BuildNode, RejectedFile } from '../graph/build-graph.js';
import { type BuiltFile, isCacheable, type RunContext, type UpstreamView } from '../graph/rule.js';
import type { NodeOutputCache, StoredFile } from '../remote/node-output-cache.js';
import { cacheAddress } from '../remote/cache-address.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import type { OutputFileRecord } from '../cache/build-state.js';
import type { Repository } from '../repo/repository.js';
import type { Settings } from '../config/settings.js';
import type { BuildSummary, EventSink, FailedRun, PlannedRun } from './events.js';
import { ImgbuildError } from '../errors.js';
import { environmentErrorOf } from '../environment-error.js';
import type { Plan, PlannedNode } from './plan.js';
import { describeReason } from './stale-reason.js';
import { commitStaging, createStaging, describeStagedOutputs, discardStaging, keepUnchangedFiles, resetStaging } from './staging.js';
import { runCommand } from './run-command.js';
import { describeError, isUnexpected } from './describe-error.js';
import { ResourceMeter } from '../runs/resource-meter.js';
import { NodeRun, notRunRecord } from '../runs/node-run.js';
import type { RunHistory } from '../runs/run-history.js';
import path from 'node:path';
import type { NodeLog, NodeLogs } from './node-log.js';
import { quoteName } from '../quote-name.js';

export interface ScheduleOptions {
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly dryRun: boolean;
  /** Stop starting nodes; the running ones finish. */
  readonly signal?: AbortSignal;
  /** Cancel the running nodes (their ctx.signal aborts). */
  readonly cancel?: AbortSignal;
  /** Configuration errors found at plan time (rules' `requires`), reported with the plan. */
  readonly problems?: readonly string[];
  /** Files that could not become nodes (src/graph/build-graph.ts): each is reported as its own failure. */
  readonly rejected?: readonly RejectedFile[];
  /** Files in the incoming folder no rule takes: one warning per build. */
  readonly unclaimed?: readonly string[];
  /** A sharded build's part, carried into the summary. */
  readonly shard?: BuildSummary['shard'];
  /** Rules over a producer whose list is not known (a dry run): one line each in the plan, never run. */
  readonly unexpanded?: readonly PlannedRun[];
}

export interface ScheduleDeps {
  readonly state: BuildState;
  readonly settings: Settings;
  readonly repository: Repository;
  readonly emit: EventSink;
  /** Where each node's log is kept; without it, nothing is written. */
  readonly logs?: NodeLogs;
  /** Where each node's latest run is recorded (imgbuild status); without it, nothing is. */
  readonly history?: RunHistory;
  /** A shared cache of node outputs (`--remote-cache`): asked before a stale node runs, stored into after. */
  readonly remote?: NodeOutputCache;
}

export function plannedRun(entry: PlannedNode): PlannedRun {
  const reason = entry.reason ?? { kind: 'never-built' as const };
  return { id: entry.node.id, rule: entry.node.rule.name, item: entry.node.item, reason: reason.kind, why: describeReason(reason) };
}

/** `skipped`: told not to run (its rule's skip): an aggregate over it covers only the others. */
type Outcome = 'done' | 'failed' | 'blocked' | 'skipped';

export async function runPlan(plan: Plan, options: ScheduleOptions, deps: ScheduleDeps): Promise<BuildSummary> {
  const started = Date.now();
  const stale = plan.nodes.filter((p) => p.reason !== undefined && p.skipped === undefined);
  const skipped = plan.nodes
    .filter((p) => p.skipped !== undefined)
    .map((p) => ({ id: p.node.id, rule: p.node.rule.name, item: p.node.item, reason: p.skipKind ?? 'skipped', why: p.skipped! }));
  const runs = new Map(stale.map((p) => [p.node.id, plannedRun(p)]));
  if (options.dryRun && deps.remote) await markRestorable(stale, runs, deps);
  const fresh = plan.nodes.length - stale.length - skipped.length;
  const unexpanded = options.dryRun ? (options.unexpanded ?? []) : [];
  deps.emit({ type: 'plan', dryRun: options.dryRun, total: plan.nodes.length, fresh, run: [...runs.values(), ...unexpanded], skipped, problems: options.problems ?? [] });

  const ran: PlannedRun[] = [];
  const restored: PlannedRun[] = [];
  const failed: FailedRun[] = [];
  const blocked: Array<PlannedRun & { cause: string }> = [];
  const warnings: Array<{ id: string; message: string }> = [];
  const finish = (): BuildSummary => {
    const unrecorded = deps.history?.takeFailure();
    if (unrecorded !== undefined) {
      const message = `could not record the runs for imgbuild status: ${unrecorded}`;
      warnings.push({ id: 'status', message });
      deps.emit({ type: 'node-log', node: { id: 'status', rule: '', item: '' }, level: 'warn', message });
    }
    const summary: BuildSummary = { dryRun: options.dryRun, fresh, ran, ...(deps.remote && !options.dryRun ? { restored } : {}), failed, blocked, skipped, warnings, ms: Date.now() - started, problems: options.problems ?? [], ...(options.shard ? { shard: options.shard } : {}) };
    deps.emit({ type: 'finish', summary });
    return summary;
  };
  // Input problems found while expanding the graph: every one of them is told now, in this build, and none
  // stops the others (they are known before anything runs, so --keep-going is not needed to see them all).
  for (const r of options.rejected ?? []) {
    const run: PlannedRun = { id: r.id, rule: r.rule, item: '', reason: 'input-unusable', why: 'the input file cannot be used' };
    failed.push({ ...run, error: r.message });
    deps.emit({ type: 'node-failed', node: run, error: r.message, ms: 0 });
  }
  const unclaimed = options.unclaimed ?? [];
  if (unclaimed.length > 0) {
    const shown = unclaimed.length > 10 ? `${unclaimed.slice(0, 10).join(', ')} and ${unclaimed.length - 10} more` : unclaimed.join(', ');
    const message = `${unclaimed.length} file${unclaimed.length === 1 ? '' : 's'} in the incoming folder no rule takes (not JPEG/PNG/TIFF images nor sidecars), left alone: ${shown}`;
    warnings.push({ id: 'incoming', message });
    deps.emit({ type: 'node-log', node: { id: 'incoming', rule: '', item: '' }, level: 'warn', message });
  }
  if (options.dryRun) return finish();
  for (const r of options.rejected ?? []) deps.history?.record(notRunRecord({ id: r.id, rule: r.rule, item: '' }, 'failed', r.message));
  for (const s of skipped) deps.history?.recordIfChanged(notRunRecord(s, 'skipped', s.why));
  const meter = new ResourceMeter();

  const outcome = new Map<string, Outcome>(skipped.map((s) => [s.id, 'skipped'] as const));
  const keys = new Map(plan.nodes.map((p) => [p.node.id, p.key as string]));
  const pending = new Set(stale);
  const running = new Set<Promise<void>>();
  let stopping = false;

  /** Nodes that failed for the machine's or the repository's reasons, not their inputs'. */
  const environmentFailures = new Set<string>();
  const block = (entry: PlannedNode, cause: string): void => {
    pending.delete(entry);
    outcome.set(entry.node.id, 'blocked');
    const run = runs.get(entry.node.id)!;
    blocked.push({ ...run, cause });
    deps.history?.record(notRunRecord(run, 'blocked', cause));
    deps.emit({ type: 'node-blocked', node: run, cause });
  };

  /** A node can start once every upstream node that had to run has finished. */
  const readiness = (entry: PlannedNode): 'wait' | 'go' | string => {
    let failedUpstream: string | undefined;
    let onlyItems = true;
    for (const up of entry.node.upstream) {
      if (!runs.has(up.id)) continue;
      const result = outcome.get(up.id);
      if (result === undefined) return 'wait';
      if (result !== 'done') {
        failedUpstream ??= up.id;
        if (!up.fromList || environmentFailures.has(up.id)) onlyItems = false;
      }
    }
    if (failedUpstream === undefined) return 'go';
    // An aggregate (the root index) still serves everything else: it runs over the upstream that succeeded (with
    // --keep-going, or when what failed were feed items, whose failures are their own).
    return entry.node.aggregate && (options.keepGoing || onlyItems) ? 'go' : `${failedUpstream} did not complete`;
  };

  const launch = (entry: PlannedNode): void => {
    pending.delete(entry);
    const run = runs.get(entry.node.id)!;
    const promise = executeNode(entry, run, keys, outcome, options, deps, warnings, meter).then((failure) => {
      running.delete(promise);
      if (failure === 'ran' || failure === 'restored') {
        outcome.set(entry.node.id, 'done');
        (failure === 'ran' ? ran : restored).push(run);
      } else {
        outcome.set(entry.node.id, 'failed');
        failed.push({ ...run, error: failure.message, ...(failure.environment ? { environment: true } : {}) });
        if (failure.environment) environmentFailures.add(entry.node.id);
        // A feed item's own failure (a broken image, a dead link) is that item's: the others go on. A failure of
        // the machine or the repository stops the build, as any other failure does.
        if (!options.keepGoing && !(entry.node.fromList && !failure.environment)) stopping = true;
      }
    });
    running.add(promise);
  };

  for (;;) {
    if (options.signal?.aborted) stopping = true;
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const entry of [...pending]) {
        if (stopping) break;
        if (running.size >= options.jobs) break;
        const ready = readiness(entry);
        if (ready === 'wait') continue;
        if (ready === 'go') launch(entry);
        else block(entry, ready);
        progressed = true;
      }
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  for (const entry of [...pending]) {
    block(entry, options.signal?.aborted ? 'the build was interrupted' : 'the build stopped after a failure (use --keep-going to build everything else)');
  }
  return finish();
}

async function executeNode(
  entry: PlannedNode,
  run: PlannedRun,
  keys: Map<string, string>,
  outcome: ReadonlyMap<string, Outcome>,
  options: ScheduleOptions,
  deps: ScheduleDeps,
  warnings: Array<{ id: string; message: string }>,
  meter: ResourceMeter,
): Promise<'ran' | 'restored' | { message: string; environment: boolean }> {
  const started = Date.now();
  const { node } = entry;
  const ref = { id: node.id, rule: node.rule.name, item: node.item };
  deps.emit({ type: 'node-start', node: run });
  let key = entry.key;
  let parts = entry.parts;
  let upstreamNodes: readonly BuildNode[] = node.upstream;
  const uncovered = (u: BuildNode): boolean => outcome.get(u.id) === 'failed' || outcome.get(u.id) === 'blocked' || outcome.get(u.id) === 'skipped';
  if (node.aggregate && node.upstream.some(uncovered)) {
    // Key the aggregate on what it really covers, so the next run redoes it once the failures are fixed (or the
    // skipped nodes run).
    upstreamNodes = node.upstream.filter((u) => !uncovered(u));
    parts = { ...entry.parts, upstream: upstreamDigest(upstreamNodes.map((u) => [u.id, keys.get(u.id) ?? ''] as const)) };
    key = nodeKey(node.rule.name, parts);
  }
  const staging = createStaging(deps.settings.work, node.id, node.outputs);
  const inputs: Record<string, string | undefined> = {};
  for (const input of node.inputs) inputs[input.name] = entry.parts.inputs[input.name] === null ? undefined : input.path;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (options.cancel?.aborted) controller.abort();
  options.cancel?.addEventListener('abort', onAbort);
  const log = deps.logs?.open(node.id);
  const record = new NodeRun({ ...ref, why: run.why }, node.inputs.filter((i) => inputs[i.name] !== undefined).map((i) => i.path), meter, deps.history);
  const ctx: RunContext = {
    id: node.id,
    rule: node.rule.name,
    item: node.item,
    key,
    wildcards: node.wildcards,
    inputs,
    outputs: staging.paths,
    params: node.params,
    data: node.data,
    file: node.file,
    settings: deps.settings,
    repository: deps.repository,
    upstream: (rule) => {
      const views = upstreamNodes.filter((u) => u.rule.name === rule).map((u) => upstreamView(u, deps.state, keys));
      for (const view of views) record.readFiles(Object.values(view.files).flat());
      return views;
    },
    status: (step) => {
      record.step(step);
      log?.add('status', step);
      deps.emit({ type: 'node-status', node: ref, step });
    },
    log: (message) => {
      log?.add('log', message);
      deps.emit({ type: 'node-log', node: ref, level: 'info', message });
    },
    warn: (message) => {
      log?.add('warn', message);
      warnings.push({ id: node.id, message });
      deps.emit({ type: 'node-log', node: ref, level: 'warn', message });
    },
    signal: controller.signal,
  };
  // The remote cache is asked with the key the node runs with (an aggregate's, re-keyed above): a hit is restored
  // into the staging folder, checked file by file, and committed like a run's outputs.
  const remote = deps.remote !== undefined && isCacheable(node.rule) ? deps.remote : undefined;
  const address = remote ? cacheAddress(key, node, deps.settings) : undefined;
  try {
    if (remote && address) {
      const restored = await restoreFromRemote(remote, address, staging, entry, ctx, record);
      if (restored !== undefined) {
        const previous = deps.state.get(node.id);
        if (previous !== undefined) deps.state.record(node.id, null);
        commitStaging(staging, node.outputs);
        deps.state.record(node.id, { key, parts: recordedParts(node, parts, upstreamNodes, keys), outputs: restored.records, builtAt: new Date().toISOString() });
        keys.set(node.id, key);
        log?.add('status', `restored from the remote cache ${remote.description}`);
        writeLog(log, 'done', (message) => deps.emit({ type: 'node-log', node: ref, level: 'warn', message }));
        record.finish('done', restored.bytes);
        deps.emit({ type: 'node-done', node: run, ms: Date.now() - started, restored: true });
        return 'restored';
      }
      // A failed restore may have left files: the run starts from an empty staging folder.
      resetStaging(staging, node.outputs);
    }
    if (node.rule.run) await node.rule.run(ctx);
    else await runCommand(node.rule.command!(ctx), ctx, (usage) => record.command(usage));
    const described = describeStagedOutputs(staging, node.outputs);
    const outputs = node.rule.alwaysRun !== undefined ? keepUnchangedFiles(staging, node.outputs, described) : described;
    const previous = deps.state.get(node.id);
    if (node.rule.alwaysRun !== undefined && previous?.key === key && sameOutputs(previous.outputs, outputs)) {
      // A node that runs every build and wrote what was there (a feed read again): its record stands as it is,
      // so the build state, and a remembered no-op resting on it, stay unchanged.
      commitStaging(staging, node.outputs);
    } else {
      // The old record goes first: a kill between the swap and the new record must not leave a record that
      // describes outputs no longer there (the next run would still notice, but the cache must never claim it).
      if (previous !== undefined) deps.state.record(node.id, null);
      commitStaging(staging, node.outputs);
      deps.state.record(node.id, { key, parts: recordedParts(node, parts, upstreamNodes, keys), outputs, builtAt: new Date().toISOString() });
    }
    keys.set(node.id, key);
    if (remote && address) await storeInRemote(remote, address, node, key, outputs, warnings.filter((w) => w.id === node.id).map((w) => w.message), ctx);
    writeLog(log, 'done', (message) => deps.emit({ type: 'node-log', node: ref, level: 'warn', message }));
    record.finish('done', outputs.reduce((sum, file) => sum + file[2], 0));
    deps.emit({ type: 'node-done', node: run, ms: Date.now() - started });
    return 'ran';
  } catch (error) {
    discardStaging(staging);
    const file = node.inputs.find((i) => !i.optional)?.path;
    const message = `${node.id}: ${describeError(error, deps.settings.projectDir)}${file ? ` [input: ${quoteName(path.relative(deps.settings.projectDir, file) || file)}]` : ''}`;
    log?.add('error', message);
    // A programming error's stack says where it came from; a failure meant for the user needs none.
    if (isUnexpected(error) && error.stack) log?.add('error', error.stack);
    writeLog(log, 'failed', (message) => deps.emit({ type: 'node-log', node: ref, level: 'warn', message }));
    record.finish('failed', 0, message);
    deps.emit({ type: 'node-failed', node: run, error: message, ms: Date.now() - started });
    const environment = (error instanceof ImgbuildError && error.kind === 'environment') || environmentErrorOf(error) !== undefined;
    return { message, environment };
  } finally {
    options.cancel?.removeEventListener('abort', onAbort);
  }
}

/** The key parts kept for a node: an aggregate unaffected by removed upstream also notes what it covered. */
function recordedParts(node: BuildNode, parts: KeyParts, upstreamNodes: readonly BuildNode[], keys: ReadonlyMap<string, string>): KeyParts {
  return node.aggregate && node.rule.unaffectedByRemovedUpstream ? { ...parts, covered: upstreamNodes.map((u) => [u.id, keys.get(u.id) ?? ''] as const) } : parts;
}

/**
 * The node's outputs from the remote cache, restored into `staging` and checked; undefined when there is no usable
 * entry (a miss; a damaged or unreachable cache is told as a warning and the node runs).
 */
async function restoreFromRemote(
  remote: NodeOutputCache,
  address: string,
  staging: ReturnType<typeof createStaging>,
  entry: PlannedNode,
  ctx: RunContext,
  record: NodeRun,
): Promise<{ records: OutputFileRecord[]; bytes: number } | undefined> {
  try {
    const found = await remote.lookup(address);
    if (found.kind === 'miss') return undefined;
    if (found.kind === 'unusable') {
      ctx.warn(`the remote cache's entry for this node is unusable (${found.why}): running it`);
      return undefined;
    }
    ctx.status('restoring from the remote cache');
    record.step('restoring from the remote cache');
    const restored = await remote.restore(found.entry, staging, entry.node.outputs);
    if (!restored.ok) {
      ctx.warn(`the remote cache's entry for this node is damaged (${restored.why}): not restored, running it`);
      return undefined;
    }
    // What the run that made these outputs warned about holds for them still.
    for (const message of found.entry.warnings ?? []) ctx.warn(message);
    return restored;
  } catch (error) {
    ctx.warn(`could not read the remote cache ${remote.description} (${describeError(error)}): running the node`);
    return undefined;
  }
}

/** Store a node's outputs in the remote cache. Failing to is a warning: the node itself succeeded. */
async function storeInRemote(remote: NodeOutputCache, address: string, node: BuildNode, key: string, records: readonly OutputFileRecord[], warned: readonly string[], ctx: RunContext): Promise<void> {
  const roots = new Map(node.outputs.map((o) => [o.name, o.path]));
  const files: StoredFile[] = records.map(([output, relative, size, , hash]) => {
    const root = roots.get(output)!;
    return { path: relative === '' ? root : path.join(root, ...relative.split('/')), output, relative, size, hash };
  });
  try {
    await remote.put(address, { key, rule: node.rule.name, item: node.item, outputs: node.outputs, warnings: warned }, files);
  } catch (error) {
    ctx.warn(`could not store the outputs in the remote cache ${remote.description}: ${describeError(error)}`);
  }
}

/** A dry run says which stale nodes the remote cache would answer (their keys are known before anything runs). */
async function markRestorable(stale: readonly PlannedNode[], runs: Map<string, PlannedRun>, deps: ScheduleDeps): Promise<void> {
  const remote = deps.remote!;
  const asked = stale.filter((p) => isCacheable(p.node.rule));
  await forEachLimited(asked, 16, async (entry) => {
    try {
      const found = await remote.lookup(cacheAddress(entry.key, entry.node, deps.settings));
      if (found.kind === 'hit') runs.set(entry.node.id, { ...runs.get(entry.node.id)!, restore: true });
    } catch (error) {
      // A dry run says what it can know: an unreachable cache means "would run", said once.
      deps.emit({ type: 'note', message: `could not read the remote cache ${remote.description}: ${describeError(error)}` });
    }
  });
}

function sameOutputs(a: readonly (readonly unknown[])[], b: readonly (readonly unknown[])[]): boolean {
  return a.length === b.length && a.every((record, i) => record.length === b[i]!.length && record.every((v, j) => v === b[i]![j]));
}

/** A node's log is a courtesy: failing to keep it (a full disk) must not fail the node, only be said. */
function writeLog(log: NodeLog | undefined, outcome: 'done' | 'failed', warn: (message: string) => void): void {
  try {
    log?.write(outcome);
  } catch (error) {
    warn(`could not keep the node log: ${describeError(error)}`);
  }
}

function upstreamView(node: BuildNode, state: BuildState, keys: ReadonlyMap<string, string>): UpstreamView {
  const record = state.get(node.id);
  const outputs: Record<string, string> = {};
  const files: Record<string, BuiltFile[]> = {};
  for (const output of node.outputs) {
    outputs[output.name] = output.path;
    files[output.name] = [];
  }
  for (const [name, relative, size, , hash] of record?.outputs ?? []) {
    const root = outputs[name];
    if (root === undefined) continue;
    files[name]!.push({ path: relative === '' ? root : path.join(root, relative), relative, size, hash });
  }
  return {
    id: node.id,
    rule: node.rule.name,
    item: node.item,
    key: keys.get(node.id) ?? record?.key ?? '',
    outputs,
    files,
    published: node.rule.publish ?? [],
    ...(node.data !== undefined ? { data: node.data } : {}),
  };
}
