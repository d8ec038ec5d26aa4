// `imgbuild expire`: remove from the repository (and the catalog) every archived exposure whose time is up.
// Per exposure: its record becomes a tombstone first (state expired, files still listed), then its files go,
// then its catalog row; a kill anywhere leaves a record that says what is expired, and the next run finishes
// removing its files. Tombstones stay, so the files still in incoming are not published again.
import type { Catalog } from '../catalog/catalog.js';
import type { Repository } from '../repo/repository.js';
import { channelRecordPath } from './archive-layout.js';
import { allExposureRecords, type ExposureRecord, writeExposureRecord } from './exposure-record.js';

export interface ExpiredExposure {
  readonly id: string;
  readonly baseFilename: string;
  readonly imageClass: ExposureRecord['imageClass'];
  readonly expires: string;
  readonly files: number;
}

export interface ExpireOptions {
  readonly now: Date;
  /** Say what would go, remove nothing. */
  readonly dryRun?: boolean;
  /** Remove regular exposures' rows here too. */
  readonly catalog?: Catalog;
}

export async function expireArchive(repository: Repository, options: ExpireOptions): Promise<ExpiredExposure[]> {
  const expired: ExpiredExposure[] = [];
  for (const record of await allExposureRecords(repository)) {
    const due = record.expires !== undefined && Date.parse(record.expires) <= options.now.getTime();
    // An expired record whose files are not all gone (a kill midway) is finished now.
    const unfinished = record.state === 'expired' && record.files.length > 0;
    if (!(record.state === 'published' && due) && !unfinished) continue;
    expired.push({ id: record.id, baseFilename: record.baseFilename, imageClass: record.imageClass, expires: record.expires ?? '', files: record.files.length });
    if (options.dryRun) continue;
    const tombstone: ExposureRecord = { ...record, state: 'expired', endedAt: record.endedAt ?? options.now.toISOString() };
    await writeExposureRecord(repository, tombstone);
    for (const file of record.files) await repository.delete(file.path);
    if (record.imageClass === 'data') await options.catalog?.remove([record.baseFilename]);
    if (record.imageClass === 'info-images' && record.channel !== undefined) {
      // The channel shows nothing now: the next info image takes it, whatever its name.
      const path = channelRecordPath(record.site, record.channel);
      const occupant = await repository.get(path);
      if (occupant !== undefined && (JSON.parse(occupant.toString('utf8')) as { id?: string }).id === record.id) await repository.delete(path);
    }
    await writeExposureRecord(repository, { ...tombstone, files: [] });
  }
  return expired;
}
