// What the repository knows about each archived exposure: `imgbuild/exposures/<id>.json`, written after the
// exposure's files (so a record that says "published" is never ahead of its files), with the key it was
// built from, the files and their hashes, when it first arrived and when it expires. An expired or replaced
// exposure keeps its record as a tombstone: the incoming files that are still on disk are not published again.
import type { Repository } from '../repo/repository.js';
import type { ImageClass } from './expiry-policy.js';

export const RECORDS_PREFIX = 'imgbuild/exposures/';

export interface ExposureFile {
  /** Repository path: `data/<file>`, `info-images/<site>/<channel>/<file>`, `allsky/<file>`. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface ExposureRecord {
  readonly format: 1;
  /** The node item: the base filename, with `info-<channel>-` or `allsky-` in front for those classes. */
  readonly id: string;
  readonly baseFilename: string;
  readonly imageClass: ImageClass;
  readonly site: string;
  readonly channel?: string;
  /** The key of the node that published it. */
  readonly key: string;
  readonly files: readonly ExposureFile[];
  /** ISO time it was first published (kept when it is published again). */
  readonly arrived: string;
  /** ISO time it expires, or undefined for never. */
  readonly expires?: string;
  readonly state: 'published' | 'expired' | 'replaced';
  /** For expired and replaced: when, and (replaced) by which exposure. */
  readonly endedAt?: string;
  readonly replacedBy?: string;
  /** The catalog row for a regular exposure, so that `catalog rebuild` needs nothing else. */
  readonly row?: unknown;
}

export function recordPath(id: string): string {
  return `${RECORDS_PREFIX}${id}.json`;
}

export async function readExposureRecord(repository: Repository, id: string): Promise<ExposureRecord | undefined> {
  const body = await repository.get(recordPath(id));
  if (body === undefined) return undefined;
  try {
    const record = JSON.parse(body.toString('utf8')) as ExposureRecord;
    return record.format === 1 && Array.isArray(record.files) ? record : undefined;
  } catch {
    return undefined; // unreadable: as if absent, so the exposure is published again and the record rewritten
  }
}

export async function writeExposureRecord(repository: Repository, record: ExposureRecord): Promise<void> {
  await repository.put(recordPath(record.id), Buffer.from(JSON.stringify(record, null, 1)), { contentType: 'application/json', cacheControl: 'no-cache' });
}

/** Every record in the repository. */
export async function allExposureRecords(repository: Repository): Promise<ExposureRecord[]> {
  const records: ExposureRecord[] = [];
  for await (const entry of repository.list(RECORDS_PREFIX)) {
    if (!entry.path.endsWith('.json')) continue;
    const id = entry.path.slice(RECORDS_PREFIX.length, -'.json'.length);
    if (id.includes('/')) continue;
    const record = await readExposureRecord(repository, id);
    if (record) records.push(record);
  }
  return records;
}
