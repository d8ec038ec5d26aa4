// The flags that name a data repository (toasty's names), shared by every command that takes one.

/** parseArgs options for `--local`, the `--azure-…` flags and the `--s3-…` flags. */
export const REPOSITORY_OPTIONS = {
  local: { type: 'string' },
  repository: { type: 'string' },
  'azure-conn-env': { type: 'string' },
  'azure-container': { type: 'string' },
  'azure-path-prefix': { type: 'string' },
  's3-bucket': { type: 'string' },
  's3-prefix': { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-region': { type: 'string' },
} as const;

type RepositoryFlagValues = { readonly [K in keyof typeof REPOSITORY_OPTIONS]?: string | undefined };

/** Those flags as setting overrides (resolve-settings.ts). */
export function repositoryOverrides(values: RepositoryFlagValues) {
  return {
    local: values.local,
    repository: values.repository,
    azureConnEnv: values['azure-conn-env'],
    azureContainer: values['azure-container'],
    azurePathPrefix: values['azure-path-prefix'],
    s3Bucket: values['s3-bucket'],
    s3Prefix: values['s3-prefix'],
    s3Endpoint: values['s3-endpoint'],
    s3Region: values['s3-region'],
  };
}
