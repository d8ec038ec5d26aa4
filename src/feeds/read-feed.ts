// Reading a feed over HTTP: AstroPix's one JSON answer (asked conditionally with the last ETag/Last-Modified,
// so an unchanged feed costs one small 304), or a Djangoplicity site's search pages until a 404. Requests are
// retried on 5xx and cut connections, bounded in time and size, and wait their turn per host.
import { FeedError } from './feed-error.js';
import type { FeedReading } from './feed-reading.js';
import type { FeedSource } from './feed-source.js';
import { readAstroPixFeed } from './astropix.js';
import { djangoplicityCandidate, searchPageEntries, searchPageUrl } from './djangoplicity.js';
import { FeedFieldError } from './feed-item.js';
import { hostGate } from './host-gate.js';
import { shortUrl } from './download.js';

/** What the last read of an AstroPix feed answered, to ask for it conditionally next time. */
export interface FeedCache {
  readonly url: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly body: string;
}

export interface FeedRead {
  readonly reading: FeedReading;
  readonly cache?: FeedCache;
  /** Requests made to the feed's server. */
  readonly requests: number;
  readonly notModified: boolean;
}

const MAX_FEED_BYTES = 256 * 1024 * 1024;
const MAX_PAGES = 10_000;

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

interface TextAnswer {
  readonly status: number;
  readonly body: string;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** GET `url` as text, retried on 5xx and network failures; 4xx answers are returned, not thrown. */
export async function getText(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<TextAnswer & { attempts: number }> {
  const attempts = envNumber('IMGBUILD_FEED_ATTEMPTS', 4);
  const backoff = envNumber('IMGBUILD_FEED_BACKOFF_MS', 500);
  const timeout = envNumber('IMGBUILD_FEED_TIMEOUT_MS', 120_000);
  let last = '';
  for (let attempt = 1; attempt <= Math.max(1, attempts); attempt++) {
    signal?.throwIfAborted();
    try {
      const answer = await hostGate(url).run(async () => {
        const limit = AbortSignal.timeout(timeout);
        const response = await fetch(url, { headers: { 'user-agent': 'imgbuild', ...headers }, signal: signal ? AbortSignal.any([signal, limit]) : limit });
        if (response.status >= 500 || response.status === 429 || response.status === 408) {
          await response.body?.cancel();
          return { retry: `answered ${response.status}` } as const;
        }
        const length = Number(response.headers.get('content-length') ?? 0);
        if (length > MAX_FEED_BYTES) {
          await response.body?.cancel();
          throw new FeedError(`${shortUrl(url)} is ${length} bytes, more than a feed may be (${MAX_FEED_BYTES})`);
        }
        const body = await response.text();
        if (body.length > MAX_FEED_BYTES) throw new FeedError(`${shortUrl(url)} sent more than a feed may be (${MAX_FEED_BYTES} bytes)`);
        const etag = response.headers.get('etag') ?? undefined;
        const lastModified = response.headers.get('last-modified') ?? undefined;
        return { status: response.status, body, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      });
      if ('retry' in answer && answer.retry !== undefined) last = answer.retry;
      else return { ...answer, attempts: attempt };
    } catch (error) {
      if (error instanceof FeedError || signal?.aborted) throw error;
      last = (error as Error).name === 'TimeoutError' ? `did not answer within ${Math.round(timeout / 1000)} s` : networkReason(error);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoff * 2 ** (attempt - 1)));
  }
  throw new FeedError(`${shortUrl(url)}: ${last} (gave up after ${attempts} attempts)`);
}

/** What a failed request's cause says (fetch wraps it: "fetch failed" says nothing). */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message ?? (error as Error).message;
}

export async function readFeed(source: FeedSource, previous: FeedCache | undefined, signal?: AbortSignal, status?: (step: string) => void): Promise<FeedRead> {
  if (source.type === 'astropix') {
    const url = source.jsonQueryUrl;
    const conditional = previous?.url === url ? previous : undefined;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (conditional?.etag) headers['if-none-match'] = conditional.etag;
    if (conditional?.lastModified) headers['if-modified-since'] = conditional.lastModified;
    status?.(`reading ${shortUrl(url)}`);
    const answer = await getText(url, headers, signal);
    if (answer.status === 304 && conditional) {
      return { reading: readAstroPixFeed(conditional.body, shortUrl(url)), cache: conditional, requests: answer.attempts, notModified: true };
    }
    if (answer.status !== 200) throw new FeedError(`the AstroPix feed ${shortUrl(url)} answered ${answer.status}: check json_query_url`);
    const cache: FeedCache = { url, body: answer.body, ...(answer.etag ? { etag: answer.etag } : {}), ...(answer.lastModified ? { lastModified: answer.lastModified } : {}) };
    return { reading: readAstroPixFeed(answer.body, shortUrl(url)), cache, requests: answer.attempts, notModified: false };
  }
  const reading: FeedReading = { candidates: [], refused: [], ignored: [], problems: [] };
  let requests = 0;
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const url = searchPageUrl(source, page);
    status?.(`reading search page ${page}`);
    const answer = await getText(url, { accept: 'text/html' }, signal);
    requests += answer.attempts;
    if (answer.status === 404) break;
    if (answer.status !== 200) throw new FeedError(`search page ${page} (${shortUrl(url)}) answered ${answer.status}`);
    const entries = searchPageEntries(answer.body);
    if (entries === undefined) {
      reading.problems.push(`search page ${page} (${shortUrl(url)}) has no "var images = [...]" list: the site's pages are not what imgbuild reads; items after it are not known`);
      break;
    }
    for (const [index, entry] of entries.entries()) {
      try {
        const candidate = djangoplicityCandidate(entry, source);
        if (seen.has(candidate.id)) continue;
        seen.add(candidate.id);
        reading.candidates.push(candidate);
      } catch (error) {
        if (!(error instanceof FeedFieldError)) throw error;
        const id = typeof entry['id'] === 'string' ? entry['id'].slice(0, 100) : `page ${page} #${index + 1}`;
        reading.refused.push({ id, problem: `${error.message}; it is left out` });
      }
    }
    if (page === MAX_PAGES) reading.problems.push(`the site has more than ${MAX_PAGES} search pages; only those were read`);
  }
  return { reading, requests, notModified: false };
}
