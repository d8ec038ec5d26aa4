// `name.allsky.yaml` beside an image: it is an all-sky map, to be tiled as TOAST.
//   projection: plate-carree | plate-carree-ecliptic | plate-carree-galactic | plate-carree-planet
//   depth: 6          (optional: the level whose resolution matches the image's)
// A mistake is one line naming the file and the fix.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/pipeline-config.js';
import { quoteName } from '../quote-name.js';
import { ALL_SKY_PROJECTIONS, type AllSkyProjection } from './plate-carree-sampler.js';
import { TILE_SIZE } from './toast-geometry.js';

export interface AllSky {
  readonly projection: AllSkyProjection;
  /** Deepest TOAST level, ≥ 1. */
  readonly depth: number;
}

/** The deepest level whose equator (≈ 2√2 · 256 · 2^depth pixels around) is at least as fine as the map's. */
export function defaultToastDepth(width: number): number {
  return Math.min(12, Math.max(1, Math.ceil(Math.log2(width / (2 * Math.SQRT2 * TILE_SIZE)))));
}

export const MAX_TOAST_DEPTH = 12;

/** The sidecar's settings for a map `width` pixels wide. */
export async function readAllSkySidecar(file: string, width: number): Promise<AllSky> {
  const shown = quoteName(path.basename(file));
  const YAML = (await import('yaml')).default;
  let parsed: unknown;
  try {
    parsed = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${shown} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${shown} must be a mapping: projection: plate-carree (and optionally depth: N)`);
  for (const key of Object.keys(record)) {
    if (key !== 'projection' && key !== 'depth') throw new ConfigError(`${shown}: unknown setting ${JSON.stringify(key)} (known: projection, depth)`);
  }
  const projection = record['projection'];
  if (typeof projection !== 'string' || !(ALL_SKY_PROJECTIONS as readonly string[]).includes(projection)) {
    throw new ConfigError(`${shown}: projection must be one of ${ALL_SKY_PROJECTIONS.join(', ')}${projection === undefined ? '' : `, not ${JSON.stringify(projection)}`}`);
  }
  const depth = record['depth'] ?? defaultToastDepth(width);
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > MAX_TOAST_DEPTH) {
    throw new ConfigError(`${shown}: depth must be a whole number from 1 to ${MAX_TOAST_DEPTH}, not ${JSON.stringify(depth)}`);
  }
  return { projection: projection as AllSkyProjection, depth };
}
