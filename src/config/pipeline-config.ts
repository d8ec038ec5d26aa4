// What pipeline.config.ts exports (camelCase; toasty's YAML names in comments).
import { ImgbuildError } from '../errors.js';
import type { Params, Rule } from '../graph/rule.js';
import type { ExpiryConfig } from '../archive/expiry-policy.js';

export interface PipelineConfig {
  /** Folder of new images (default `incoming`), or a URI to fetch them from: file:DIR or s3://bucket/prefix. */
  readonly incoming?: string;
  /** Where nodes write their outputs, per item (default `work`). */
  readonly work?: string;
  /** Build state (default `cache`). */
  readonly cache?: string;
  /** The data repository folder, toasty's `--local` (default `repo`). */
  readonly local?: string;
  /** The data repository as a URI, as CALDP names outputs: file:DIR or s3://bucket/prefix. */
  readonly repository?: string;
  /** The data repository in Azure Blob Storage instead (connEnv names the variable holding the connection string). */
  readonly azure?: { readonly connEnv: string; readonly container: string; readonly pathPrefix?: string };
  /** The data repository in S3 or an S3-compatible server instead (credentials from the AWS SDK's chain). */
  readonly s3?: { readonly bucket: string; readonly prefix?: string; readonly endpoint?: string; readonly region?: string };
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
  /** Archive ingest (archiveRules()): how long each image class lives, per class and per site. */
  readonly archive?: { readonly expire?: ExpiryConfig; readonly expireEvery?: string };
  /**
   * The metadata catalog: an SQLite file (default `<cache>/catalog.sqlite`), or PostgreSQL through the NAME of an
   * environment variable holding its postgres:// URL (never the URL itself: it holds a password).
   */
  readonly catalog?: { readonly sqlite?: string; readonly urlEnv?: string };
  /**
   * A feed to build from, as toasty's source_type and its section: `{ type: 'astropix', json_query_url }` or
   * `{ type: 'djangoplicity', base_url, channel_name, search_page_name }`. Wins over the repository's.
   */
  readonly source?: { readonly type: string; readonly [setting: string]: unknown };
  /**
   * Incoming files that are all-sky maps, tiled as TOAST, as a `name.allsky.yaml` sidecar would say for one:
   * `[{ files: '{id}_allsky.{ext:jpg|png}', projection: 'plate-carree', depth: 6 }]` (depth optional).
   */
  readonly allSky?: ReadonlyArray<{ readonly files: string; readonly projection: string; readonly depth?: number }>;
  /** Publish only data sets a reviewer approved (`imgbuild approve ID`); default false: publish unless rejected. */
  readonly requireApproval?: boolean;
  /**
   * A cache of node outputs shared with other machines and CI runs: file:///shared/folder, s3://bucket/prefix or
   * azure://container/prefix (with `remoteCacheConnEnv`, the NAME of the variable holding its connection string).
   */
  readonly remoteCache?: string;
  readonly remoteCacheConnEnv?: string;
}

const KNOWN_SETTINGS = new Set(['incoming', 'work', 'cache', 'local', 'repository', 'azure', 's3', 'publishUrlPrefix', 'folderName', 'folderThumbnailUrl', 'jobs', 'rules', 'params', 'archive', 'catalog', 'source', 'allSky', 'requireApproval', 'remoteCache', 'remoteCacheConnEnv']);

export class ConfigError extends ImgbuildError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('config', message, options);
  }
}

/** Config `params` objects → the file they were read from, so that a bad parameter can name its file. */
const paramsSources = new WeakMap<object, string>();

/** The config file a `params` object came from (undefined for a config made in code). */
export function paramsSourceOf(params: object): string | undefined {
  return paramsSources.get(params);
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
  for (const key of ['incoming', 'work', 'cache', 'local', 'repository', 'publishUrlPrefix', 'folderName', 'folderThumbnailUrl']) {
    if (record[key] !== undefined && typeof record[key] !== 'string') throw new ConfigError(`${file}: ${key} must be a string`);
  }
  if (record['requireApproval'] !== undefined && typeof record['requireApproval'] !== 'boolean') throw new ConfigError(`${file}: requireApproval must be true or false`);
  for (const name of ['remoteCache', 'remoteCacheConnEnv']) {
    if (record[name] !== undefined && (typeof record[name] !== 'string' || record[name] === '')) throw new ConfigError(`${file}: ${name} must be a string (remoteCache: 'file:///shared/imgbuild-cache' or s3://bucket/prefix)`);
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
  const azure = record['azure'] as Record<string, unknown> | undefined;
  if (azure !== undefined && (typeof azure !== 'object' || typeof azure['connEnv'] !== 'string' || typeof azure['container'] !== 'string')) {
    throw new ConfigError(`${file}: azure must be { connEnv: 'NAME_OF_ENV_VARIABLE', container: 'name', pathPrefix?: 'folder' }`);
  }
  if (azure && typeof azure['connEnv'] === 'string' && /[;=]/.test(azure['connEnv'])) {
    throw new ConfigError(`${file}: azure.connEnv is the NAME of an environment variable, not the connection string itself; never put secrets in the config`);
  }
  const s3 = record['s3'] as Record<string, unknown> | undefined;
  if (s3 !== undefined && (typeof s3 !== 'object' || typeof s3['bucket'] !== 'string')) {
    throw new ConfigError(`${file}: s3 must be { bucket: 'name', prefix?: 'folder', endpoint?: 'http://…', region?: 'us-east-1' }`);
  }
  if ([record['local'] !== undefined, azure !== undefined, s3 !== undefined].filter(Boolean).length > 1) {
    throw new ConfigError(`${file}: give one of local, azure or s3`);
  }
  if (record['params'] !== undefined && (typeof record['params'] !== 'object' || record['params'] === null)) {
    throw new ConfigError(`${file}: params must be an object of rule name → parameters`);
  }
  const allSky = record['allSky'];
  if (allSky !== undefined) {
    const shape = `${file}: allSky must be a list of { files: '{id}_allsky.jpg', projection: 'plate-carree' | 'plate-carree-ecliptic' | 'plate-carree-galactic' | 'plate-carree-planet', depth?: 1…12 }`;
    if (!Array.isArray(allSky)) throw new ConfigError(shape);
    for (const entry of allSky as unknown[]) {
      const e = entry as Record<string, unknown>;
      if (e === null || typeof e !== 'object' || typeof e['files'] !== 'string' || !['plate-carree', 'plate-carree-ecliptic', 'plate-carree-galactic', 'plate-carree-planet'].includes(e['projection'] as string)) throw new ConfigError(shape);
      if (e['depth'] !== undefined && !(Number.isInteger(e['depth']) && (e['depth'] as number) >= 1 && (e['depth'] as number) <= 12)) throw new ConfigError(shape);
    }
  }
  const source = record['source'];
  if (source !== undefined && (source === null || typeof source !== 'object' || typeof (source as Record<string, unknown>)['type'] !== 'string')) {
    throw new ConfigError(`${file}: source must be { type: 'astropix', json_query_url: '…' } or { type: 'djangoplicity', base_url: '…', channel_name: '…' }`);
  }
  const catalog = record['catalog'] as Record<string, unknown> | undefined;
  if (catalog !== undefined) {
    if (typeof catalog !== 'object' || catalog === null || Object.keys(catalog).some((k) => k !== 'sqlite' && k !== 'urlEnv')) {
      throw new ConfigError(`${file}: catalog must be { sqlite: 'path/to/catalog.sqlite' } or { urlEnv: 'NAME_OF_ENV_VARIABLE' }`);
    }
    if (catalog['sqlite'] !== undefined && catalog['urlEnv'] !== undefined) throw new ConfigError(`${file}: catalog takes sqlite or urlEnv, not both`);
    if (typeof catalog['urlEnv'] === 'string' && /[:/@]/.test(catalog['urlEnv'])) {
      throw new ConfigError(`${file}: catalog.urlEnv is the NAME of an environment variable, not the URL itself; never put secrets in the config`);
    }
  }
  const archive = record['archive'] as Record<string, unknown> | undefined;
  if (archive !== undefined && (typeof archive !== 'object' || archive === null || Object.keys(archive).some((k) => k !== 'expire' && k !== 'expireEvery'))) {
    throw new ConfigError(`${file}: archive must be { expire: { 'info-images': '48h', data: 'never', sites: { … } }, expireEvery: '5m' }`);
  }
  if (record['params'] !== undefined) paramsSources.set(record['params'] as object, file);
  return record as PipelineConfig;
}

/** Typed identity, for editor help in pipeline.config.ts. */
export function defineConfig(config: PipelineConfig): PipelineConfig {
  return config;
}
