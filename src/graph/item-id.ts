// Item ids (the `{id}` of a node, e.g. an image id) become folder names in the work area and the data
// repository, so they must be safe whatever the file or feed they came from: no path separators, no `..`,
// no leading dot, no trailing dot (Windows and some blob tools drop it), no control characters, a bounded
// length, and never a name the repository itself uses. The rule, as the README states it:
//   1. accents are dropped (`Orión` → `Orion`);
//   2. every run of characters other than A–Z, a–z, 0–9, `.`, `_`, `-` becomes one `_`;
//   3. leading and trailing `.`, `_` and `-` are removed; at most 120 characters are kept.
// So `Messier 42 (copy)` → `Messier_42_copy`.

const MAX_ID_LENGTH = 120;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(?<![._-])$/;

/** A name that leaves no usable id, or one the repository reserves. */
export class ItemIdError extends Error {
  override readonly name = 'ItemIdError';
}

/** Names the data repository uses itself, compared case-insensitively (macOS and Windows folders ignore case). */
const RESERVED_IDS = new Set(['index.wtml', 'index_rel.wtml', 'toasty-pipeline-config.yaml', 'imgbuild-pipeline-config.yaml']);
/** Our own files and folders (manifests, locks, state, progress, temporary files) start with `imgbuild`. */
const RESERVED_PREFIXES = ['imgbuild'];
/** Lock, temporary and state names a repository or a tool may keep beside the data sets. */
const RESERVED_SUFFIXES = ['.lock', '.tmp', '.part', '.json', '.jsonl', '.yaml', '.yml', '.wtml'];

/** Why `id` may not be used because the repository needs the name, or undefined. */
export function reservedIdReason(id: string): string | undefined {
  const lower = id.toLowerCase();
  if (RESERVED_IDS.has(lower)) return `${id} is a file of the data repository itself`;
  const prefix = RESERVED_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix !== undefined) return `ids starting with "${prefix}" are reserved for the repository's own files`;
  const suffix = RESERVED_SUFFIXES.find((s) => lower.endsWith(s));
  if (suffix !== undefined) return `ids ending in "${suffix}" are reserved for the repository's lock, state and index files`;
  return undefined;
}

/** A filesystem- and URL-safe id from an arbitrary name; throws ItemIdError if nothing usable is left. */
export function sanitizeItemId(raw: string): string {
  if (raw.length <= MAX_ID_LENGTH && SAFE_ID.test(raw)) return raw; // the common case, without the slow path
  const safe = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop combining accents: "Orión" → "Orion"
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_ID_LENGTH)
    .replace(/[._-]+$/, '');
  if (safe === '') throw new ItemIdError('leaves no usable id once unsafe characters are removed');
  return safe;
}
