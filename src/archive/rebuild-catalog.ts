// `imgbuild catalog rebuild`: a lost or damaged catalog is never lost data. The rows come back from the
// repository: from imgbuild's exposure records (which keep each row as it was catalogued) and, for regular
// exposures another tool put in data/ (no record), from their header `.txt` file, else from their names.
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogRow } from '../catalog/catalog-row.js';
import type { Repository } from '../repo/repository.js';
import { parseArchiveName } from './archive-name.js';
import { withFlags } from './exposure-flags.js';
import { allExposureRecords } from './exposure-record.js';
import { exposureRow } from './exposure-row.js';
import { headerFromText } from './header-cards.js';

export interface RebuildCounts {
  readonly rows: number;
  readonly fromRecords: number;
  readonly fromFiles: number;
}

export async function rebuildCatalog(repository: Repository, catalog: Catalog, warn: (message: string) => void): Promise<RebuildCounts> {
  const rows = new Map<string, CatalogRow>();
  let fromRecords = 0;
  for (const record of await allExposureRecords(repository)) {
    if (record.imageClass !== 'data' || record.state !== 'published' || record.row === undefined) continue;
    rows.set(record.baseFilename, withFlags(record.row as CatalogRow, record.files.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1))));
    fromRecords++;
  }
  // Exposures in data/ that no record describes: group their files by base filename.
  const groups = new Map<string, string[]>();
  for await (const entry of repository.list('data/')) {
    const fileName = entry.path.slice('data/'.length);
    if (fileName.includes('/')) continue;
    const parsed = parseArchiveName(fileName);
    if (!parsed.ok || rows.has(parsed.name.baseFilename)) continue;
    groups.set(parsed.name.baseFilename, [...(groups.get(parsed.name.baseFilename) ?? []), fileName]);
  }
  let fromFiles = 0;
  for (const [base, files] of groups) {
    const names = files.flatMap((f) => {
      const parsed = parseArchiveName(f);
      return parsed.ok ? [parsed.name] : [];
    });
    const txt = files.find((f) => f.toLowerCase().endsWith('.txt'));
    const body = txt === undefined ? undefined : await repository.get(`data/${txt}`);
    const header = body === undefined ? undefined : headerFromText(body.toString('latin1'));
    for (const warning of header?.warnings ?? []) warn(`data/${txt}: ${warning.message}`);
    rows.set(base, withFlags(exposureRow(names[0]!, header?.header), files));
    fromFiles++;
  }
  // One transaction: a failure (or a kill) midway keeps the old catalog instead of leaving it empty.
  await catalog.replaceAll([...rows.values()]);
  return { rows: rows.size, fromRecords, fromFiles };
}
