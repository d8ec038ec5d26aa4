// One open catalog per location for the whole process: every catalog node of a build (and every batch of a
// watcher) shares it, instead of opening a database per exposure.
import type { CatalogLocation } from '../config/settings.js';
import type { Catalog } from './catalog.js';
import { openCatalog } from './open-catalog.js';

const open = new Map<string, Promise<Catalog>>();

function keyOf(location: CatalogLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${location.file}` : `postgres:${location.urlEnv}`;
}

export function catalogFor(location: CatalogLocation): Promise<Catalog> {
  const key = keyOf(location);
  const known = open.get(key);
  if (known !== undefined) return known;
  const opening = openCatalog(location);
  // A failed open (a server that is down) is not remembered: the next node tries again.
  opening.catch(() => open.delete(key));
  open.set(key, opening);
  return opening;
}

/** Close every catalog this process opened (the CLI calls it before exiting). */
export async function closeCatalogs(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  for (const catalog of all) {
    try {
      await (await catalog).close();
    } catch {
      // it never opened: nothing to close
    }
  }
}
