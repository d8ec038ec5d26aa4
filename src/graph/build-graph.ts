// Rules → the DAG of nodes. Pure expansion: lists folders, reads no file contents.
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { quoteName } from '../quote-name.js';
import { ItemIdError, reservedIdReason, sanitizeItemId } from './item-id.js';
import { isInProgressName } from './in-progress-name.js';
import { compilePattern, type FolderStamp, globPattern, matchPattern, takenBy } from './pattern.js';
import { ItemListError, readItemList } from './item-list.js';
import { type FileSource, type Json, type NodeIdentity, type Params, type Rule, RuleError, sourcePatterns } from './rule.js';

export interface NodeInput {
  readonly name: string;
  readonly path: string;
  readonly optional: boolean;
}

export interface NodeOutput {
  readonly name: string;
  /** Absolute path in the work area. */
  readonly path: string;
  /** Relative to the work folder, forward slashes, without a trailing slash. */
  readonly relative: string;
  readonly folder: boolean;
}

export interface BuildNode {
  readonly id: string;
  readonly rule: Rule;
  readonly item: string;
  readonly wildcards: Readonly<Record<string, string>>;
  /** The file the node was made from (inherited along forEach chains); a group's first member. */
  readonly file: string | undefined;
  /** A group's members (FileSource.group), inherited along forEach chains. */
  readonly files?: readonly string[];
  readonly inputs: readonly NodeInput[];
  readonly outputs: readonly NodeOutput[];
  readonly upstream: readonly BuildNode[];
  readonly params: Params;
  readonly aggregate: boolean;
  /** For a node made from a produced list's item: the item's data (part of its key, not inherited). */
  readonly data?: Json;
  /**
   * For such a node: the producer whose list it came from. Not an upstream node (the list as a whole is not
   * part of its key, only its own item is), but selecting the node selects its producer.
   */
  readonly producer?: BuildNode;
  /** For such a node: why the producer listed its item (new, changed, …), for a plan's words. */
  readonly listedBecause?: string;
  /** Its file is an upstream node's output (rule.asFile), not a source file: see NodeIdentity.fileIsBuilt. */
  readonly fileIsBuilt?: boolean;
  /**
   * Its item came from a produced list (a feed), directly or along a forEach chain. Such an item failing is that
   * item's own problem: the build goes on with the others (and exits 1 at the end), as for a refused item.
   */
  readonly fromList?: boolean;
}

export interface BuildGraph {
  /** Every node, upstream before downstream. */
  readonly nodes: readonly BuildNode[];
  readonly byRule: ReadonlyMap<string, readonly BuildNode[]>;
  readonly rules: readonly Rule[];
  /** Every folder listed to find the nodes' files: the graph stays the same while none of them changes. */
  readonly listedFolders: readonly FolderStamp[];
  /**
   * Files a rule matched but cannot make a node of (an unusable file, a reserved or colliding id): each is
   * that file's own error, reported all at once, while every other file builds.
   */
  readonly rejected: readonly RejectedFile[];
  /** Files in the incoming folder that no rule takes (neither matched nor read as an input), as shown. */
  readonly unclaimed: readonly string[];
  /** The item lists read to expand rules over producers: the graph stays the same while none of them changes. */
  readonly lists: readonly string[];
  /** Rules over a producer whose list could not be read (a dry run whose producer did not run): not expanded. */
  readonly unread: ReadonlyArray<{ readonly rule: string; readonly producer: string; readonly why: string }>;
}

/** Where the list of each producer node is to be read (by node id): a path, or why it cannot be (not yet built). */
export type ProducedLists = ReadonlyMap<string, string | { readonly unread: string }>;

export interface RejectedFile {
  /** What the node would have been called (`place:<name>`), for reports. */
  readonly id: string;
  readonly rule: string;
  readonly file: string;
  /** One line: the file (quoted when needed), what is wrong and the fix. */
  readonly message: string;
}

/** `.`/`..` segments, doubled or back slashes: anything that needs path.resolve's full treatment. */
const UNCLEAN_PATH = /(^|\/)\.{1,2}(\/|$)|\/\/|\\/;

/**
 * path.resolve(root, spec) for `root` already absolute and normalised. Clean specs (the usual case, and
 * thousands per build) are joined by concatenation; anything else takes the exact slow path.
 */
function resolveUnder(root: string, spec: string): string {
  if (path.sep === '/' && spec !== '' && !UNCLEAN_PATH.test(spec)) {
    const trimmed = spec.endsWith('/') ? spec.slice(0, -1) : spec;
    if (trimmed.startsWith('/')) return trimmed;
    return root.endsWith('/') ? root + trimmed : `${root}/${trimmed}`;
  }
  return path.resolve(root, spec);
}

/** Rules in an order where every rule comes after the rules it depends on. */
function orderRules(rules: readonly Rule[]): Rule[] {
  const byName = new Map<string, Rule>();
  for (const rule of rules) {
    if (byName.has(rule.name)) throw new RuleError(`two rules are named ${JSON.stringify(rule.name)}`);
    byName.set(rule.name, rule);
  }
  const ordered: Rule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (rule: Rule, chain: string[]): void => {
    const seen = state.get(rule.name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new RuleError(`rules depend on each other in a cycle: ${[...chain, rule.name].join(' → ')}`);
    state.set(rule.name, 'visiting');
    for (const name of dependenciesOf(rule)) {
      const dependency = byName.get(name);
      if (!dependency) {
        throw new RuleError(`rule ${rule.name} depends on ${JSON.stringify(name)}, which no rule defines (rules: ${[...byName.keys()].join(', ')})`);
      }
      visit(dependency, [...chain, rule.name]);
    }
    state.set(rule.name, 'done');
    ordered.push(rule);
  };
  for (const rule of rules) visit(rule, []);
  return ordered;
}

function dependenciesOf(rule: Rule): string[] {
  const names = [...(rule.after ?? [])];
  if (typeof rule.forEach === 'string') names.unshift(rule.forEach);
  if (rule.aggregate !== undefined) names.unshift(rule.aggregate);
  return names;
}

export function resolveParams(rule: Rule, settings: Settings, overrides: Readonly<Record<string, Params>>): Params {
  const base = typeof rule.params === 'function' ? rule.params(settings) : (rule.params ?? {});
  const override = overrides[rule.name] ?? {};
  for (const key of Object.keys(override)) {
    if (!(key in base)) {
      throw new RuleError(`params.${rule.name}.${key} is set, but rule ${rule.name} has no parameter ${key} (it has: ${Object.keys(base).join(', ') || 'none'})`);
    }
  }
  return { ...base, ...override };
}

function sourceFolder(source: string | undefined, settings: Settings): string {
  if (source === undefined || source === 'incoming') return settings.incoming;
  if (source === 'work') return settings.work;
  return path.resolve(settings.projectDir, source);
}

interface Seed {
  item: string;
  /** The file as messages show it (relative to the project, quoted when needed). */
  shown?: string;
  wildcards: Record<string, string>;
  file?: string;
  files?: readonly string[];
  data?: Json;
  why?: string;
  producer?: BuildNode;
  fileIsBuilt?: boolean;
  fromList?: boolean;
  upstream: BuildNode[];
}

export function buildGraph(
  rules: readonly Rule[],
  settings: Settings,
  paramOverrides: Readonly<Record<string, Params>> = {},
  producedLists: ProducedLists = new Map(),
): BuildGraph {
  const ordered = orderRules(rules);
  for (const name of Object.keys(paramOverrides)) {
    if (!ordered.some((r) => r.name === name)) throw new RuleError(`params.${name} is set, but no rule is named ${name}`);
  }
  const byRule = new Map<string, BuildNode[]>();
  /** rule → item → node, for joining `after` rules on the item in O(1). */
  const byItem = new Map<string, Map<string, BuildNode>>();
  const nodes: BuildNode[] = [];
  const outputOwners = new Map<string, string>();
  const workRoot = path.resolve(settings.work);
  const listedFolders: FolderStamp[] = [];
  const rejected: RejectedFile[] = [];
  const lists: string[] = [];
  const unread: Array<{ rule: string; producer: string; why: string }> = [];
  const producers = new Set(ordered.filter((r) => r.produces === 'items').map((r) => r.name));
  for (const rule of ordered) {
    for (const name of rule.after ?? []) {
      if (producers.has(name)) throw new RuleError(`rule ${rule.name}: ${name} lists items; take them with forEach: '${name}', not after`);
    }
    if (rule.aggregate !== undefined && producers.has(rule.aggregate)) throw new RuleError(`rule ${rule.name}: ${rule.aggregate} lists items; take them with forEach: '${rule.aggregate}'`);
  }
  const toldLists = new Set<string>();

  for (const rule of ordered) {
    const params = resolveParams(rule, settings, paramOverrides);
    const seeds =
      typeof rule.forEach === 'string' && producers.has(rule.forEach)
        ? producedSeeds(rule, byRule.get(rule.forEach) ?? [], producedLists, { settings, lists, unread, rejected, told: toldLists })
        : seedsOf(rule, settings, byRule, listedFolders, rejected);
    const ruleNodes: BuildNode[] = [];
    const ruleItems = new Map<string, BuildNode>();
    const items = new Map<string, string>();
    // A partner rule that makes nodes only for some items (`onlyFor`: the FITS picture of FITS items) is joined
    // where it has a node; any other partner must have one for every item.
    const after = (rule.after ?? []).map((name) => [name, byItem.get(name), ordered.find((r) => r.name === name)?.onlyFor !== undefined] as const);
    for (const seed of seeds) {
      const id = seed.item === '' ? rule.name : `${rule.name}:${seed.item}`;
      const clash = items.get(id);
      if (clash !== undefined) {
        throw new RuleError(`${clash} and ${seed.shown ?? id} both become item ${JSON.stringify(seed.item)} of rule ${rule.name}; rename one of them`);
      }
      items.set(id, seed.shown ?? id);
      const identity: NodeIdentity = {
        item: seed.item,
        wildcards: seed.wildcards,
        settings,
        ...(seed.file ? { file: seed.file } : {}),
        ...(seed.files ? { files: seed.files } : {}),
        ...(seed.data !== undefined ? { data: seed.data } : {}),
        ...(seed.fileIsBuilt ? { fileIsBuilt: true } : {}),
      };
      const upstream = after.length > 0 ? [...seed.upstream] : seed.upstream;
      // An aggregate's `after` rules are waited for whole: every node of each (the review index waits for the tiles
      // and thumbnails its WTML entries point at).
      if (rule.aggregate !== undefined) for (const [name] of after) upstream.push(...(byRule.get(name) ?? []));
      for (const [name, partners, partial] of rule.aggregate !== undefined ? [] : after) {
        const partner = partners?.get(seed.item);
        if (!partner && partial) continue;
        if (!partner) throw new RuleError(`rule ${rule.name} needs ${name} for item ${JSON.stringify(seed.item)}, but ${name} has no node for it`);
        if (!upstream.includes(partner)) upstream.push(partner);
      }
      const inputs = Object.entries(rule.inputs?.(identity) ?? {}).map(([name, spec]) =>
        typeof spec === 'string'
          ? { name, path: resolveUnder(settings.projectDir, spec), optional: false }
          : { name, path: resolveUnder(settings.projectDir, spec.path), optional: true },
      );
      const outputs = Object.entries(rule.outputs?.(identity) ?? {}).map(([name, spec]) => {
        const folder = spec.endsWith('/');
        const absolute = resolveUnder(workRoot, spec);
        if (path.isAbsolute(spec) || !absolute.startsWith(workRoot + path.sep)) {
          throw new RuleError(`rule ${rule.name}: output ${name} (${spec}) must be a path inside the work folder`);
        }
        const relative = absolute.slice(workRoot.length + 1).split(path.sep).join('/');
        const owner = outputOwners.get(relative);
        if (owner) throw new RuleError(`${owner} and ${id} both write ${relative}`);
        outputOwners.set(relative, id);
        return { name, path: absolute, relative, folder };
      });
      if (rule.produces === 'items' && !outputs.some((o) => o.name === 'items' && !o.folder)) {
        throw new RuleError(`rule ${rule.name} produces items: it needs a file output named items (its item list)`);
      }
      // A fetched file becomes the file its item is made from, for the rules downstream (rule.asFile).
      const ownFile = rule.asFile === undefined ? undefined : outputs.find((o) => o.name === rule.asFile);
      if (rule.asFile !== undefined && (ownFile === undefined || ownFile.folder)) {
        throw new RuleError(`rule ${rule.name}: asFile names ${JSON.stringify(rule.asFile)}, which is not one of its file outputs`);
      }
      const node: BuildNode = {
        id,
        rule,
        item: seed.item,
        wildcards: seed.wildcards,
        file: ownFile?.path ?? seed.file,
        ...(seed.files ? { files: seed.files } : {}),
        inputs,
        outputs,
        upstream,
        params,
        aggregate: rule.aggregate !== undefined,
        ...(seed.data !== undefined ? { data: seed.data } : {}),
        ...(seed.producer ? { producer: seed.producer } : {}),
        ...(seed.why !== undefined ? { listedBecause: seed.why } : {}),
        ...(seed.fileIsBuilt ? { fileIsBuilt: true } : {}),
        ...(seed.fromList ? { fromList: true } : {}),
      };
      ruleNodes.push(node);
      ruleItems.set(node.item, node);
      nodes.push(node);
    }
    byRule.set(rule.name, ruleNodes);
    byItem.set(rule.name, ruleItems);
  }
  return { nodes, byRule, rules: ordered, listedFolders, rejected, unclaimed: unclaimedFiles(ordered, nodes, rejected, settings), lists, unread };
}

interface ProducedContext {
  readonly settings: Settings;
  readonly lists: string[];
  readonly unread: Array<{ rule: string; producer: string; why: string }>;
  readonly rejected: RejectedFile[];
  /** Producers whose refused items were already reported (once per build, not once per dependent rule). */
  readonly told: Set<string>;
}

/**
 * One seed per item a producer listed (docs/seams.md §3). An id that cannot be a folder name is refused here,
 * as a file's would be; an item the producer itself refused is reported as its own failure, once.
 */
function producedSeeds(rule: Rule, producers: readonly BuildNode[], where: ProducedLists, context: ProducedContext): Seed[] {
  const seeds: Seed[] = [];
  for (const producer of producers) {
    const output = producer.outputs.find((o) => o.name === 'items')!;
    const from = where.get(producer.id) ?? output.path;
    if (typeof from !== 'string') {
      context.unread.push({ rule: rule.name, producer: producer.id, why: from.unread });
      continue;
    }
    let list;
    try {
      list = readItemList(from);
    } catch (error) {
      if (!(error instanceof ItemListError)) throw error;
      throw new RuleError(`rule ${producer.rule.name} wrote a broken item list: ${error.message}`);
    }
    if (list === undefined) {
      context.unread.push({ rule: rule.name, producer: producer.id, why: `${producer.id} has not run yet` });
      continue;
    }
    if (!context.lists.includes(output.path)) context.lists.push(output.path);
    const report = !context.told.has(producer.id);
    context.told.add(producer.id);
    const refuse = (id: string, message: string): void => {
      if (report) context.rejected.push({ id: `${producer.rule.name}:${quoteName(id)}`, rule: producer.rule.name, file: output.path, message: `${producer.id}: item ${JSON.stringify(id)} ${message}` });
    };
    for (const refused of list.refused) refuse(refused.id, refused.problem);
    if (report) {
      (list.problems ?? []).forEach((problem, i) => context.rejected.push({ id: `${producer.id}#${i + 1}`, rule: producer.rule.name, file: output.path, message: `${producer.id}: ${problem}` }));
    }
    const seen = new Set<string>();
    for (const listed of list.items) {
      let item: string;
      try {
        item = sanitizeItemId(listed.id);
      } catch (error) {
        if (!(error instanceof ItemIdError)) throw error;
        refuse(listed.id, `${error.message}; it is left out`);
        continue;
      }
      if (item !== listed.id) {
        refuse(listed.id, `is not usable as a folder name (it would become ${JSON.stringify(item)}); it is left out`);
        continue;
      }
      const reserved = reservedIdReason(item);
      if (reserved !== undefined) {
        refuse(listed.id, `cannot be used: ${reserved}; it is left out`);
        continue;
      }
      if (seen.has(item)) {
        refuse(listed.id, 'is listed twice; it is left out');
        continue;
      }
      seen.add(item);
      seeds.push({ item, wildcards: { id: item }, data: listed.data, ...(listed.why !== undefined ? { why: listed.why } : {}), producer, fromList: true, upstream: [] });
    }
  }
  return seeds;
}

/** Shown path of a file: relative to the project, escaped. */
function shownPath(file: string, settings: Settings): string {
  return quoteName(path.relative(settings.projectDir, file) || file);
}

/**
 * Regular files at the top of the incoming folder that no rule matched and no node reads (so not a
 * `NAME.wcs.fits` sidecar read as an optional input): a `.webp` or `.gif` the user expects to see built.
 */
function unclaimedFiles(rules: readonly Rule[], nodes: readonly BuildNode[], rejected: readonly RejectedFile[], settings: Settings): string[] {
  const sources = rules
    .map((r) => r.forEach)
    .filter((f): f is FileSource => typeof f === 'object' && (f.in === undefined || f.in === 'incoming'))
    .map((f) => sourcePatterns(f).map(compilePattern));
  if (sources.length === 0) return [];
  const claimed = new Set<string>(rejected.map((r) => r.file));
  for (const node of nodes) for (const input of node.inputs) claimed.add(input.path);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(settings.incoming, { withFileTypes: true });
  } catch {
    return [];
  }
  const unclaimed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || isInProgressName(entry.name)) continue;
    const file = path.join(settings.incoming, entry.name);
    if (claimed.has(file) || sources.some((patterns) => takenBy(patterns, entry.name))) continue;
    unclaimed.push(shownPath(file, settings));
  }
  return unclaimed.sort();
}

function seedsOf(rule: Rule, settings: Settings, byRule: ReadonlyMap<string, readonly BuildNode[]>, listed: FolderStamp[], rejected: RejectedFile[]): Seed[] {
  const source = rule.forEach;
  if (rule.aggregate !== undefined) {
    return [{ item: '', wildcards: {}, upstream: [...(byRule.get(rule.aggregate) ?? [])] }];
  }
  if (source === undefined) return [{ item: '', wildcards: {}, upstream: [] }];
  if (typeof source === 'string') {
    return (byRule.get(source) ?? [])
      .filter((n) => rule.onlyFor?.(n) ?? true)
      .map((n) => ({
        item: n.item,
        wildcards: n.wildcards,
        upstream: [n],
        ...(n.file ? { file: n.file } : {}),
        ...(n.files ? { files: n.files } : {}),
        ...(n.fileIsBuilt || n.rule.asFile !== undefined ? { fileIsBuilt: true } : {}),
        ...(n.fromList ? { fromList: true } : {}),
      }));
  }
  const folder = sourceFolder(source.in, settings);
  const seeds: Seed[] = [];
  const reject = (file: string, name: string, why: string): void => {
    const shown = shownPath(file, settings);
    rejected.push({ id: `${rule.name}:${quoteName(name)}`, rule: rule.name, file, message: `${shown} ${why}` });
  };
  const taken = new Set<string>();
  const groups = new Map<string, Seed>();
  const patterns = sourcePatterns(source).map(compilePattern);
  const excluding = patterns.filter((p) => p.exclude);
  for (const pattern of patterns) for (const match of pattern.exclude ? [] : globPattern(folder, pattern, listed)) {
    if (taken.has(match.relative)) continue;
    taken.add(match.relative);
    if (excluding.some((p) => matchPattern(p, match.relative))) continue;
    const file = resolveUnder(folder, match.relative);
    const grouped = source.group && match.problem === undefined ? source.group(match) : undefined;
    const raw = grouped && 'id' in grouped ? grouped.id : (match.wildcards['id'] ?? Object.values(match.wildcards).join('-'));
    const problem = match.problem ?? (grouped && 'problem' in grouped ? grouped.problem : undefined);
    if (problem !== undefined) {
      reject(file, raw === '' ? match.relative : raw, problem);
      continue;
    }
    if (grouped && 'id' in grouped) {
      // Members join their group's seed; ids are checked once per group, below.
      const known = groups.get(grouped.id);
      if (known) (known.files as string[]).push(file);
      else {
        const seed: Seed = { item: grouped.id, wildcards: { ...(grouped.wildcards ?? {}) }, file, files: [file], shown: shownPath(file, settings), upstream: [] };
        groups.set(grouped.id, seed);
      }
      continue;
    }
    let item: string;
    try {
      item = sanitizeItemId(raw);
    } catch (error) {
      if (!(error instanceof ItemIdError)) throw error;
      reject(file, raw, `${error.message}; rename it`);
      continue;
    }
    const reserved = reservedIdReason(item);
    if (reserved !== undefined) {
      reject(file, item, `would become the id ${JSON.stringify(item)}, but ${reserved}; rename the file`);
      continue;
    }
    if (match.wildcards['id'] !== undefined && item !== raw) match.wildcards['id'] = item;
    seeds.push({ item, wildcards: match.wildcards, file, shown: shownPath(file, settings), upstream: [] });
  }
  for (const seed of groups.values()) {
    const files = [...seed.files!].sort();
    let item: string;
    try {
      item = sanitizeItemId(seed.item);
    } catch (error) {
      if (!(error instanceof ItemIdError)) throw error;
      for (const file of files) reject(file, seed.item, `${error.message}; rename it`);
      continue;
    }
    const reserved = reservedIdReason(item);
    if (reserved !== undefined) {
      for (const file of files) reject(file, item, `would become the id ${JSON.stringify(item)}, but ${reserved}; rename the file`);
      continue;
    }
    seeds.push({ ...seed, item, file: files[0]!, files, shown: shownPath(files[0]!, settings) });
  }
  // Files whose ids collide are all reported in this one build, each as its own error; none of them is
  // built (which one would win is not ours to guess), everything else is.
  const byItem = new Map<string, Seed[]>();
  for (const seed of seeds) byItem.set(seed.item, [...(byItem.get(seed.item) ?? []), seed]);
  const kept: Seed[] = [];
  for (const [item, group] of byItem) {
    if (group.length === 1) {
      kept.push(group[0]!);
      continue;
    }
    for (const seed of group) {
      const others = group.filter((g) => g !== seed).map((g) => g.shown!).join(', ');
      rejected.push({
        id: `${rule.name}:${item}`,
        rule: rule.name,
        file: seed.file!,
        message: `${seed.shown!} becomes id ${JSON.stringify(item)} of rule ${rule.name}, and so does ${others}; rename all but one of them`,
      });
    }
  }
  return kept;
}

/** The producers (`produces: 'items'`) rule `name` depends on, directly or through other rules. */
function producersOf(graph: BuildGraph, name: string): string[] {
  const byName = new Map(graph.rules.map((r) => [r.name, r]));
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (rule: string): void => {
    if (seen.has(rule)) return;
    seen.add(rule);
    const r = byName.get(rule);
    if (!r) return;
    if (r.produces === 'items') found.add(rule);
    for (const next of [...(typeof r.forEach === 'string' ? [r.forEach] : []), ...(r.aggregate !== undefined ? [r.aggregate] : []), ...(r.after ?? [])]) visit(next);
  };
  visit(name);
  return [...found];
}

export interface Selection {
  readonly nodes: BuildNode[];
  /** Nodes to run even when up to date (`reindex`). */
  readonly forced: ReadonlySet<string>;
}

/**
 * The nodes needed for `targets`: `all`; a rule name (its nodes and everything upstream); `process` (every
 * rule that does not write to the repository); `reindex` (the root index alone, rebuilt from the repository
 * whatever is built locally); `rule:item` (one node and what it needs). `publish` is the built-in rule of that name.
 */
export function selectTargets(graph: BuildGraph, targets: readonly string[]): Selection {
  const forced = new Set<string>();
  if (targets.length === 0 || targets.includes('all')) return { nodes: [...graph.nodes], forced };
  const wanted = new Set<BuildNode>();
  const add = (node: BuildNode): void => {
    if (wanted.has(node)) return;
    wanted.add(node);
    node.upstream.forEach(add);
    if (node.producer) add(node.producer);
  };
  for (const target of targets) {
    if (target === 'process') {
      for (const rule of graph.rules) if (!rule.publishes) graph.byRule.get(rule.name)?.forEach(add);
      continue;
    }
    if (target === 'reindex') {
      const index = graph.byRule.get('index');
      if (!index) throw new RuleError("'reindex' needs a rule named index (the built-in root index rule)");
      for (const node of index) {
        wanted.add(node);
        forced.add(node.id);
      }
      continue;
    }
    const colon = target.indexOf(':');
    const ruleName = colon < 0 ? target : target.slice(0, colon);
    const ruleNodes = graph.byRule.get(ruleName);
    if (!ruleNodes) {
      throw new UsageError(
        `unknown target ${JSON.stringify(target)}: use 'all', process, reindex or a rule name (${graph.rules.map((r) => r.name).join(', ')}), or rule:item for one node`,
      );
    }
    if (colon < 0) {
      ruleNodes.forEach(add);
      // A rule over a producer's items has nodes only once the producer has run: select the producer, and the
      // build selects the rule's nodes once they are expanded (docs/seams.md §3).
      for (const producer of producersOf(graph, ruleName)) graph.byRule.get(producer)?.forEach(add);
      continue;
    }
    // `rule:item` builds one node (and what it needs first).
    const node = ruleNodes.find((n) => n.id === target);
    if (!node) {
      const known = ruleNodes.map((n) => n.id);
      const shown = known.length > 10 ? `${known.slice(0, 10).join(', ')}, … (${known.length})` : known.join(', ') || 'none';
      throw new UsageError(`unknown target ${JSON.stringify(target)}: rule ${ruleName} has no such node (its nodes: ${shown})`);
    }
    add(node);
  }
  return { nodes: graph.nodes.filter((n) => wanted.has(n)), forced };
}
