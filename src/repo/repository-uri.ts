// Repositories named as CALDP names its inputs and outputs: `file:DIR` (relative to the current folder, or
// file:///absolute) and `s3://bucket/prefix` (credentials from the AWS SDK's chain; --s3-endpoint and
// --s3-region still choose the server). Used for --repository (where outputs are delivered) and --incoming
// (where inputs are fetched from, into a local mirror: incoming-mirror.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizePrefix, type RepositorySpec, RepositorySpecError } from './repository-spec.js';

/** Whether a folder setting is a URI rather than a plain path (a Windows drive letter is not a scheme). */
export function isRepositoryUri(text: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(text);
}

export function parseRepositoryUri(uri: string, cwd: string, where: string, s3: { readonly endpoint?: string | undefined; readonly region?: string | undefined } = {}): RepositorySpec {
  if (/^file:\/\//i.test(uri)) {
    try {
      return { kind: 'local', dir: fileURLToPath(uri) };
    } catch {
      throw new RepositorySpecError(`${where} ${JSON.stringify(uri)}: a file URL is file:///absolute/path, or use file:relative/path`);
    }
  }
  if (/^file:/i.test(uri)) {
    const dir = uri.slice('file:'.length);
    return { kind: 'local', dir: path.resolve(cwd, dir === '' ? '.' : dir) };
  }
  const s3Match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri);
  if (s3Match) {
    const bucket = s3Match[1]!;
    // S3's bucket naming rules: 3–63 characters of lower-case letters, digits, dots and dashes.
    // Not echoed: what stands where the bucket should be may be user:password@host.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new RepositorySpecError(`${where}: give s3://bucket/prefix with a valid bucket name (3–63 lower-case letters, digits, dots, dashes)`);
    return { kind: 's3', bucket, prefix: normalizePrefix(s3Match[2], where), endpoint: s3.endpoint, region: s3.region };
  }
  // Not echoed whole: a URL may carry a password.
  const scheme = uri.slice(0, uri.indexOf(':'));
  throw new RepositorySpecError(`${where}: ${scheme}: is not a repository this tool can use; give file:DIR or s3://bucket/prefix`);
}
