// Work and cache folders belong to the repository they were built for. When the flags point a project's
// config at another repository (`--local /srv/wwt-data` inside a clone whose config publishes to
// example/repo), sharing the config's work/ and cache/ would make the two builds redo each other's work
// (each rebuilding the other's root index) and mix their review folders. Such a build gets folders of its
// own, beside the config's, named for the repository, and says so.
import crypto from 'node:crypto';
import path from 'node:path';
import type { PipelineConfig } from './pipeline-config.js';
import type { RepositorySpec } from '../repo/repository-spec.js';

/** One string per repository: equal strings, same repository. */
export function repositoryIdentity(spec: RepositorySpec): string {
  switch (spec.kind) {
    case 'local':
      return `local:${spec.dir}`;
    case 'azure':
      return `azure:${spec.container}/${spec.pathPrefix}`;
    case 's3':
      return `s3:${spec.endpoint ?? ''}/${spec.bucket}/${spec.prefix}`;
  }
}

/** Whether the config file names a repository at all (a config without one leaves the choice to the flags). */
function configNamesRepository(config: PipelineConfig): boolean {
  return config.local !== undefined || config.azure !== undefined || config.s3 !== undefined;
}

/** A short readable name for a repository, safe as part of a folder name. */
export function repositorySlug(spec: RepositorySpec): string {
  const base = spec.kind === 'local' ? path.basename(spec.dir) : spec.kind === 'azure' ? spec.container : spec.bucket;
  const readable = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+|[._-]+$/g, '').slice(0, 40) || spec.kind;
  const hash = crypto.createHash('sha256').update(repositoryIdentity(spec)).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

export interface FolderSeparation {
  /** Suffix for the config's work and cache folder names, e.g. `wwt-data-3f2a1c0b`. */
  readonly suffix: string;
  /** The repository the config names, for the message. */
  readonly configRepository: RepositorySpec;
}

/**
 * Whether this build must use work/cache folders of its own: the config file names one repository and the flags
 * another. `configRepository` is the spec resolved from the config alone.
 */
export function folderSeparation(config: PipelineConfig, configRepository: RepositorySpec, chosen: RepositorySpec): FolderSeparation | undefined {
  if (!configNamesRepository(config)) return undefined;
  if (repositoryIdentity(configRepository) === repositoryIdentity(chosen)) return undefined;
  return { suffix: repositorySlug(chosen), configRepository };
}

/** The repository in words, for messages (no secrets: a connection string is never part of a spec). */
export function describeRepositorySpec(spec: RepositorySpec): string {
  switch (spec.kind) {
    case 'local':
      return spec.dir;
    case 'azure':
      return `Azure container ${spec.container}${spec.pathPrefix ? `/${spec.pathPrefix}` : ''}`;
    case 's3':
      return `s3://${spec.bucket}${spec.prefix ? `/${spec.prefix}` : ''}`;
  }
}
