// Config values, then command-line flags over them, then defaults: the Settings a build runs with.
import os from 'node:os';
import path from 'node:path';
import type { PipelineConfig } from './pipeline-config.js';
import type { Settings } from './settings.js';

/** Flags that override the config (paths relative to the current folder). */
export interface SettingOverrides {
  readonly incoming?: string | undefined;
  readonly work?: string | undefined;
  readonly cache?: string | undefined;
  readonly local?: string | undefined;
  readonly publishUrlPrefix?: string | undefined;
  readonly jobs?: number | undefined;
}

export const DEFAULTS = {
  incoming: 'incoming',
  work: 'work',
  cache: 'cache',
  local: 'repo',
  folderName: 'imgbuild',
  folderThumbnailUrl: '',
  publishUrlPrefix: '',
} as const;

export function resolveSettings(config: PipelineConfig, projectDir: string, flags: SettingOverrides, cwd: string): Settings {
  const folder = (flag: string | undefined, value: string | undefined, fallback: string): string =>
    flag !== undefined ? path.resolve(cwd, flag) : path.resolve(projectDir, value ?? fallback);
  return {
    projectDir,
    incoming: folder(flags.incoming, config.incoming, DEFAULTS.incoming),
    work: folder(flags.work, config.work, DEFAULTS.work),
    cache: folder(flags.cache, config.cache, DEFAULTS.cache),
    local: folder(flags.local, config.local, DEFAULTS.local),
    publishUrlPrefix: flags.publishUrlPrefix ?? config.publishUrlPrefix ?? DEFAULTS.publishUrlPrefix,
    folderName: config.folderName ?? DEFAULTS.folderName,
    folderThumbnailUrl: config.folderThumbnailUrl ?? DEFAULTS.folderThumbnailUrl,
  };
}

export function resolveJobs(config: PipelineConfig, flags: SettingOverrides): number {
  return flags.jobs ?? config.jobs ?? Math.max(1, os.availableParallelism());
}
