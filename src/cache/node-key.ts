// A node's key: the hash of everything that determines its outputs. The key object is documented and its
// fields are in a fixed order, so the same inputs give the same key on every machine:
//
//   [KEY_FORMAT, rule name, rule version, params, tools, inputs, upstream(, env)]
//
// params   canonical JSON of the rule's resolved parameters (object keys sorted)
// tools    canonical JSON of the versions of the programs that make the bytes (sharp, libvips, ...)
// inputs   [[input name, sha256 of contents or null when an optional input is absent], ...] by name
// upstream sha256 over [[upstream node id, its key], ...] sorted by id
// env      canonical JSON of the environment variables the rule declares (`env`), name → value or null; only
//          for rules that declare some, so every other key is what it was before `env` existed
//
// Paths are deliberately not in the key: moving the incoming folder or renaming the work folder is cosmetic.
import { type Digest, sha256 } from './file-hasher.js';
import type { Json, Rule } from '../graph/rule.js';

export type NodeKey = string & { readonly __nodeKey: true };

const KEY_FORMAT = 'imgbuild-key-1';

/** The parts of a key, kept in the build record so that a changed key can be explained. */
export interface KeyParts {
  readonly version: string;
  readonly params: string;
  readonly tools: string;
  readonly inputs: Readonly<Record<string, string | null>>;
  readonly upstream: string;
  /** The declared environment variables' values (canonical JSON), for rules with `env`. */
  readonly env?: string;
  /**
   * Only for an aggregate whose rule says `unaffectedByRemovedUpstream`: the upstream nodes and keys it was
   * built over. Not part of the key: it lets a later plan see that upstream nodes only went away.
   */
  readonly covered?: ReadonlyArray<readonly [string, string]>;
}

export function canonicalJson(value: Json | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const object = value as { readonly [key: string]: Json };
  return `{${Object.keys(object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`)
    .join(',')}}`;
}

const NO_UPSTREAM = sha256('[]');

export function upstreamDigest(upstream: ReadonlyArray<readonly [string, string]>): string {
  if (upstream.length === 0) return NO_UPSTREAM;
  const sorted = [...upstream].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return sha256(JSON.stringify(sorted));
}

/** The parts every node of a rule shares; computed once per rule, not once per node. */
export interface RuleKeyParts {
  readonly version: string;
  readonly params: string;
  readonly tools: string;
  readonly env?: string;
}

/** A rule's version, its resolved parameters and the versions of its tools (asked of the rule here, once). */
export function ruleKeyParts(rule: Pick<Rule, 'version' | 'tools' | 'env'>, params: Json, environment: NodeJS.ProcessEnv = process.env): RuleKeyParts {
  const tools = typeof rule.tools === 'function' ? rule.tools() : (rule.tools ?? {});
  const parts = { version: String(rule.version), params: canonicalJson(params), tools: canonicalJson(tools as Json) };
  if (rule.env === undefined || rule.env.length === 0) return parts;
  const env: Record<string, string | null> = {};
  for (const name of rule.env) env[name] = environment[name] ?? null;
  return { ...parts, env: canonicalJson(env) };
}

export function keyParts(
  rule: RuleKeyParts,
  inputs: ReadonlyArray<readonly [string, Digest | undefined]>,
  upstream: ReadonlyArray<readonly [string, string]>,
): KeyParts {
  const inputMap: Record<string, string | null> = {};
  const sorted = inputs.length > 1 ? [...inputs].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : inputs;
  for (const [name, digest] of sorted) inputMap[name] = digest ?? null;
  return { version: rule.version, params: rule.params, tools: rule.tools, inputs: inputMap, upstream: upstreamDigest(upstream), ...(rule.env !== undefined ? { env: rule.env } : {}) };
}

export function nodeKey(rule: string, parts: KeyParts): NodeKey {
  return sha256(
    JSON.stringify([KEY_FORMAT, rule, parts.version, parts.params, parts.tools, Object.entries(parts.inputs), parts.upstream, ...(parts.env !== undefined ? [parts.env] : [])]),
  ) as string as NodeKey;
}
