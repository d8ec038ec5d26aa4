// How long archived files live, per image class and per site (Photon Ranch: info images 48 hours after they
// arrive, regular exposures and all-sky images forever unless configured). Durations are written `48h`,
// `30m`, `7d`, `90s`, or `never`.
import { ConfigError } from '../config/pipeline-config.js';

export type ImageClass = 'data' | 'info-images' | 'allsky';
export const IMAGE_CLASSES: readonly ImageClass[] = ['data', 'info-images', 'allsky'];

/** Milliseconds after arrival, or undefined for never. */
export type Lifetime = number | undefined;

export interface ExpiryPolicy {
  /** How often a watcher expires what is due on its own (ms). */
  readonly checkEveryMs: number;
  readonly byClass: Readonly<Record<ImageClass, Lifetime>>;
  /** Site → class → lifetime, overriding `byClass` for that site. */
  readonly bySite: Readonly<Record<string, Partial<Record<ImageClass, Lifetime>>>>;
}

/** The config's way of saying it: `{ 'info-images': '48h', data: 'never', sites: { sro: { 'info-images': '24h' } } }`. */
export interface ExpiryConfig {
  readonly data?: string;
  readonly 'info-images'?: string;
  readonly allsky?: string;
  readonly sites?: Readonly<Record<string, { readonly data?: string; readonly 'info-images'?: string; readonly allsky?: string }>>;
}

export const DEFAULT_EXPIRY: ExpiryPolicy = { checkEveryMs: 5 * 60_000, byClass: { data: undefined, 'info-images': 48 * 3600_000, allsky: undefined }, bySite: {} };

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** `48h` → milliseconds; `never` → undefined; anything else is a ConfigError naming where it was set. */
export function parseLifetime(text: unknown, where: string): Lifetime {
  if (text === 'never') return undefined;
  const match = typeof text === 'string' ? /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim()) : null;
  if (!match || Number(match[1]) <= 0) {
    throw new ConfigError(`${where} is ${JSON.stringify(text)}: give a duration such as '48h', '30m', '7d' or '90s', or 'never'`);
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function expiryPolicy(config: ExpiryConfig | undefined, file: string, every?: string): ExpiryPolicy {
  const checkEveryMs = every === undefined ? DEFAULT_EXPIRY.checkEveryMs : parseLifetime(every, `${file}: archive.expireEvery`);
  if (checkEveryMs === undefined) throw new ConfigError(`${file}: archive.expireEvery is 'never': give how often a watcher expires what is due, such as '5m'`);
  if (config === undefined) return { ...DEFAULT_EXPIRY, checkEveryMs };
  if (typeof config !== 'object' || config === null) throw new ConfigError(`${file}: archive.expire must be an object such as { 'info-images': '48h' }`);
  const byClass = { ...DEFAULT_EXPIRY.byClass };
  for (const key of Object.keys(config)) {
    if (key === 'sites') continue;
    if (!IMAGE_CLASSES.includes(key as ImageClass)) throw new ConfigError(`${file}: archive.expire.${key} is not an image class (data, info-images, allsky, or sites)`);
    byClass[key as ImageClass] = parseLifetime(config[key as ImageClass], `${file}: archive.expire.${key}`);
  }
  const bySite: Record<string, Partial<Record<ImageClass, Lifetime>>> = {};
  for (const [site, classes] of Object.entries(config.sites ?? {})) {
    const perSite: Partial<Record<ImageClass, Lifetime>> = {};
    for (const [key, value] of Object.entries(classes ?? {})) {
      if (!IMAGE_CLASSES.includes(key as ImageClass)) throw new ConfigError(`${file}: archive.expire.sites.${site}.${key} is not an image class (data, info-images, allsky)`);
      perSite[key as ImageClass] = parseLifetime(value, `${file}: archive.expire.sites.${site}.${key}`);
    }
    bySite[site] = perSite;
  }
  return { checkEveryMs, byClass, bySite };
}

/** The lifetime of a site's files of a class. */
export function lifetimeOf(policy: ExpiryPolicy, site: string, imageClass: ImageClass): Lifetime {
  const perSite = policy.bySite[site];
  return perSite !== undefined && imageClass in perSite ? perSite[imageClass] : policy.byClass[imageClass];
}
