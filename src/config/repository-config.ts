// Configuration kept in the data repository, as toasty keeps it: `toasty-pipeline-config.yaml` at the root,
// read as-is (publish_url_prefix, folder_name, folder_thumbnail_url, source_type and its section). Flags and
// pipeline.config.ts override it. A broken file is an error naming it: guessing would publish wrong URLs.
import type { Repository } from '../repo/repository.js';
import { ConfigError } from './pipeline-config.js';

export const TOASTY_CONFIG = 'toasty-pipeline-config.yaml';

export interface RepositoryDefaults {
  readonly publishUrlPrefix?: string;
  readonly folderName?: string;
  readonly folderThumbnailUrl?: string;
  /** toasty's feed settings (source_type and its section), kept for the feed rules. */
  readonly sourceType?: string;
  readonly source?: Readonly<Record<string, unknown>>;
}

export async function readRepositoryConfig(repository: Repository): Promise<RepositoryDefaults> {
  const bytes = await repository.get(TOASTY_CONFIG);
  if (bytes === undefined) return {};
  // Loaded only when the file exists: the YAML parser costs a no-op build ~15 ms of start-up.
  const YAML = (await import('yaml')).default;
  let parsed: unknown;
  try {
    parsed = YAML.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ConfigError(`${TOASTY_CONFIG} in ${repository.description} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${TOASTY_CONFIG} in ${repository.description} must be a mapping of settings`);
  const record = parsed as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new ConfigError(`${TOASTY_CONFIG}: ${key} must be text`);
    return value;
  };
  const sourceType = text('source_type');
  const section = sourceType !== undefined ? record[sourceType] : undefined;
  return {
    ...(text('publish_url_prefix') !== undefined ? { publishUrlPrefix: text('publish_url_prefix')! } : {}),
    ...(text('folder_name') !== undefined ? { folderName: text('folder_name')! } : {}),
    ...(text('folder_thumbnail_url') !== undefined ? { folderThumbnailUrl: text('folder_thumbnail_url')! } : {}),
    ...(sourceType !== undefined ? { sourceType } : {}),
    ...(section && typeof section === 'object' ? { source: section as Record<string, unknown> } : {}),
  };
}
