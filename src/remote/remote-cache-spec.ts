// `--remote-cache URL` (config `remoteCache`): file:///shared/path or file:relative (a folder every machine sees:
// NFS, Lustre), s3://bucket/prefix (the AWS SDK's credential chain, --s3-endpoint and --s3-region as for an S3
// repository) and azure://container/prefix (the connection string in the environment variable that
// --remote-cache-conn-env names, else the one --azure-conn-env names).
import { normalizePrefix, type RepositorySpec, RepositorySpecError } from '../repo/repository-spec.js';
import { parseRepositoryUri } from '../repo/repository-uri.js';

export interface RemoteCacheFlags {
  readonly s3Endpoint?: string | undefined;
  readonly s3Region?: string | undefined;
  /** The variable holding an Azure connection string: --remote-cache-conn-env, else --azure-conn-env. */
  readonly connEnv?: string | undefined;
  /** Which flag (or config key) named it, for messages. */
  readonly connFlag?: string | undefined;
}

export function parseRemoteCache(url: string, cwd: string, where: string, flags: RemoteCacheFlags): RepositorySpec {
  const azure = /^azure:\/\/([^/]*)(?:\/(.*))?$/i.exec(url);
  if (azure) {
    const container = azure[1]!;
    // Azure's container names: 3–63 lower-case letters, digits and single dashes. Not echoed (may be a secret).
    if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(container)) throw new RepositorySpecError(`${where}: give azure://container/prefix with a valid container name (3–63 lower-case letters, digits, dashes)`);
    if (flags.connEnv === undefined) {
      throw new RepositorySpecError(`${where}: an azure:// remote cache needs --remote-cache-conn-env NAME (an environment variable holding the storage account's connection string)`);
    }
    return { kind: 'azure', connEnv: flags.connEnv, container, pathPrefix: normalizePrefix(azure[2], where), ...(flags.connFlag !== undefined ? { connFlag: flags.connFlag } : {}) };
  }
  if (!/^(file|s3):/i.test(url)) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.test(url) ? url.slice(0, url.indexOf(':') + 1) : JSON.stringify(url);
    throw new RepositorySpecError(`${where}: ${scheme} is not a remote cache this tool can use; give file:///shared/folder, s3://bucket/prefix or azure://container/prefix`);
  }
  return parseRepositoryUri(url, cwd, where, { endpoint: flags.s3Endpoint, region: flags.s3Region });
}
