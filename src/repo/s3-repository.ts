// A data repository in S3 or an S3-compatible server: `--s3-bucket B [--s3-prefix P] [--s3-endpoint URL]
// [--s3-region R]`. Credentials come from the AWS SDK's standard chain (environment, profile), never argv.
// With an endpoint, path-style addressing, as S3-compatible servers expect.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorStatus, withRetry } from './retry.js';
import { assertRepositoryPath, type PutOptions, type Repository, type RepositoryEntry, type Versioned } from './repository.js';
import { redact } from './redact.js';
import { repositoryFailure } from './repository-error.js';

type S3Module = typeof import('@aws-sdk/client-s3');

export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

export class S3Repository implements Repository {
  readonly description: string;
  private sdk: Promise<{ s3: S3Module; client: S3Client }> | undefined;

  constructor(private readonly location: S3Location) {
    this.description = `S3 bucket ${location.bucket}${location.prefix ? `/${location.prefix}` : ''}${location.endpoint ? ` at ${redact(location.endpoint)}` : ''}`;
  }

  private open(): Promise<{ s3: S3Module; client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((s3) => ({
      s3,
      client: new s3.S3Client({
        region: this.location.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
        maxAttempts: 1, // retries are ours (retry.ts)
        // An S3-compatible server may not understand the SDK's default flexible checksums (s3rver stores the
        // aws-chunked framing as the object's bytes): send and check them only when the operation requires them.
        ...(this.location.endpoint
          ? { endpoint: this.location.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
          : {}),
      }),
    }));
    return this.sdk;
  }

  private key(path: string): string {
    assertRepositoryPath(path);
    return this.location.prefix ? `${this.location.prefix}/${path}` : path;
  }

  private static headers(options: PutOptions): { ContentType: string; CacheControl?: string } {
    return { ContentType: options.contentType, ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}) };
  }

  private fail(what: string, path: string, error: unknown): never {
    throw repositoryFailure(`${what} ${path}`, this.description, error);
  }

  async get(path: string): Promise<Buffer | undefined> {
    const { s3, client } = await this.open();
    try {
      return await withRetry(async () => {
        const response = await client.send(new s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
        return Buffer.from(await response.Body!.transformToByteArray());
      });
    } catch (error) {
      const { status, code } = errorStatus(error);
      if (status === 404 || code === 'NoSuchKey') return undefined;
      this.fail('reading', path, error);
    }
  }

  async getFile(path: string, file: string): Promise<boolean> {
    const { s3, client } = await this.open();
    try {
      return await withRetry(async () => {
        const response = await client.send(new s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
        // Streamed to the file: a FITS file of gigabytes never sits in memory. A retry starts the file again.
        await pipeline(response.Body as NodeJS.ReadableStream, fs.createWriteStream(file));
        return true;
      });
    } catch (error) {
      const { status, code } = errorStatus(error);
      if (status === 404 || code === 'NoSuchKey') return false;
      this.fail('reading', path, error);
    }
  }

  async put(path: string, body: Buffer, options: PutOptions): Promise<void> {
    const { s3, client } = await this.open();
    try {
      await withRetry(() =>
        client.send(
          new s3.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(path), Body: body, ...S3Repository.headers(options) }),
        ),
      );
    } catch (error) {
      this.fail('writing', path, error);
    }
  }

  async putFile(path: string, file: string, options: PutOptions): Promise<void> {
    const { s3, client } = await this.open();
    try {
      await withRetry(async () => {
        // A fresh stream per attempt: a retried request must send the whole body again.
        const size = (await fs.promises.stat(file)).size;
        await client.send(
          new s3.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: this.key(path),
            Body: size <= 8 << 20 ? await fs.promises.readFile(file) : fs.createReadStream(file),
            ContentLength: size,
            ...S3Repository.headers(options),
          }),
        );
      });
    } catch (error) {
      this.fail('uploading', path, error);
    }
  }

  async *list(prefix: string): AsyncIterable<RepositoryEntry> {
    const { s3, client } = await this.open();
    const base = this.location.prefix ? `${this.location.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await withRetry(() => client.send(new s3.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: base + prefix, ...(token ? { ContinuationToken: token } : {}) }))).catch((error: unknown) =>
        this.fail('listing', prefix || 'the root', error),
      );
      for (const object of page.Contents ?? []) yield { path: object.Key!.slice(base.length), size: object.Size ?? 0, ...(object.ETag ? { version: object.ETag } : {}), ...(object.LastModified ? { modifiedMs: object.LastModified.getTime() } : {}) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async folders(prefix: string): Promise<string[]> {
    const { s3, client } = await this.open();
    const base = (this.location.prefix ? `${this.location.prefix}/` : '') + (prefix ? `${prefix.replace(/\/$/, '')}/` : '');
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await withRetry(() => client.send(new s3.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: base, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }))).catch((error: unknown) =>
        this.fail('listing', prefix || 'the root', error),
      );
      for (const common of page.CommonPrefixes ?? []) names.push(common.Prefix!.slice(base.length).replace(/\/$/, ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names.sort();
  }

  async delete(path: string): Promise<void> {
    const { s3, client } = await this.open();
    try {
      await withRetry(() => client.send(new s3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) })));
    } catch (error) {
      this.fail('deleting', path, error);
    }
  }

  async getVersioned(path: string): Promise<Versioned | undefined> {
    const { s3, client } = await this.open();
    try {
      return await withRetry(async () => {
        const response = await client.send(new s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(path) }));
        return { body: Buffer.from(await response.Body!.transformToByteArray()), etag: response.ETag! };
      });
    } catch (error) {
      const { status, code } = errorStatus(error);
      if (status === 404 || code === 'NoSuchKey') return undefined;
      this.fail('reading', path, error);
    }
  }

  // S3 enforces If-Match on PutObject and DeleteObject; s3rver ignores it, so the version is also compared
  // just before (which leaves, on such a server only, a window of one request between the look and the write).
  async putIfMatch(path: string, body: Buffer, etag: string): Promise<string | undefined> {
    const { s3, client } = await this.open();
    if ((await this.getVersioned(path))?.etag !== etag) return undefined;
    try {
      const response = await withRetry(() =>
        client.send(new s3.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(path), Body: body, IfMatch: etag, ContentType: 'application/json' })),
      );
      return response.ETag;
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 412 || status === 404 || status === 409) return undefined;
      this.fail('replacing', path, error);
    }
  }

  async deleteIfMatch(path: string, etag: string): Promise<boolean> {
    const { s3, client } = await this.open();
    if ((await this.getVersioned(path))?.etag !== etag) return false;
    try {
      await withRetry(() => client.send(new s3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(path), IfMatch: etag })));
      return true;
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 412 || status === 404) return false;
      this.fail('deleting', path, error);
    }
  }

  async createExclusive(path: string, body: Buffer): Promise<boolean> {
    const { s3, client } = await this.open();
    // S3 enforces If-None-Match: * itself; some S3-compatible servers ignore it, so look first as well.
    if ((await this.get(path)) !== undefined) return false;
    try {
      await withRetry(() =>
        client.send(new s3.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(path), Body: body, IfNoneMatch: '*', ContentType: 'application/json' })),
      );
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 412 || status === 409) return false;
      this.fail('creating', path, error);
    }
    // On a server that ignores If-None-Match, two writers racing between the look and the write could both
    // get here: read back, and keep the lock only if it holds our bytes.
    const stored = await this.get(path);
    return stored !== undefined && stored.equals(body);
  }
}
