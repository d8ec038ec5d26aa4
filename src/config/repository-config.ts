// Configuration kept in the data repository, so every machine that builds for it makes the same data sets:
//   toasty-pipeline-config.yaml    toasty's own, read as-is (publish_url_prefix, folder_name,
//                                  folder_thumbnail_url, source_type and its section)
//   imgbuild-pipeline-config.yaml  imgbuild's, beside it: the same three keys (they win over toasty's) and
//                                  `params`, per-rule parameter overrides such as tiles.pngCompression, and
//                                  `require_approval` (publish only what a reviewer approved)
// pipeline.config.ts and flags override both. A broken file is an error naming it: guessing would publish
// wrong URLs or different pixels.
import { type Params, type Rule, RuleError } from '../graph/rule.js';
import { resolveParams } from '../graph/build-graph.js';
import type { Repository } from '../repo/repository.js';
import { paramProblem } from '../graph/param-types.js';
import { ConfigError, paramsSourceOf } from './pipeline-config.js';
import type { Settings } from './settings.js';

export const TOASTY_CONFIG = 'toasty-pipeline-config.yaml';
export const IMGBUILD_REPOSITORY_CONFIG = 'imgbuild-pipeline-config.yaml';

export interface RepositoryDefaults {
  readonly publishUrlPrefix?: string;
  readonly folderName?: string;
  readonly folderThumbnailUrl?: string;
  /** toasty's feed settings (source_type and its section), kept for the feed rules. */
  readonly sourceType?: string;
  readonly source?: Readonly<Record<string, unknown>>;
  /** require_approval from imgbuild-pipeline-config.yaml. */
  readonly requireApproval?: boolean;
  /** Rule parameters from imgbuild-pipeline-config.yaml, checked against the rules by ruleParams(). */
  readonly params?: Readonly<Record<string, Params>>;
  /** Where the settings came from, for messages. */
  readonly description?: string;
}

const IMGBUILD_KEYS = ['publish_url_prefix', 'folder_name', 'folder_thumbnail_url', 'params', 'require_approval'];

async function readYamlMapping(repository: Repository, name: string): Promise<Record<string, unknown> | undefined> {
  const bytes = await repository.get(name);
  if (bytes === undefined) return undefined;
  // Loaded only when a file exists: the YAML parser costs a no-op build ~15 ms of start-up.
  const YAML = (await import('yaml')).default;
  let parsed: unknown;
  try {
    parsed = YAML.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ConfigError(`${name} in ${repository.description} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${name} in ${repository.description} must be a mapping of settings`);
  return parsed as Record<string, unknown>;
}

function textOf(record: Record<string, unknown>, key: string, file: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${file}: ${key} must be text`);
  return value;
}

function urlSettings(record: Record<string, unknown>, file: string): Pick<RepositoryDefaults, 'publishUrlPrefix' | 'folderName' | 'folderThumbnailUrl'> {
  const publishUrlPrefix = textOf(record, 'publish_url_prefix', file);
  const folderName = textOf(record, 'folder_name', file);
  const folderThumbnailUrl = textOf(record, 'folder_thumbnail_url', file);
  return {
    ...(publishUrlPrefix !== undefined ? { publishUrlPrefix } : {}),
    ...(folderName !== undefined ? { folderName } : {}),
    ...(folderThumbnailUrl !== undefined ? { folderThumbnailUrl } : {}),
  };
}

function paramsOf(record: Record<string, unknown>, file: string): Record<string, Params> | undefined {
  const params = record['params'];
  if (params === undefined || params === null) return undefined;
  const shape = `${file}: params must map rule names to parameters, e.g.\nparams:\n  tiles:\n    pngCompression: 9`;
  if (typeof params !== 'object' || Array.isArray(params)) throw new ConfigError(shape);
  for (const value of Object.values(params)) if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(shape);
  return params as Record<string, Params>;
}

export async function readRepositoryConfig(repository: Repository): Promise<RepositoryDefaults> {
  const [toasty, own] = await Promise.all([readYamlMapping(repository, TOASTY_CONFIG), readYamlMapping(repository, IMGBUILD_REPOSITORY_CONFIG)]);
  let defaults: RepositoryDefaults = {};
  if (toasty) {
    const sourceType = textOf(toasty, 'source_type', TOASTY_CONFIG);
    const section = sourceType !== undefined ? toasty[sourceType] : undefined;
    defaults = {
      ...urlSettings(toasty, TOASTY_CONFIG),
      ...(sourceType !== undefined ? { sourceType } : {}),
      ...(section && typeof section === 'object' ? { source: section as Record<string, unknown> } : {}),
    };
  }
  if (own) {
    const where = `${IMGBUILD_REPOSITORY_CONFIG} in ${repository.description}`;
    for (const key of Object.keys(own)) {
      if (!IMGBUILD_KEYS.includes(key)) throw new ConfigError(`${where}: unknown setting ${JSON.stringify(key)} (known: ${IMGBUILD_KEYS.join(', ')})`);
    }
    const params = paramsOf(own, where);
    const approval = own['require_approval'];
    if (approval !== undefined && approval !== null && typeof approval !== 'boolean') throw new ConfigError(`${where}: require_approval must be true or false`);
    defaults = { ...defaults, ...urlSettings(own, where), ...(params ? { params } : {}), ...(typeof approval === 'boolean' ? { requireApproval: approval } : {}), description: where };
  }
  return defaults;
}

/**
 * The rule parameters a build uses: the repository's, overridden parameter by parameter by the config's. The
 * repository's are checked here, so that a mistake in them names the file it is in.
 */
export function ruleParams(
  rules: readonly Rule[],
  settings: Settings,
  fromRepository: RepositoryDefaults,
  fromConfig: Readonly<Record<string, Params>> = {},
): Record<string, Params> {
  const repositoryParams = fromRepository.params ?? {};
  const merged: Record<string, Params> = {};
  for (const [name, params] of Object.entries(repositoryParams)) {
    const rule = rules.find((r) => r.name === name);
    if (!rule) throw new ConfigError(`${fromRepository.description}: params.${name}: no rule is named ${name} (rules: ${rules.map((r) => r.name).join(', ')})`);
    const problem = paramProblem(name, rule.paramTypes, params);
    if (problem !== undefined) throw new ConfigError(`${fromRepository.description}: ${problem}`);
    try {
      resolveParams(rule, settings, { [name]: params });
    } catch (error) {
      if (error instanceof RuleError) throw new ConfigError(`${fromRepository.description}: ${error.message}`);
      throw error;
    }
    merged[name] = { ...params };
  }
  const configFile = paramsSourceOf(fromConfig) ?? 'the config (params)';
  for (const [name, params] of Object.entries(fromConfig)) {
    const rule = rules.find((r) => r.name === name);
    if (rule !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
      throw new ConfigError(`${configFile}: params.${name} must be an object of parameter → value`);
    }
    if (!rule) throw new ConfigError(`${configFile}: params.${name}: no rule is named ${name} (rules: ${rules.map((r) => r.name).join(', ')})`);
    const problem = paramProblem(name, rule.paramTypes, params);
    if (problem !== undefined) throw new ConfigError(`${configFile}: ${problem}`);
    try {
      resolveParams(rule, settings, { [name]: params });
    } catch (error) {
      if (error instanceof RuleError) throw new ConfigError(`${configFile}: ${error.message}`);
      throw error;
    }
    merged[name] = { ...merged[name], ...params };
  }
  return merged;
}
