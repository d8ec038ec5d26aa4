// Item ids (the `{id}` of a node, e.g. an image id) become folder names in the work area and the data
// repository, so they must be safe whatever the file or feed they came from: no path separators, no `..`,
// no leading dot, no control characters, a bounded length.

const MAX_ID_LENGTH = 120;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(?<![._-])$/;

/** A filesystem- and URL-safe id from an arbitrary name; throws if nothing usable is left. */
export function sanitizeItemId(raw: string): string {
  if (raw.length <= MAX_ID_LENGTH && SAFE_ID.test(raw)) return raw; // the common case, without the slow path
  const safe = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop combining accents: "Orión" → "Orion"
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .replace(/_+$/, '')
    .slice(0, MAX_ID_LENGTH);
  if (safe === '' || /^\.+$/.test(safe)) {
    throw new Error(`${JSON.stringify(raw)} leaves no usable id once unsafe characters are removed; rename it`);
  }
  return safe;
}
