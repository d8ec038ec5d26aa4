// The per-data-set manifest `<id>/imgbuild.json`: written last when publishing, so its presence (with the
// right key) means every file it lists is in the repository.
import type { Repository } from './repository.js';

export const MANIFEST_NAME = 'imgbuild.json';

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface DataSetManifest {
  readonly format: 1;
  readonly id: string;
  /** Key of the publish node that wrote it: equal keys mean nothing to upload. */
  readonly key: string;
  readonly publishedAt: string;
  /** When its source published it (a feed's date), if known: orders the root index instead of publishedAt. */
  readonly sourcePublishedAt?: string;
  readonly files: readonly ManifestFile[];
}

/** The manifest of data set `id`, or undefined when there is none or it is unreadable (then: not published). */
export async function readManifest(repository: Repository, id: string): Promise<DataSetManifest | undefined> {
  const bytes = await repository.get(`${id}/${MANIFEST_NAME}`);
  if (bytes === undefined) return undefined;
  try {
    const manifest = JSON.parse(bytes.toString('utf8')) as DataSetManifest;
    return manifest.format === 1 && Array.isArray(manifest.files) ? manifest : undefined;
  } catch {
    return undefined;
  }
}
