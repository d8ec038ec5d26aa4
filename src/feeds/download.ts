// Downloading a feed's images: bounded per host, retried with backoff on 5xx and cut connections, resumed with
// a Range request where the server offers it (restarted otherwise), conditional on the last ETag/Last-Modified
// when the bytes are already here, capped in size, stalled transfers abandoned, and the bytes' real type checked
// (an HTML error page served as image/jpeg is an error, never an image). Bytes go to a temporary file beside the
// target and are renamed into place only when complete.
import fs from 'node:fs';
import { FeedError } from './feed-error.js';
import { hostGate } from './host-gate.js';
import { sniffImageType } from './sniff-image-type.js';

export interface DownloadOptions {
  readonly maxBytes: number;
  /** Give up on a transfer that sends nothing for this long. */
  readonly stallMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  /** A download of these bytes that is already here (the same URL): asked for conditionally. */
  readonly previous?: { readonly file: string; readonly etag?: string; readonly lastModified?: string };
  readonly signal?: AbortSignal;
  readonly onProgress?: (received: number, total: number | undefined) => void;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Downloaded {
  readonly bytes: number;
  readonly type: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** The server said the previous bytes are still current (304): they were copied, not downloaded. */
  readonly notModified: boolean;
  /** How many times the transfer was resumed from where it broke off. */
  readonly resumed: number;
}

class RetryableError extends Error {}

/** Download `url` into `file` (via `file`.part). */
export async function download(url: string, file: string, options: DownloadOptions): Promise<Downloaded> {
  const partial = `${file}.part`;
  fs.rmSync(partial, { force: true });
  let resumed = 0;
  let lastError: unknown;
  // The validators of the version being downloaded, known once its first response arrives: a resumed request
  // names them (If-Range), so a file replaced in between comes back whole instead of spliced.
  const seen: Validators = {};
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    options.signal?.throwIfAborted();
    const have = fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
    try {
      const result = await hostGate(url).run(() => transfer(url, partial, have, seen, options));
      if (result.kind === 'not-modified') {
        fs.copyFileSync(options.previous!.file, file);
        return { bytes: fs.statSync(file).size, type: sniffImageType(readHead(file)) ?? 'unknown', ...pick(options.previous!), notModified: true, resumed };
      }
      const head = readHead(partial);
      const type = sniffImageType(head);
      if (type === undefined) {
        const looksHtml = /^\s*(<!doctype html|<html|<\?xml|<head|<body)/i.test(head.toString('latin1'));
        throw new FeedError(`${shortUrl(url)} answered ${looksHtml ? 'an HTML page' : 'bytes that are no image format imgbuild reads'}${result.contentType ? ` (served as ${result.contentType})` : ''}, not an image`);
      }
      fs.renameSync(partial, file);
      return { bytes: result.size, type, ...pick(seen), notModified: false, resumed };
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt === options.attempts) {
        fs.rmSync(partial, { force: true });
        if (error instanceof RetryableError) throw new FeedError(`${error.message} (gave up after ${attempt} attempts)`);
        throw error;
      }
      lastError = error;
      if ((fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0) > have) resumed++;
      await sleep(options.backoffMs * 2 ** (attempt - 1), options.signal);
    }
  }
  throw lastError;
}

interface Validators {
  etag?: string;
  lastModified?: string;
}

type TransferResult = { readonly kind: 'not-modified' } | { readonly kind: 'complete'; readonly size: number; readonly contentType?: string };

async function transfer(url: string, partial: string, have: number, seen: Validators, options: DownloadOptions): Promise<TransferResult> {
  const controller = new AbortController();
  const abort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', abort, { once: true });
  let stallTimer: NodeJS.Timeout | undefined;
  const stall = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => controller.abort(new RetryableError(`${shortUrl(url)} sent nothing for ${Math.round(options.stallMs / 1000)} s`)), options.stallMs);
  };
  const headers: Record<string, string> = { 'user-agent': 'imgbuild', ...(options.headers ?? {}) };
  // Resume only the same version of the file: If-Range makes a changed file come back whole (200).
  if (have > 0 && (seen.etag || seen.lastModified)) {
    headers['range'] = `bytes=${have}-`;
    headers['if-range'] = seen.etag ?? seen.lastModified!;
  } else if (options.previous && fs.existsSync(options.previous.file)) {
    if (options.previous.etag) headers['if-none-match'] = options.previous.etag;
    if (options.previous.lastModified) headers['if-modified-since'] = options.previous.lastModified;
  }
  try {
    stall();
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw retryable(error, controller, url);
    }
    if (response.status === 304 && options.previous) {
      await response.body?.cancel();
      return { kind: 'not-modified' };
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      await response.body?.cancel();
      throw new RetryableError(`${shortUrl(url)} answered ${response.status}`);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new FeedError(`${shortUrl(url)} answered ${response.status} ${response.statusText}`.trim());
    }
    const resuming = response.status === 206 && have > 0 && response.headers.get('content-range')?.startsWith(`bytes ${have}-`) === true;
    if (!resuming) {
      // A whole new response: its validators are the ones a resumed request must name.
      seen.etag = response.headers.get('etag') ?? undefined;
      seen.lastModified = response.headers.get('last-modified') ?? undefined;
      if (response.status === 206) {
        await response.body?.cancel();
        throw new RetryableError(`${shortUrl(url)} answered a range that was not asked for`);
      }
    }
    const start = resuming ? have : 0;
    const length = Number(response.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? start + length : undefined;
    if (total !== undefined && total > options.maxBytes) {
      await response.body?.cancel();
      throw new FeedError(`${shortUrl(url)} is ${total} bytes, over the limit of ${options.maxBytes} (raise maxBytes in params.fetch)`);
    }
    const out = fs.openSync(partial, resuming ? 'a' : 'w');
    let size = start;
    try {
      if (response.body === null) throw new FeedError(`${shortUrl(url)} sent no body`);
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          stall();
          size += chunk.byteLength;
          if (size > options.maxBytes) {
            controller.abort();
            throw new FeedError(`${shortUrl(url)} sent more than the limit of ${options.maxBytes} bytes (raise maxBytes in params.fetch)`);
          }
          fs.writeSync(out, chunk);
          options.onProgress?.(size, total);
        }
      } catch (error) {
        if (error instanceof FeedError) throw error;
        throw retryable(error, controller, url);
      }
    } finally {
      fs.closeSync(out);
    }
    if (total !== undefined && size < total) throw new RetryableError(`${shortUrl(url)} ended after ${size} of ${total} bytes`);
    const contentType = response.headers.get('content-type') ?? undefined;
    return { kind: 'complete', size, ...(contentType ? { contentType } : {}) };
  } finally {
    clearTimeout(stallTimer);
    options.signal?.removeEventListener('abort', abort);
  }
}

/** A network failure is retried; our own stall timeout is too; the user's interrupt is not. */
function retryable(error: unknown, controller: AbortController, url: string): Error {
  const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
  if (reason instanceof RetryableError) return reason;
  if (controller.signal.aborted) return error as Error;
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  return new RetryableError(`${shortUrl(url)}: ${cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message ?? (error as Error).message}`);
}

function readHead(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(64);
    const read = fs.readSync(fd, buffer, 0, 64, 0);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

function pick(previous: { readonly etag?: string; readonly lastModified?: string }): { etag?: string; lastModified?: string } {
  return { ...(previous.etag ? { etag: previous.etag } : {}), ...(previous.lastModified ? { lastModified: previous.lastModified } : {}) };
}

/** A URL for messages: no query string (it may carry a token) and no user info. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return JSON.stringify(url.slice(0, 80));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
