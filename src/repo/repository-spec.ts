// Which data repository a build uses, as the flags name it (toasty's names), and opening it.
import { ImgbuildError } from '../errors.js';
import path from 'node:path';
import { LocalRepository } from './local-repository.js';
import { registerSecret } from './redact.js';
import { assertRepositoryPath, type Repository } from './repository.js';

export type RepositorySpec =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 'azure'; readonly connEnv: string; readonly container: string; readonly pathPrefix: string; /** The flag that named connEnv, for messages (default --azure-conn-env). */ readonly connFlag?: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly endpoint?: string | undefined; readonly region?: string | undefined };

export class RepositorySpecError extends ImgbuildError {
  override readonly name = 'RepositorySpecError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('config', message, options);
  }
}

/** A path prefix without leading or trailing slashes, checked like any repository path. */
export function normalizePrefix(prefix: string | undefined, flag: string): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  try {
    assertRepositoryPath(trimmed);
  } catch {
    throw new RepositorySpecError(`${flag} ${JSON.stringify(prefix)} is not a usable folder path`);
  }
  return trimmed;
}

export async function openRepository(spec: RepositorySpec, env: NodeJS.ProcessEnv = process.env): Promise<Repository> {
  switch (spec.kind) {
    case 'local':
      return new LocalRepository(path.resolve(spec.dir));
    case 'azure': {
      const connectionString = env[spec.connEnv];
      if (!connectionString) {
        // The machine's environment, not the command line, is missing something: exit 1, as missing AWS credentials.
        throw new ImgbuildError(
          'environment',
          `the environment variable ${spec.connEnv} (named by ${spec.connFlag ?? '--azure-conn-env'}) is not set; export it with the storage account's connection string`,
        );
      }
      registerSecret(connectionString);
      // The secret parts; the endpoint and account name are not secret and are named in messages (a password
      // or signature inside an endpoint URL is scrubbed by redact's patterns).
      for (const part of connectionString.split(';')) {
        if (/^(AccountKey|SharedAccessSignature)=/i.test(part.trim())) registerSecret(part.split('=').slice(1).join('='));
      }
      const { AzureRepository } = await import('./azure-repository.js');
      return new AzureRepository(connectionString, spec.container, spec.pathPrefix);
    }
    case 's3': {
      registerSecret(env['AWS_SECRET_ACCESS_KEY']);
      registerSecret(env['AWS_SESSION_TOKEN']);
      const { S3Repository } = await import('./s3-repository.js');
      return new S3Repository({ bucket: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, region: spec.region });
    }
  }
}

export function describeSpec(spec: RepositorySpec): string {
  switch (spec.kind) {
    case 'local':
      return spec.dir;
    case 'azure':
      return `azure:${spec.container}/${spec.pathPrefix}`;
    case 's3':
      return `s3://${spec.bucket}/${spec.prefix}`;
  }
}
