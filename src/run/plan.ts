// Which nodes are stale, and why. The dry run prints this plan; the real run executes exactly this plan,
// so the two cannot disagree.
import fs from 'node:fs';
import path from 'node:path';
import type { BuildState, NodeRecord } from '../cache/build-state.js';
import { type FileHasher, hashFileContents, type Digest } from '../cache/file-hasher.js';
import { canonicalJson, keyParts, nodeKey, upstreamDigest, ruleKeyParts, type KeyParts, type NodeKey, type RuleKeyParts } from '../cache/node-key.js';
import { sha256 } from '../cache/file-hasher.js';
import type { BuildNode } from '../graph/build-graph.js';
import type { CheckContext, Json, Rule, SkipVerdict } from '../graph/rule.js';
import type { StaleReason } from './stale-reason.js';

export interface PlannedNode {
  readonly node: BuildNode;
  readonly key: NodeKey;
  readonly parts: KeyParts;
  /** Undefined when the node is up to date. */
  readonly reason: StaleReason | undefined;
  /** Set when the node would run but must not (its rule's `skip`, or an upstream node's). */
  readonly skipped?: string;
  /** What kind of skip, when the rule said (`awaiting-review`): summaries count them; 'skipped' otherwise. */
  readonly skipKind?: string;
}

export interface Plan {
  readonly nodes: readonly PlannedNode[];
  readonly byId: ReadonlyMap<string, PlannedNode>;
}

export type CheckContextFactory = (planned: { node: BuildNode; key: NodeKey }) => CheckContext;

/**
 * What a long-lived session (src/run/build-session.ts) knows from its last run, so that a replan after a few
 * changed files touches only what they reach: a node is taken as it was when it was fresh after the last run,
 * none of its inputs is among `changed`, and its upstream nodes are the same ones, all taken as they were.
 * Everything else is planned in full (hashes, output checks, repository checks).
 */
export interface PlanReuse {
  /** Nodes fresh after the last run, by id, as they were planned (reason undefined). */
  readonly fresh: ReadonlyMap<string, PlannedNode>;
  /** Paths that changed since (absolute). */
  readonly changed: ReadonlySet<string>;
}

/** The key part that holds a produced item's data (an input name no rule can give: names are identifiers). */
export const ITEM_INPUT = '@item';

/** How many external checks (repository lookups) run at once. */
const CHECK_CONCURRENCY = 16;

/** Per rule: its version, canonical params and tool versions, the same for all its nodes. */
function rulePartsOf(node: BuildNode, memo: Map<Rule, RuleKeyParts>): RuleKeyParts {
  let parts = memo.get(node.rule);
  if (!parts) {
    parts = ruleKeyParts(node.rule, node.params as Json);
    memo.set(node.rule, parts);
  }
  return parts;
}

function computeKey(
  node: BuildNode,
  hasher: FileHasher,
  upstreamKeys: ReadonlyArray<readonly [string, string]>,
  ruleMemo: Map<Rule, RuleKeyParts>,
): { key: NodeKey; parts: KeyParts; digests: Array<readonly [string, Digest | undefined]> } {
  const digests: Array<readonly [string, Digest | undefined]> = node.inputs.map((input) => [input.name, hasher.hash(input.path)] as const);
  // A node made from a produced list's item is keyed on its item alone, so one changed item reruns alone.
  if (node.data !== undefined) digests.push([ITEM_INPUT, sha256(canonicalJson(node.data)) as Digest]);
  const parts = keyParts(rulePartsOf(node, ruleMemo), digests, upstreamKeys);
  return { key: nodeKey(node.rule.name, parts), parts, digests };
}

export async function planBuild(
  nodes: readonly BuildNode[],
  state: BuildState,
  hasher: FileHasher,
  checkContext: CheckContextFactory,
  display: (file: string) => string,
  forced: ReadonlySet<string> = new Set(),
  reuse?: PlanReuse,
): Promise<Plan> {
  const byId = new Map<string, PlannedNode>();
  const planned: PlannedNode[] = [];
  const ruleMemo = new Map<Rule, RuleKeyParts>();
  const toCheck: number[] = [];

  const reused = new Set<string>();
  for (const node of nodes) {
    const before = reuse && !forced.has(node.id) ? reusable(node, reuse, reused) : undefined;
    if (before !== undefined) {
      // The same node object may be a new one (the graph was re-expanded): keep the entry, with this node.
      const entry: PlannedNode = before.node === node ? before : { ...before, node };
      reused.add(node.id);
      planned.push(entry);
      byId.set(node.id, entry);
      continue;
    }
    // An upstream node outside the selection (`reindex` plans the root index alone) keeps the key it was last
    // built with: the same key `all` computes while it is up to date, so the two targets do not undo each other.
    const upstreamKeys = node.upstream.map((u) => [u.id, byId.get(u.id)?.key ?? state.get(u.id)?.key ?? ''] as const);
    const { key, parts, digests } = computeKey(node, hasher, upstreamKeys, ruleMemo);
    let reason: StaleReason | undefined;
    const missing = node.inputs.find((input, i) => !input.optional && digests[i]![1] === undefined);
    if (missing) {
      reason = { kind: 'input-missing', name: missing.name, path: display(missing.path) };
    } else {
      const record = state.get(node.id);
      if (record !== undefined && record.key !== key && onlyRemovedUpstream(node, state.partsOf(node.id), parts, upstreamKeys)) {
        // The rule's output does not depend on which upstream nodes exist (the root index lists the repository),
        // and upstream nodes only went away: the record is re-keyed, not rebuilt.
        state.refresh(node.id, { ...record, key });
      }
      const current = state.get(node.id);
      // Such an aggregate over no upstream node at all has nothing of this build's to take in: whether its
      // output is there is its check's to say (a fresh machine does not rebuild a root index nothing changed).
      const nothingToTake = current === undefined && node.aggregate && node.rule.unaffectedByRemovedUpstream === true && node.upstream.length === 0 && node.rule.check !== undefined;
      reason = nothingToTake
        ? undefined
        : current === undefined
          ? node.listedBecause !== undefined
            ? { kind: 'listed', why: node.listedBecause }
            : { kind: 'never-built' }
          : current.key === key
            ? undefined
            : explainKeyChange(node, state.partsOf(node.id), parts, byId, display);
      if (reason === undefined && current !== undefined) reason = checkOutputs(node, current, state, display);
    }
    if (reason === undefined && forced.has(node.id)) reason = { kind: 'requested' };
    if (reason === undefined && node.rule.alwaysRun !== undefined) reason = { kind: 'external', detail: node.rule.alwaysRun };
    const entry: PlannedNode = { node, key, parts, reason };
    if (reason === undefined && node.rule.check) toCheck.push(planned.length);
    planned.push(entry);
    byId.set(node.id, entry);
  }

  // External state (the repository) is asked only about nodes that are otherwise up to date, concurrently.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toCheck.length) {
      const index = toCheck[next++]!;
      const entry = planned[index]!;
      const detail = await entry.node.rule.check!(checkContext(entry));
      if (detail !== undefined) {
        planned[index] = { ...entry, reason: { kind: 'external', detail } };
        byId.set(entry.node.id, planned[index]!);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, toCheck.length) }, worker));
  await applySkips(planned, byId, checkContext);
  const woken = wakeReadersOfExternalChanges(planned, byId);
  if (woken.size > 0) await applySkips(planned, byId, checkContext, woken);
  rekeyOverSkipped(planned, byId, state);
  return { nodes: planned, byId };
}

/**
 * An aggregate covers only the upstream nodes that are not skipped (a publish waiting for review, a rejection):
 * it is keyed on those, as the scheduler records it, so that once a skipped node runs (approved), the aggregate's
 * key changes and it runs too (the root index then lists the data set), and while nodes stay skipped a no-op
 * stays a no-op.
 */
function rekeyOverSkipped(planned: PlannedNode[], byId: Map<string, PlannedNode>, state: BuildState): void {
  for (let i = 0; i < planned.length; i++) {
    const entry = planned[i]!;
    if (!entry.node.aggregate || entry.skipped !== undefined) continue;
    const skipped = entry.node.upstream.filter((u) => byId.get(u.id)?.skipped !== undefined);
    if (skipped.length === 0) continue;
    const covered = entry.node.upstream.filter((u) => byId.get(u.id)?.skipped === undefined);
    const parts: KeyParts = { ...entry.parts, upstream: upstreamDigest(covered.map((u) => [u.id, byId.get(u.id)?.key ?? ''] as const)) };
    const key = nodeKey(entry.node.rule.name, parts);
    const recorded = state.get(entry.node.id)?.key;
    let reason = entry.reason;
    if (reason === undefined && recorded !== key) reason = { kind: 'upstream-changed', ids: skipped.map((u) => u.id) };
    else if (reason?.kind === 'upstream-changed' && recorded === key) reason = undefined;
    planned[i] = { ...entry, key, parts, reason };
    byId.set(entry.node.id, planned[i]!);
  }
}

/** An aggregate (unaffectedByRemovedUpstream) whose upstream is a subset, with the same keys, of what it covered. */
function onlyRemovedUpstream(node: BuildNode, before: KeyParts | undefined, parts: KeyParts, upstream: ReadonlyArray<readonly [string, string]>): boolean {
  if (!node.aggregate || !node.rule.unaffectedByRemovedUpstream || before?.covered === undefined) return false;
  if (before.version !== parts.version || before.params !== parts.params || before.tools !== parts.tools || before.env !== parts.env) return false;
  if (JSON.stringify(before.inputs) !== JSON.stringify(parts.inputs)) return false;
  const covered = new Map(before.covered);
  return upstream.length < covered.size && upstream.every(([id, key]) => covered.get(id) === key);
}

/** The entry a node had when it was last fresh, if nothing since can have changed it (see PlanReuse). */
function reusable(node: BuildNode, reuse: PlanReuse, reused: ReadonlySet<string>): PlannedNode | undefined {
  const before = reuse.fresh.get(node.id);
  if (before === undefined) return undefined;
  for (const input of node.inputs) if (reuse.changed.has(input.path)) return undefined;
  const was = before.node.upstream;
  if (was.length !== node.upstream.length) return undefined;
  for (let i = 0; i < was.length; i++) {
    const id = node.upstream[i]!.id;
    if (was[i]!.id !== id || !reused.has(id)) return undefined;
  }
  return before;
}

/**
 * A node whose upstream will run because of state outside the work folder (publish, when the repository holds
 * another version or lost the data set) must run too: it may read that state (the root index reads every
 * data set's WTML and publish time), and its key cannot show the change, as the upstream key stays the same.
 * Skipped upstream nodes change nothing. Topological order makes this transitive in one pass.
 */
function wakeReadersOfExternalChanges(planned: PlannedNode[], byId: Map<string, PlannedNode>): Set<number> {
  const woken = new Set<number>();
  for (let i = 0; i < planned.length; i++) {
    const entry = planned[i]!;
    if (entry.reason !== undefined || entry.node.upstream.length === 0) continue;
    const ids: string[] = [];
    for (const up of entry.node.upstream) {
      const upstream = byId.get(up.id);
      const kind = upstream?.skipped === undefined ? upstream?.reason?.kind : undefined;
      if (kind === 'external' || kind === 'upstream-external') ids.push(up.id);
    }
    if (ids.length === 0) continue;
    planned[i] = { ...entry, reason: { kind: 'upstream-external', ids } };
    byId.set(entry.node.id, planned[i]!);
    woken.add(i);
  }
  return woken;
}

/**
 * Ask `skip` of the stale nodes whose rule has one (only those in `only`, when given); skip them and every
 * non-aggregate node downstream.
 */
async function applySkips(planned: PlannedNode[], byId: Map<string, PlannedNode>, checkContext: CheckContextFactory, only?: ReadonlySet<number>): Promise<void> {
  const candidates = planned
    .map((p, i) => [p, i] as const)
    .filter(([p, i]) => p.reason !== undefined && p.node.rule.skip && (only === undefined || only.has(i)));
  const verdicts = new Map<string, SkipVerdict>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const [entry] = candidates[next++]!;
      const reason = await entry.node.rule.skip!(checkContext(entry));
      if (reason !== undefined) verdicts.set(entry.node.id, typeof reason === 'string' ? { why: reason } : reason);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, candidates.length) }, worker));
  if (verdicts.size === 0) return;
  // Topological order: a node's upstream verdicts are known when it is reached.
  for (let i = 0; i < planned.length; i++) {
    const entry = planned[i]!;
    let skipped = verdicts.get(entry.node.id);
    if (skipped === undefined && !entry.node.aggregate) {
      const up = entry.node.upstream.find((u) => byId.get(u.id)?.skipped !== undefined);
      if (up) skipped = { why: `${up.id} is skipped` };
    }
    if (skipped === undefined || entry.reason === undefined) continue;
    planned[i] = { ...entry, skipped: skipped.why, ...(skipped.kind !== undefined ? { skipKind: skipped.kind } : {}) };
    byId.set(entry.node.id, planned[i]!);
  }
}

/** Why a node whose key changed must run: the first part of the key that differs. */
function explainKeyChange(
  node: BuildNode,
  before: KeyParts | undefined,
  parts: KeyParts,
  byId: ReadonlyMap<string, PlannedNode>,
  display: (file: string) => string,
): StaleReason {
  if (before === undefined) return { kind: 'never-built' };
  if (before.version !== parts.version) return { kind: 'rule-version-changed', from: before.version, to: parts.version };
  if (before.inputs[ITEM_INPUT] !== parts.inputs[ITEM_INPUT]) return { kind: 'item-changed', why: node.listedBecause };
  for (const input of node.inputs) {
    const was = before.inputs[input.name];
    const now = parts.inputs[input.name];
    if (was === now) continue;
    if (was === undefined || was === null) return { kind: 'input-added', name: input.name, path: display(input.path) };
    if (now === null) return { kind: 'input-removed', name: input.name };
    return { kind: 'input-changed', name: input.name, path: display(input.path) };
  }
  if (before.params !== parts.params) return { kind: 'params-changed', names: changedNames(before.params, parts.params) };
  if (before.tools !== parts.tools) return { kind: 'tools-changed', names: changedNames(before.tools, parts.tools) };
  if (before.env !== parts.env) return { kind: 'env-changed', names: changedNames(before.env ?? '{}', parts.env ?? '{}') };
  if (before.upstream !== parts.upstream) {
    const ids = node.upstream.filter((u) => byId.get(u.id)?.reason !== undefined).map((u) => u.id);
    return { kind: 'upstream-changed', ids: ids.length > 0 ? ids : node.upstream.map((u) => u.id) };
  }
  return { kind: 'never-built' }; // only a key format change gets here
}

function changedNames(beforeJson: string, afterJson: string): string[] {
  const before = JSON.parse(beforeJson) as Record<string, unknown>;
  const after = JSON.parse(afterJson) as Record<string, unknown>;
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n]));
}

/**
 * A node is fresh only if every output it recorded is still there with the same contents. Size and mtime
 * settle it without reading; a touched file is hashed, and if its bytes are unchanged the record is
 * refreshed so the next run does not hash it again.
 */
function checkOutputs(node: BuildNode, record: NodeRecord, state: BuildState, display: (file: string) => string): StaleReason | undefined {
  // Plain loops over the one or two outputs a node has: this runs once per node on every no-op.
  for (const output of node.outputs) {
    if (!record.outputs.some((o) => o[0] === output.name)) return { kind: 'output-missing', path: display(output.path) };
  }
  let refreshed: NodeRecord | undefined;
  for (let i = 0; i < record.outputs.length; i++) {
    const [name, relative, size, mtimeMs, hash] = record.outputs[i]!;
    const root = node.outputs.find((o) => o.name === name)?.path;
    if (root === undefined) return { kind: 'output-missing', path: name };
    const file = relative === '' ? root : path.join(root, relative);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) return { kind: 'output-missing', path: display(file) };
    if (stat.size === size && stat.mtimeMs === mtimeMs) continue;
    if (stat.size !== size || !stat.isFile() || hashFileContents(file) !== hash) return { kind: 'output-modified', path: display(file) };
    refreshed ??= { ...record, outputs: record.outputs.slice() };
    refreshed.outputs[i] = [name, relative, size, stat.mtimeMs, hash];
  }
  if (refreshed) state.refresh(node.id, refreshed);
  return undefined;
}
