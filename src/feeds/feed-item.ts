// What a feed says of one image, checked and normalised: the producer (rules/feeds/feed.ts) lists it, the fetch
// rule downloads its image and writes its metadata, the feed's place rule places it. Everything a feed sends is
// untrusted text: numbers may arrive as strings, fields may be missing, huge or hold markup; each problem is one
// line naming the field.
import type { AvmSpatial } from '../wwt/avm.js';
import type { Json } from '../graph/rule.js';

/** The normalised metadata of an item, as the fetch rule writes it and the place rule reads it. */
export interface FeedMetadata {
  readonly imageUrl: string;
  readonly title: string;
  readonly credits?: string;
  readonly creditsUrl?: string;
  readonly description?: string;
  /** ISO 8601 (UTC) time the source published it: orders the root index. */
  readonly published?: string;
  readonly spatial: AvmSpatial;
}

export class FeedFieldError extends Error {
  override readonly name = 'FeedFieldError';
}

/** Longest text a field may hold (a description of a few pages is normal; a megabyte is not a description). */
export const TEXT_LIMITS = { title: 1_000, credits: 4_000, description: 64_000, url: 4_000 } as const;

type Raw = Readonly<Record<string, unknown>>;

/** A text field: trimmed, undefined when empty or absent; an error when it is no text or too long. */
export function textField(raw: Raw, name: string, limit: number): string | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new FeedFieldError(`${name} is not text`);
  const text = String(value).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').trim();
  if (text.length > limit) throw new FeedFieldError(`${name} is ${text.length} characters long (the limit is ${limit})`);
  return text === '' ? undefined : text;
}

export function requiredText(raw: Raw, name: string, limit: number): string {
  const text = textField(raw, name, limit);
  if (text === undefined) throw new FeedFieldError(`it has no ${name}`);
  return text;
}

/** An http(s) URL, or an error naming the field. */
export function urlField(raw: Raw, name: string, base?: string): string | undefined {
  const text = textField(raw, name, TEXT_LIMITS.url);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new FeedFieldError(`${name} ${JSON.stringify(text.slice(0, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FeedFieldError(`${name} is a ${url.protocol} URL, not http(s)`);
  return url.href;
}

/** A number that may arrive as a string ("1.5e-5"). */
export function numberOf(value: unknown, name: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number)) throw new FeedFieldError(`${name} is ${JSON.stringify(value)?.slice(0, 60)}, not a number`);
  return number;
}

/** `count` numbers (strings allowed) from an array field. */
export function numbersOf(value: unknown, name: string, count: number): number[] {
  if (!Array.isArray(value) || value.length < count) throw new FeedFieldError(`${name} must hold ${count} numbers, found ${JSON.stringify(value)?.slice(0, 80) ?? 'nothing'}`);
  return value.slice(0, count).map((v, i) => numberOf(v, `${name}[${i}]`));
}

/** Checks that make a spatial description usable, whatever feed it came from. */
export function checkSpatial(spatial: AvmSpatial, prefix: string): AvmSpatial {
  const [ra, dec] = spatial.referenceValue;
  if (dec < -90 || dec > 90) throw new FeedFieldError(`${prefix}reference value has declination ${dec}, outside −90…90`);
  if (!Number.isFinite(ra)) throw new FeedFieldError(`${prefix}reference value has no right ascension`);
  if (spatial.referenceDimension && !spatial.referenceDimension.every((v) => v > 0)) {
    throw new FeedFieldError(`${prefix}reference dimension must be two positive pixel counts, found ${JSON.stringify(spatial.referenceDimension)}`);
  }
  if (spatial.scale && spatial.scale.some((v) => v === 0)) throw new FeedFieldError(`${prefix}scale must be two non-zero numbers, found ${JSON.stringify(spatial.scale)}`);
  return spatial;
}

/** A feed's date as ISO 8601 UTC; a date without a zone is UTC (as toasty reads it); undefined when unusable. */
export function isoDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  const time = Date.parse(zoned);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

export function asJson(value: FeedMetadata | Readonly<Record<string, unknown>>): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}
