// A data repository in Azure Blob Storage: `--azure-conn-env NAME --azure-container C [--azure-path-prefix P]`.
// The connection string is read from the environment variable NAME (never from argv) and never printed.
import type { ContainerClient } from '@azure/storage-blob';
import { errorStatus, withRetry } from './retry.js';
import { assertRepositoryPath, type PutOptions, type Repository, type RepositoryEntry, type Versioned } from './repository.js';
import { redact } from './redact.js';
import { repositoryFailure } from './repository-error.js';

export class AzureRepository implements Repository {
  readonly description: string;
  private container: Promise<ContainerClient> | undefined;
  private created: Promise<void> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly containerName: string,
    private readonly prefix: string,
  ) {
    // Which server or account, so an unreachable one is recognisable; redacted (an endpoint URL may hold a password).
    const endpoint = /(?:^|;)\s*BlobEndpoint=([^;]+)/i.exec(connectionString)?.[1] ?? /(?:^|;)\s*AccountName=([^;]+)/i.exec(connectionString)?.[1];
    this.description = `Azure container ${containerName}${prefix ? `/${prefix}` : ''}${endpoint ? ` at ${redact(endpoint)}` : ''}`;
  }

  private client(): Promise<ContainerClient> {
    this.container ??= (async () => {
      const { BlobServiceClient } = await import('@azure/storage-blob');
      // Retries are ours (retry.ts), so the SDK tries once.
      const service = BlobServiceClient.fromConnectionString(this.connectionString, { retryOptions: { maxTries: 1 } });
      return service.getContainerClient(this.containerName);
    })().catch((error: unknown) => {
      this.container = undefined;
      throw repositoryFailure('opening', this.description, error);
    });
    return this.container;
  }

  /** The container for writing, created on the first write: reading (and so a no-op) never writes. */
  private async writable(): Promise<ContainerClient> {
    const container = await this.client();
    this.created ??= withRetry(() => container.createIfNotExists()).then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined;
        throw repositoryFailure('creating', this.description, error);
      },
    );
    await this.created;
    return container;
  }

  /** A missing container reads as an empty repository. */
  private static missing(error: unknown): boolean {
    const { status, code } = errorStatus(error);
    return status === 404 || code === 'ContainerNotFound';
  }

  private blobName(path: string): string {
    assertRepositoryPath(path);
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  private static headers(options: PutOptions): { blobContentType: string; blobCacheControl?: string } {
    return { blobContentType: options.contentType, ...(options.cacheControl ? { blobCacheControl: options.cacheControl } : {}) };
  }

  private fail(what: string, path: string, error: unknown): never {
    throw repositoryFailure(`${what} ${path}`, this.description, error);
  }

  async get(path: string): Promise<Buffer | undefined> {
    const blob = (await this.client()).getBlockBlobClient(this.blobName(path));
    try {
      return await withRetry(() => blob.downloadToBuffer());
    } catch (error) {
      if (AzureRepository.missing(error)) return undefined;
      this.fail('reading', path, error);
    }
  }

  async getFile(path: string, file: string): Promise<boolean> {
    const blob = (await this.client()).getBlockBlobClient(this.blobName(path));
    try {
      await withRetry(() => blob.downloadToFile(file));
      return true;
    } catch (error) {
      if (AzureRepository.missing(error)) return false;
      this.fail('reading', path, error);
    }
  }

  async put(path: string, body: Buffer, options: PutOptions): Promise<void> {
    const blob = (await this.writable()).getBlockBlobClient(this.blobName(path));
    try {
      await withRetry(() => blob.uploadData(body, { blobHTTPHeaders: AzureRepository.headers(options) }));
    } catch (error) {
      this.fail('writing', path, error);
    }
  }

  async putFile(path: string, file: string, options: PutOptions): Promise<void> {
    const blob = (await this.writable()).getBlockBlobClient(this.blobName(path));
    try {
      // uploadFile streams from disk, in blocks for large files; a block blob appears only when committed whole.
      await withRetry(() => blob.uploadFile(file, { blobHTTPHeaders: AzureRepository.headers(options) }));
    } catch (error) {
      this.fail('uploading', path, error);
    }
  }

  async *list(prefix: string): AsyncIterable<RepositoryEntry> {
    const container = await this.client();
    const base = this.prefix ? `${this.prefix}/` : '';
    // Page by page, each page retried on its own from its continuation token.
    let token: string | undefined;
    do {
      let page;
      try {
        page = await withRetry(async () => {
          const result = await container.listBlobsFlat({ prefix: base + prefix }).byPage({ maxPageSize: 5000, ...(token ? { continuationToken: token } : {}) }).next();
          return result.done ? undefined : result.value;
        });
      } catch (error) {
        if (AzureRepository.missing(error)) return;
        this.fail('listing', prefix || 'the root', error);
      }
      if (!page) return;
      for (const blob of page.segment.blobItems) yield { path: blob.name.slice(base.length), size: blob.properties.contentLength ?? 0, ...(blob.properties.etag ? { version: blob.properties.etag } : {}), ...(blob.properties.lastModified ? { modifiedMs: blob.properties.lastModified.getTime() } : {}) };
      token = page.continuationToken || undefined;
    } while (token);
  }

  async folders(prefix: string): Promise<string[]> {
    const container = await this.client();
    const base = (this.prefix ? `${this.prefix}/` : '') + (prefix ? `${prefix.replace(/\/$/, '')}/` : '');
    try {
      // A listing of folder names is short: on a transient failure it simply starts again.
      return await withRetry(async () => {
        const names: string[] = [];
        for await (const item of container.listBlobsByHierarchy('/', { prefix: base })) {
          if (item.kind === 'prefix') names.push(item.name.slice(base.length).replace(/\/$/, ''));
        }
        return names.sort();
      });
    } catch (error) {
      if (AzureRepository.missing(error)) return [];
      this.fail('listing', prefix || 'the root', error);
    }
  }

  async delete(path: string): Promise<void> {
    const blob = (await this.client()).getBlockBlobClient(this.blobName(path));
    try {
      await withRetry(() => blob.deleteIfExists());
    } catch (error) {
      if (AzureRepository.missing(error)) return;
      this.fail('deleting', path, error);
    }
  }

  async getVersioned(path: string): Promise<Versioned | undefined> {
    const blob = (await this.client()).getBlockBlobClient(this.blobName(path));
    try {
      return await withRetry(async () => {
        const response = await blob.download(0);
        const chunks: Buffer[] = [];
        for await (const chunk of response.readableStreamBody!) chunks.push(Buffer.from(chunk as Buffer));
        return { body: Buffer.concat(chunks), etag: response.etag! };
      });
    } catch (error) {
      if (AzureRepository.missing(error)) return undefined;
      this.fail('reading', path, error);
    }
  }

  async putIfMatch(path: string, body: Buffer, etag: string): Promise<string | undefined> {
    const blob = (await this.writable()).getBlockBlobClient(this.blobName(path));
    try {
      const response = await withRetry(() => blob.uploadData(body, { conditions: { ifMatch: etag }, blobHTTPHeaders: { blobContentType: 'application/json' } }));
      return response.etag;
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 412 || status === 404 || status === 409) return undefined;
      this.fail('replacing', path, error);
    }
  }

  async deleteIfMatch(path: string, etag: string): Promise<boolean> {
    const blob = (await this.client()).getBlockBlobClient(this.blobName(path));
    try {
      await withRetry(() => blob.delete({ conditions: { ifMatch: etag } }));
      return true;
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 412 || status === 404) return false;
      this.fail('deleting', path, error);
    }
  }

  async createExclusive(path: string, body: Buffer): Promise<boolean> {
    const blob = (await this.writable()).getBlockBlobClient(this.blobName(path));
    try {
      await withRetry(() => blob.uploadData(body, { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: 'application/json' } }));
      return true;
    } catch (error) {
      const status = errorStatus(error).status;
      if (status === 409 || status === 412) return false;
      this.fail('creating', path, error);
    }
  }
}
