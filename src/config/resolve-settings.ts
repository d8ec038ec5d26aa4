// Flags over the config file over the repository's toasty-pipeline-config.yaml over defaults: the Settings a
// build runs with.
import { folderSeparation, repositorySlug } from './folders-for-repository.js';
import os from 'node:os';
import path from 'node:path';
import type { PipelineConfig } from './pipeline-config.js';
import type { Settings } from './settings.js';
import { normalizePrefix, type RepositorySpec, RepositorySpecError } from '../repo/repository-spec.js';
import type { RepositoryDefaults } from './repository-config.js';
import type { FolderSeparation } from './folders-for-repository.js';
import { expiryPolicy } from '../archive/expiry-policy.js';
import { isRepositoryUri, parseRepositoryUri } from '../repo/repository-uri.js';
import { parseRemoteCache } from '../remote/remote-cache-spec.js';

/** Flags that override the config (paths relative to the current folder). */
export interface SettingOverrides {
  readonly incoming?: string | undefined;
  readonly work?: string | undefined;
  readonly cache?: string | undefined;
  readonly local?: string | undefined;
  /** `--repository URI`: file:DIR or s3://bucket/prefix. */
  readonly repository?: string | undefined;
  readonly azureConnEnv?: string | undefined;
  readonly azureContainer?: string | undefined;
  readonly azurePathPrefix?: string | undefined;
  readonly s3Bucket?: string | undefined;
  readonly s3Prefix?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  readonly s3Region?: string | undefined;
  readonly publishUrlPrefix?: string | undefined;
  readonly jobs?: number | undefined;
  /** `--catalog-url-env NAME`: the catalog is PostgreSQL, its URL in that environment variable. */
  readonly catalogUrlEnv?: string | undefined;
  /** `--source-type T` and `--source-url URL`: the feed to build from (the URL is json_query_url or base_url). */
  readonly sourceType?: string | undefined;
  readonly sourceUrl?: string | undefined;
  readonly pruneRemoved?: boolean | undefined;
  /** --require-approval. */
  readonly requireApproval?: boolean | undefined;
  /** --remote-cache URL and --remote-cache-conn-env NAME (an Azure remote cache's connection string). */
  readonly remoteCache?: string | undefined;
  readonly remoteCacheConnEnv?: string | undefined;
}

export const DEFAULTS = {
  incoming: 'incoming',
  work: 'work',
  cache: 'cache',
  local: 'repo',
  folderThumbnailUrl: '',
  publishUrlPrefix: '',
} as const;

/** An S3 endpoint must be an http(s) URL: anything else is a mistake on the command line, not a network failure. */
function checkEndpoint(endpoint: string | undefined, where: string): string | undefined {
  if (endpoint === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // The value may hold a password (http://user:PASS@host): say what is wrong without repeating it.
    throw new RepositorySpecError(`${where} must be an http:// or https:// URL such as http://127.0.0.1:9000`);
  }
  return endpoint;
}

/** The repository the flags name, else the config's, else the default local folder. */
export function resolveRepository(config: PipelineConfig, projectDir: string, flags: SettingOverrides, cwd: string): RepositorySpec {
  const azureFlags = flags.azureConnEnv !== undefined || flags.azureContainer !== undefined || flags.azurePathPrefix !== undefined;
  // --s3-endpoint/--s3-region alone serve an s3:// URI (--repository, --incoming, --remote-cache) when one is given.
  const s3Uri = [flags.repository, flags.incoming ?? config.incoming, config.repository, flags.remoteCache ?? config.remoteCache].some((u) => u !== undefined && /^s3:/i.test(u));
  const s3Flags = flags.s3Bucket !== undefined || flags.s3Prefix !== undefined || (!s3Uri && (flags.s3Endpoint !== undefined || flags.s3Region !== undefined));
  const chosen = [flags.local !== undefined, azureFlags, s3Flags, flags.repository !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new RepositorySpecError('give one data repository: --repository URI, --local, the --azure-* flags, or the --s3-* flags');
  const s3 = { endpoint: checkEndpoint(flags.s3Endpoint, '--s3-endpoint'), region: flags.s3Region };
  if (flags.repository !== undefined) return parseRepositoryUri(flags.repository, cwd, '--repository', s3);
  if (flags.local !== undefined) return { kind: 'local', dir: path.resolve(cwd, flags.local) };
  if (azureFlags) {
    if (!flags.azureConnEnv || !flags.azureContainer) {
      throw new RepositorySpecError('an Azure repository needs both --azure-conn-env NAME (an environment variable holding the connection string) and --azure-container C');
    }
    return { kind: 'azure', connEnv: flags.azureConnEnv, container: flags.azureContainer, pathPrefix: normalizePrefix(flags.azurePathPrefix, '--azure-path-prefix') };
  }
  if (s3Flags) {
    if (!flags.s3Bucket) throw new RepositorySpecError('an S3 repository needs --s3-bucket B');
    return { kind: 's3', bucket: flags.s3Bucket, prefix: normalizePrefix(flags.s3Prefix, '--s3-prefix'), endpoint: checkEndpoint(flags.s3Endpoint, '--s3-endpoint'), region: flags.s3Region };
  }
  if (config.repository !== undefined) return parseRepositoryUri(config.repository, projectDir, 'repository in the pipeline config', s3);
  if (config.azure) {
    return { kind: 'azure', connEnv: config.azure.connEnv, container: config.azure.container, pathPrefix: normalizePrefix(config.azure.pathPrefix, 'azure.pathPrefix') };
  }
  if (config.s3) {
    return { kind: 's3', bucket: config.s3.bucket, prefix: normalizePrefix(config.s3.prefix, 's3.prefix'), endpoint: checkEndpoint(config.s3.endpoint, 's3.endpoint in the config'), region: config.s3.region };
  }
  return { kind: 'local', dir: path.resolve(projectDir, config.local ?? DEFAULTS.local) };
}

export function resolveSettings(
  config: PipelineConfig,
  projectDir: string,
  flags: SettingOverrides,
  cwd: string,
  repository: RepositorySpec,
  fromRepository: RepositoryDefaults = {},
  separation?: FolderSeparation,
): Settings {
  const folder = (flag: string | undefined, value: string | undefined, fallback: string): string =>
    flag !== undefined ? path.resolve(cwd, flag) : path.resolve(projectDir, value ?? fallback);
  // Another repository than the config's gets work and cache folders of its own (folders-for-repository.ts).
  const own = (flag: string | undefined, value: string | undefined, fallback: string): string =>
    flag === undefined && separation ? `${folder(flag, value, fallback)}-${separation.suffix}` : folder(flag, value, fallback);
  const cache = own(flags.cache, config.cache, DEFAULTS.cache);
  // An incoming URI is mirrored into the cache (one folder per source), and the rules read the mirror.
  const incomingText = flags.incoming ?? config.incoming;
  const incomingSpec =
    incomingText !== undefined && isRepositoryUri(incomingText)
      ? parseRepositoryUri(incomingText, flags.incoming !== undefined ? cwd : projectDir, flags.incoming !== undefined ? '--incoming' : 'incoming in the pipeline config', { endpoint: checkEndpoint(flags.s3Endpoint, '--s3-endpoint'), region: flags.s3Region })
      : undefined;
  // file:DIR is simply that folder; only a remote source needs a mirror.
  const incomingSource = incomingSpec?.kind === 'local' ? undefined : incomingSpec;
  const urlEnv = flags.catalogUrlEnv ?? config.catalog?.urlEnv;
  return {
    projectDir,
    incoming:
      incomingSpec?.kind === 'local'
        ? incomingSpec.dir
        : incomingSource !== undefined
          ? path.join(cache, 'incoming-mirror', repositorySlug(incomingSource))
          : folder(flags.incoming, config.incoming, DEFAULTS.incoming),
    ...(incomingSource !== undefined ? { incomingSource } : {}),
    work: own(flags.work, config.work, DEFAULTS.work),
    cache,
    expiry: expiryPolicy(config.archive?.expire, 'the pipeline config', config.archive?.expireEvery),
    catalog:
      urlEnv !== undefined
        ? { kind: 'postgres', urlEnv }
        : { kind: 'sqlite', file: config.catalog?.sqlite !== undefined ? path.resolve(projectDir, config.catalog.sqlite) : path.join(cache, 'catalog.sqlite') },
    repository,
    publishUrlPrefix: flags.publishUrlPrefix ?? config.publishUrlPrefix ?? fromRepository.publishUrlPrefix ?? DEFAULTS.publishUrlPrefix,
    folderName: config.folderName ?? fromRepository.folderName ?? repositoryName(repository),
    ...(config.folderName === undefined && fromRepository.folderName === undefined ? { folderNameDefaulted: true } : {}),
    folderThumbnailUrl: config.folderThumbnailUrl ?? fromRepository.folderThumbnailUrl ?? DEFAULTS.folderThumbnailUrl,
    ...sourceSettings(flags, config, fromRepository),
    ...(flags.pruneRemoved ? { pruneRemoved: true } : {}),
    requireApproval: flags.requireApproval ?? config.requireApproval ?? fromRepository.requireApproval ?? false,
    ...(config.allSky !== undefined && config.allSky.length > 0 ? { allSky: config.allSky } : {}),
    ...remoteCacheSetting(config, projectDir, flags, cwd),
  };
}

function remoteCacheSetting(config: PipelineConfig, projectDir: string, flags: SettingOverrides, cwd: string): Pick<Settings, 'remoteCache'> {
  const fromFlag = flags.remoteCache !== undefined;
  const url = flags.remoteCache ?? config.remoteCache;
  if (flags.remoteCacheConnEnv !== undefined && url === undefined) throw new RepositorySpecError('--remote-cache-conn-env goes with --remote-cache azure://container/prefix');
  if (url === undefined) return {};
  const spec = parseRemoteCache(url, fromFlag ? cwd : projectDir, fromFlag ? '--remote-cache' : 'remoteCache in the pipeline config', {
    s3Endpoint: checkEndpoint(flags.s3Endpoint, '--s3-endpoint'),
    s3Region: flags.s3Region,
    connEnv: flags.remoteCacheConnEnv ?? config.remoteCacheConnEnv ?? flags.azureConnEnv,
    connFlag: flags.remoteCacheConnEnv !== undefined ? '--remote-cache-conn-env' : config.remoteCacheConnEnv !== undefined ? 'remoteCacheConnEnv in the pipeline config' : '--azure-conn-env',
  });
  return { remoteCache: spec };
}

/** The feed to build from: the flags', else the config's, else the repository's toasty-pipeline-config.yaml. */
function sourceSettings(flags: SettingOverrides, config: PipelineConfig, fromRepository: RepositoryDefaults): Pick<Settings, 'source'> {
  if (flags.sourceType !== undefined || flags.sourceUrl !== undefined) {
    const type = flags.sourceType ?? config.source?.type ?? fromRepository.sourceType;
    if (type === undefined) throw new RepositorySpecError('--source-url needs --source-type astropix or djangoplicity');
    const base = type === config.source?.type ? config.source : type === fromRepository.sourceType ? (fromRepository.source ?? {}) : {};
    const urlKey = type === 'djangoplicity' ? 'base_url' : 'json_query_url';
    const settings = { ...base, ...(flags.sourceUrl !== undefined ? { [urlKey]: flags.sourceUrl } : {}) };
    return { source: { type, settings, from: '--source-type/--source-url' } };
  }
  if (config.source !== undefined) {
    const { type, ...settings } = config.source;
    return { source: { type, settings, from: 'source in the pipeline config' } };
  }
  if (fromRepository.sourceType !== undefined) return { source: { type: fromRepository.sourceType, settings: fromRepository.source ?? {}, from: 'toasty-pipeline-config.yaml' } };
  return {};
}

/** The repository's own name, for a root index no config names: the folder, or container/bucket with its prefix. */
function repositoryName(spec: RepositorySpec): string {
  switch (spec.kind) {
    case 'local':
      return path.basename(spec.dir) || spec.dir;
    case 'azure':
      return spec.pathPrefix ? `${spec.container}/${spec.pathPrefix}` : spec.container;
    case 's3':
      return spec.prefix ? `${spec.bucket}/${spec.prefix}` : spec.bucket;
  }
}

export function resolveJobs(config: PipelineConfig, flags: SettingOverrides): number {
  return flags.jobs ?? config.jobs ?? Math.max(1, os.availableParallelism());
}

/**
 * The cache folder a build with these flags uses, without opening the repository (imgbuild status and log read
 * only the cache): the same choice resolveSettings makes, the repository's own config aside.
 */
export function resolveCacheFolder(config: PipelineConfig, projectDir: string, flags: SettingOverrides, cwd: string): string {
  const spec = resolveRepository(config, projectDir, flags, cwd);
  const separation = folderSeparation(config, resolveRepository(config, projectDir, {}, cwd), spec);
  return resolveSettings(config, projectDir, flags, cwd, spec, {}, separation).cache;
}
