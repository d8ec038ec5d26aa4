// The rule API: what a user (or a built-in rule in rules/) declares. A rule expands into nodes: one per
// matching file (`forEach: { files }`), one per node of another rule (`forEach: 'rule'`), one aggregate node
// over all nodes of another rule (`aggregate: 'rule'`), or a single node (neither).
import { ImgbuildError } from '../errors.js';
import type { Repository } from '../repo/repository.js';
import type { Settings } from '../config/settings.js';
import { paramProblem, type ParamTypes } from './param-types.js';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type Params = { readonly [key: string]: Json };

/** One matched file, as a `group` function sees it. */
export interface FileMatch {
  /** Path relative to the source folder, forward slashes. */
  readonly relative: string;
  readonly wildcards: Readonly<Record<string, string>>;
}

/** Which group a matched file belongs to (`id` becomes the node's item), or why it cannot be an input. */
export type FileGroup = { readonly id: string; readonly wildcards?: Readonly<Record<string, string>> } | { readonly problem: string };

/**
 * Files in a folder: `in` is `'incoming'` (the default), `'work'`, or a folder relative to the project.
 * `files` is a pattern, or several (a file matching any of them is taken once, by the first that matches); a
 * pattern written with a leading '!' ('!{id}.wcs.fits') takes nothing and keeps what it matches out of all of them.
 */
export interface FileSource {
  readonly files: string | readonly string[];
  readonly in?: string;
  /**
   * Several files make one node: the files an observatory writes for one exposure (its header, FITS and
   * JPEGs). Called for every matched file; the node's `files` are its group's members, sorted. A `problem`
   * rejects that file alone (its own error, told once), never the group.
   */
  readonly group?: (match: FileMatch) => FileGroup;
}

/** A source's patterns as a list. */
export function sourcePatterns(source: FileSource): readonly string[] {
  return typeof source.files === 'string' ? [source.files] : source.files;
}

/** What a node is made from, as the input and output templates see it. */
export interface NodeIdentity {
  /** `{id}` of the node's files (sanitised), or its other wildcards joined; '' for aggregate/single nodes. */
  readonly item: string;
  readonly wildcards: Readonly<Record<string, string>>;
  /** The matched file, absolute, for nodes made from files (a group's first member). */
  readonly file?: string;
  /** A group's members, absolute and sorted (see FileSource.group); undefined for other nodes. */
  readonly files?: readonly string[];
  /** For a node made from an item of a produced list (docs/seams.md §3): that item's data. */
  readonly data?: Json;
  /**
   * True when `file` is an upstream node's output (a fetched image, rule.asFile), not a source file: it does not
   * exist before the build runs, so it is no input (its upstream key covers it); read it from RunContext.file.
   */
  readonly fileIsBuilt?: boolean;
  readonly settings: Settings;
}

/** An input file that may legitimately be absent (a sidecar); its absence is part of the node's key. */
export interface OptionalInput {
  readonly path: string;
  readonly optional: true;
}

export type InputSpec = string | OptionalInput;

export function optionalInput(path: string): OptionalInput {
  return { path, optional: true };
}

/** One file an upstream node produced, as downstream nodes (and publishing) see it. */
export interface BuiltFile {
  /** Absolute path in the work area. */
  readonly path: string;
  /** Path relative to the output it belongs to ('' when the output is a single file). */
  readonly relative: string;
  readonly size: number;
  readonly hash: string;
}

export interface UpstreamView {
  readonly id: string;
  readonly rule: string;
  readonly item: string;
  readonly key: string;
  /** Output name → absolute path in the work area. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Output name → the files it holds (a folder output holds many). */
  readonly files: Readonly<Record<string, readonly BuiltFile[]>>;
  /** Which of its outputs its rule says go into the item's published data set, and where. */
  readonly published: readonly PublishedOutput[];
  /** Its item's data, for a node made from a produced list's item. */
  readonly data?: Json;
}

/**
 * An output that goes into the item's published data set (docs/seams.md §5): a folder output's files go under
 * `as` (a folder ending in '/', or '' for the data set's top), a file output becomes the file `as` (or keeps its
 * name under `as` when that ends in '/'). Publishing rules gather every upstream output so marked.
 */
export interface PublishedOutput {
  readonly output: string;
  readonly as: string;
}

export interface RunContext<P extends Params = Params> {
  readonly id: string;
  readonly rule: string;
  readonly item: string;
  readonly key: string;
  readonly wildcards: Readonly<Record<string, string>>;
  /** Input name → absolute path (undefined for an optional input that is absent). */
  readonly inputs: Readonly<Record<string, string | undefined>>;
  /** Output name → absolute path to write to. These are staging paths: the engine moves them into place. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly params: P;
  /** For a node made from an item of a produced list: the item's data (part of the node's key). */
  readonly data: Json | undefined;
  /** The file the node was made from (NodeIdentity.file), absolute; undefined for aggregate and single nodes. */
  readonly file: string | undefined;
  readonly settings: Settings;
  readonly repository: Repository;
  /** Upstream nodes of the named rule (all of them for an aggregate node). */
  upstream(rule: string): UpstreamView[];
  /** A progress step (tom_education's status): shown on the terminal and in events. */
  status(step: string): void;
  log(message: string): void;
  warn(message: string): void;
  readonly signal: AbortSignal;
}

/**
 * A skip with a kind (`awaiting-review`) as well as its reason in words: the build's summary counts each kind and
 * says what to do about it (a plain string is kind 'skipped').
 */
export interface SkipVerdict {
  readonly why: string;
  readonly kind?: string;
}

export interface CheckContext {
  readonly id: string;
  readonly item: string;
  readonly key: string;
  /** The node's parameters (a check may need them to know where its outputs went). */
  readonly params: Params;
  /** For a node made from an item of a produced list: the item's data. */
  readonly data?: Json;
  readonly settings: Settings;
  readonly repository: Repository;
}

export interface RuleDefinition<P extends Params = Params> {
  readonly name: string;
  /** Bump when the rule's code changes what it writes: every node of the rule reruns. */
  readonly version: number | string;
  readonly description?: string;
  readonly forEach?: FileSource | string;
  readonly aggregate?: string;
  /**
   * With `forEach: 'rule'`: make nodes only for the upstream nodes this accepts (the catalog takes regular
   * exposures, not info images). Decided from the graph alone, before anything runs.
   */
  readonly onlyFor?: (upstream: { readonly item: string; readonly wildcards: Readonly<Record<string, string>> }) => boolean;
  /**
   * Other rules this one needs, joined on the same item (their outputs are ready when this node runs). A rule
   * with `onlyFor` is joined only on the items it has nodes for (tiles joins fits-picture for FITS items only).
   * For an aggregate: every node of each named rule, besides its aggregate's.
   */
  readonly after?: readonly string[];
  readonly inputs?: (node: NodeIdentity) => Readonly<Record<string, InputSpec>>;
  /** Output name → path relative to the work folder; a trailing '/' makes it a folder output. */
  readonly outputs?: (node: NodeIdentity) => Readonly<Record<string, string>>;
  /** Parameters that determine the outputs; config `params.<rule>` overrides them. */
  readonly params?: P | ((settings: Settings) => P);
  /**
   * Declared type and range of each parameter (`{ pngCompression: { type: 'integer', min: 0, max: 9 } }`):
   * config values are checked against it when the config is read.
   */
  readonly paramTypes?: ParamTypes;
  /** Versions of the programs that make the bytes (e.g. sharp and libvips); part of the key. */
  readonly tools?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** State outside the work area (a repository): return why the node is stale, or undefined if done. */
  readonly check?: (ctx: CheckContext) => Promise<string | undefined> | string | undefined;
  /**
   * Promise that `check` reads nothing but `ctx.repository.get`: then a no-op can be remembered by the stat
   * of the repository files it read, when the repository is a local folder. Without it, a rule with a check
   * makes every no-op plan in full.
   */
  readonly checkReadsOnlyRepository?: boolean;
  /**
   * Whether a node that would run must not run at all (a `skip.flag`, a reviewer's rejection): return the
   * reason, or undefined. Asked only of nodes that are stale, so a no-op never pays for it. What depends on a
   * skipped node is skipped too.
   */
  readonly skip?: (ctx: CheckContext) => Promise<string | SkipVerdict | undefined> | string | SkipVerdict | undefined;
  /**
   * A setting the rule cannot run without, checked when the build is planned (dry runs included) for every
   * rule with nodes in the selected targets: return what is missing and where to set it, or undefined. A
   * real run stops before any node starts, so a missing setting never surfaces halfway through a build.
   */
  readonly requires?: (settings: Settings) => string | undefined;
  /**
   * For an aggregate: its output does not depend on which upstream nodes exist, only on what they did (the root
   * index lists the repository, where a data set whose input was removed stays published). A long-lived session
   * then does not rerun it when upstream nodes only went away; it re-keys its record instead.
   */
  readonly unaffectedByRemovedUpstream?: boolean;
  /**
   * The rule's node lists items (docs/seams.md §3, Snakemake's checkpoints): its output `items` is an item
   * list (src/graph/item-list.ts), and rules with `forEach: 'this-rule'` get one node per listed item, expanded
   * once it has run — in the same build. Such a rule makes one node (no forEach, no aggregate), and runs before
   * everything else the build selected; it must write nothing but its outputs (a dry run runs it too, into a
   * scratch folder, to show what its items would make).
   */
  readonly produces?: 'items';
  /**
   * Why the node must run on every build, in words (a feed is read each time: what it says has no stamp). Its
   * output keeps its old file when the bytes are the same, so that what depends on it stays up to date.
   */
  readonly alwaysRun?: string;
  /**
   * With `forEach` over a producer: the output that downstream rules take as the node's file (a fetched image
   * becomes the file its item is made from, as an incoming file would be).
   */
  readonly asFile?: string;
  /**
   * Whether a node's outputs may be stored in, and restored from, a shared remote cache (`--remote-cache`,
   * docs/seams.md §4). Say `false` for a rule whose run acts outside the work folder (publishing, indexing) or
   * reads what its key cannot see. Default: true, except for rules that publish, run every build (`alwaysRun`)
   * or list items (`produces`): their outputs are about the world outside, not only their inputs.
   */
  readonly cache?: boolean;
  /**
   * Environment variables the run reads (a program's options, a licence server): their values become part of the
   * node's key, so that another value reruns the node here and a remote cache never answers for the wrong one.
   */
  readonly env?: readonly string[];
  /** True for rules that write to the data repository: `imgbuild process` builds everything else. */
  readonly publishes?: boolean;
  /** Outputs of this rule that belong in the item's published data set, and where they go. */
  readonly publish?: readonly PublishedOutput[];
  /** The work, in-process. */
  readonly run?: (ctx: RunContext<P>) => Promise<void> | void;
  /** Or: a program to run, as an argument vector (each element is passed as one argument, never re-split). */
  readonly command?: (ctx: RunContext<P>) => readonly string[];
}

export type Rule = RuleDefinition<Params> & { readonly __rule: true };

/** Whether a rule's outputs may go to and come from a remote cache (RuleDefinition.cache). */
export function isCacheable(rule: Pick<RuleDefinition, 'cache' | 'publishes' | 'alwaysRun' | 'produces'>): boolean {
  return rule.cache ?? !(rule.publishes === true || rule.alwaysRun !== undefined || rule.produces !== undefined);
}

export class RuleError extends ImgbuildError {
  override readonly name = 'RuleError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('config', message, options);
  }
}

const RULE_NAME = /^[a-z][a-z0-9-]*$/;
const RESERVED_TARGETS = new Set(['all', 'help']);

/** Declare a rule. Checks its shape at once, so a mistake is reported where the rule is written. */
export function defineRule<P extends Params>(definition: RuleDefinition<P>): Rule {
  const where = `rule ${JSON.stringify(definition.name)}`;
  if (!RULE_NAME.test(definition.name) || RESERVED_TARGETS.has(definition.name)) {
    throw new RuleError(`${where}: a rule name is lower-case letters, digits and dashes, and not 'all' or 'help'`);
  }
  if (definition.forEach !== undefined && definition.aggregate !== undefined) {
    throw new RuleError(`${where}: give forEach or aggregate, not both`);
  }
  if (definition.produces !== undefined && (definition.produces !== 'items' || definition.forEach !== undefined || definition.aggregate !== undefined)) {
    throw new RuleError(`${where}: produces: 'items' makes one node that lists items; it takes no forEach or aggregate`);
  }
  if (definition.onlyFor !== undefined && typeof definition.forEach !== 'string') {
    throw new RuleError(`${where}: onlyFor chooses among another rule's nodes; it needs forEach: 'that-rule'`);
  }
  if ((definition.run === undefined) === (definition.command === undefined)) {
    throw new RuleError(`${where}: give exactly one of run (a function) or command (an argument vector)`);
  }
  for (const entry of definition.publish ?? []) {
    if (
      typeof entry?.output !== 'string' ||
      entry.output === '' ||
      typeof entry.as !== 'string' ||
      entry.as.startsWith('/') ||
      entry.as.includes('\\') ||
      entry.as.replace(/\/$/, '').split('/').some((part, _i, parts) => part === '..' || part === '.' || (part === '' && parts.length > 1))
    ) {
      throw new RuleError(`${where}: each publish entry is { output: 'name', as: 'path in the data set' } with a relative path (no '..'), not ${JSON.stringify(entry)}`);
    }
  }
  if (definition.env !== undefined && (!Array.isArray(definition.env) || definition.env.some((name) => typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)))) {
    throw new RuleError(`${where}: env is a list of environment variable names (letters, digits, '_'), not ${JSON.stringify(definition.env)}`);
  }
  if (typeof definition.version !== 'number' && typeof definition.version !== 'string') {
    throw new RuleError(`${where}: version must be a number or a string`);
  }
  if (definition.paramTypes !== undefined && definition.params !== undefined && typeof definition.params !== 'function') {
    const problem = paramProblem(definition.name, definition.paramTypes, definition.params);
    if (problem !== undefined) throw new RuleError(`${where}: its own default breaks its paramTypes: ${problem}`);
  }
  return { ...(definition as unknown as RuleDefinition<Params>), __rule: true };
}
