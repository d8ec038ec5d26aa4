// What pipeline.config.ts exports (camelCase; toasty's YAML names in comments).
import type { Params, Rule } from '../graph/rule.js';

export interface PipelineConfig {
  /** Folder of new images (default `incoming`). */
  readonly incoming?: string;
  /** Where nodes write their outputs, per item (default `work`). */
  readonly work?: string;
  /** Build state (default `cache`). */
  readonly cache?: string;
  /** The data repository folder, toasty's `--local` (default `repo`). */
  readonly local?: string;
  /** publish_url_prefix: the URL the repository is served under; absolute URLs in index.wtml start with it. */
  readonly publishUrlPrefix?: string;
  /** folder_name: the root index's folder name. */
  readonly folderName?: string;
  /** folder_thumbnail_url: the root index folder's thumbnail. */
  readonly folderThumbnailUrl?: string;
  /** Parallel nodes (default: the number of cores). */
  readonly jobs?: number;
  /** The rules (default: the built-in WWT study rules). */
  readonly rules?: readonly Rule[];
  /** Per-rule parameter overrides: `{ tiles: { pngCompression: 9 } }`. */
  readonly params?: Readonly<Record<string, Params>>;
}

const KNOWN_SETTINGS = new Set(['incoming', 'work', 'cache', 'local', 'publishUrlPrefix', 'folderName', 'folderThumbnailUrl', 'jobs', 'rules', 'params']);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Check a config's shape; throws ConfigError naming the setting and what it should be. */
export function validateConfig(config: unknown, file: string): PipelineConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(`${file}: the default export must be an object (use defineConfig({...}))`);
  }
  const record = config as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_SETTINGS.has(key)) throw new ConfigError(`${file}: unknown setting ${JSON.stringify(key)} (known: ${[...KNOWN_SETTINGS].join(', ')})`);
  }
  for (const key of ['incoming', 'work', 'cache', 'local', 'publishUrlPrefix', 'folderName', 'folderThumbnailUrl']) {
    if (record[key] !== undefined && typeof record[key] !== 'string') throw new ConfigError(`${file}: ${key} must be a string`);
  }
  if (record['jobs'] !== undefined && !(Number.isInteger(record['jobs']) && (record['jobs'] as number) > 0)) {
    throw new ConfigError(`${file}: jobs must be a whole number ≥ 1`);
  }
  if (record['rules'] !== undefined) {
    if (!Array.isArray(record['rules'])) throw new ConfigError(`${file}: rules must be an array of defineRule(...) values`);
    record['rules'].forEach((rule: unknown, i) => {
      if (!(rule && typeof rule === 'object' && (rule as { __rule?: boolean }).__rule === true)) {
        throw new ConfigError(`${file}: rules[${i}] is not a rule; create rules with defineRule({...})`);
      }
    });
  }
  if (record['params'] !== undefined && (typeof record['params'] !== 'object' || record['params'] === null)) {
    throw new ConfigError(`${file}: params must be an object of rule name → parameters`);
  }
  return record as PipelineConfig;
}

/** Typed identity, for editor help in pipeline.config.ts. */
export function defineConfig(config: PipelineConfig): PipelineConfig {
  return config;
}
