// Open the catalog the settings name: the SQLite file, or PostgreSQL from the environment variable named by
// --catalog-url-env / catalog.urlEnv (the URL is never on the command line or in a config file).
import type { CatalogLocation } from '../config/settings.js';
import { ImgbuildError } from '../errors.js';
import type { Catalog } from './catalog.js';
import { openPostgresCatalog } from './postgres-catalog.js';
import { openSqliteCatalog } from './sqlite-catalog.js';

export async function openCatalog(location: CatalogLocation, env: NodeJS.ProcessEnv = process.env): Promise<Catalog> {
  if (location.kind === 'sqlite') return openSqliteCatalog(location.file);
  const url = env[location.urlEnv];
  if (url === undefined || url.trim() === '') {
    throw new ImgbuildError('environment', `the catalog URL variable ${location.urlEnv} is not set (--catalog-url-env names it): export ${location.urlEnv}=postgres://user:password@host:5432/database`);
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ImgbuildError('usage', `${location.urlEnv} does not hold a postgres:// URL: set it to postgres://user:password@host:5432/database`);
  }
  return openPostgresCatalog(url, `$${location.urlEnv}`);
}
