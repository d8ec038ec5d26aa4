// `imgbuild serve`: the review page (what `wwtdatatool preview` is for toasty), served on loopback. It lists the
// data sets in the work folder and the repository, shows one in the real WWT engine (bundled, served from here:
// the page needs no internet), approves and rejects them exactly as the CLI does (src/review/review-actions.ts),
// and shows the build's live progress when a build or watcher runs in the same process.
//
// Safety: it binds to 127.0.0.1 unless told otherwise; a request whose Host is not this server's is refused (a
// DNS-rebinding page cannot reach it); a write needs the per-process token the page carries and, when the
// browser says where it comes from, this server's Origin, so a page elsewhere cannot approve anything through
// the user's browser.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../engine-location.js';
import { ImgbuildError } from '../errors.js';
import type { BuildSession } from '../run/build-session.js';
import { approve, reject } from '../review/review-actions.js';
import { listDataSets } from '../review/review-list.js';
import { nodeLog } from '../runs/run-status.js';
import { firstEntry, relocatedEntry } from '../wwt/wtml.js';
import type { EventHub } from './event-hub.js';
import { reviewPage } from './review-page.js';

export interface ReviewServerOptions {
  readonly host?: string;
  /** 0: any free port. */
  readonly port?: number;
  /** The build's events, when a build or watcher runs in this process. */
  readonly events?: EventHub;
}

export interface ReviewServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The largest request body read (a rejection's reason). */
const MAX_BODY = 64 * 1024;

/** A transparent 1×1 PNG: the engine's own textures (planets, stars), which freestanding review does not need. */
const BLANK_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.wtml': 'application/xml; charset=utf-8',
  '.json': 'application/json',
};

export async function startReviewServer(session: BuildSession, options: ReviewServerOptions = {}): Promise<ReviewServer> {
  const host = options.host ?? '127.0.0.1';
  const token = crypto.randomBytes(24).toString('base64url');
  const engine = engineScript();
  let origin = '';
  let allowedHosts = new Set<string>();
  let anyInterface = false;
  /**
   * Host names this server answers to: its own address, localhost and the loopback literals; bound to every
   * interface (--host 0.0.0.0), also any IP literal and this machine's name on its port. Never another domain
   * name: a DNS-rebinding page reaches the server under a name of its own, and is refused.
   */
  const hostAllowed = (host: string): boolean => {
    if (allowedHosts.has(host)) return true;
    if (!anyInterface) return false;
    const port = `:${new URL(origin).port}`;
    if (!host.endsWith(port)) return false;
    const name = host.slice(0, -port.length);
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-f:.]+\]$/.test(name) || name === os.hostname().toLowerCase();
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof ImgbuildError ? error.message : 'internal error (see the terminal)';
      if (!(error instanceof ImgbuildError)) process.stderr.write(`imgbuild serve: ${(error as Error)?.stack ?? String(error)}\n`);
      if (!res.headersSent) send(res, error instanceof ImgbuildError && error.kind === 'usage' ? 400 : 500, { error: message });
      else res.end();
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hostAllowed(host)) return send(res, 421, { error: 'this server answers only to its own address' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      return send(res, 400, { error: 'bad request target' });
    }
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    } catch {
      return send(res, 400, { error: 'bad path' });
    }
    if (req.method === 'POST') return handlePost(req, res, parts);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET or POST only' });
    if (url.pathname === '/') {
      res.writeHead(200, { ...securityHeaders(), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(reviewPage(token));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === '/engine/wwtlib.js') return sendFile(res, engine, 'text/javascript; charset=utf-8');
    if (parts[0] === 'engine' && parts[1] === 'assets') {
      // The engine's own assets (planet textures, constellation data): blank, so nothing is fetched from outside.
      if (url.pathname.endsWith('.png')) return sendBytes(res, BLANK_PNG, 'image/png');
      // The text glyphs' index (grid labels): none here, so the engine draws no labels instead of failing.
      if (url.pathname.endsWith('.xml')) return sendBytes(res, Buffer.from('<?xml version="1.0"?><GlyphFiles></GlyphFiles>'), 'text/xml');
      return sendBytes(res, Buffer.alloc(0), 'text/plain');
    }
    if (url.pathname === '/api/datasets') {
      const list = await listDataSets(session);
      return send(res, 200, { requireApproval: list.requireApproval, dataSets: list.dataSets.map((d) => ({ ...d, from: d.inWork ? 'work' : 'repo' })) });
    }
    if (parts[0] === 'api' && parts[1] === 'datasets' && parts.length === 4 && parts[3] === 'preview.wtml') return previewWtml(res, parts[2]!);
    if (url.pathname === '/api/events') return streamEvents(req, res);
    if (parts[0] === 'api' && parts[1] === 'log' && parts.length === 3) {
      // A node's last log (what imgbuild log NODE-ID prints), as plain text.
      const log = nodeLog(session.settings.cache, parts[2]!);
      const text = log.kind === 'log' ? log.text : log.kind === 'never-ran' ? `${log.record.id} never ran (${log.record.state}: ${log.record.message ?? ''})\n` : `no log for ${parts[2]}\n`;
      return sendBytes(res, Buffer.from(text), 'text/plain; charset=utf-8');
    }
    if (parts[0] === 'work' && parts.length > 1) return sendWorkFile(res, parts.slice(1));
    if (parts[0] === 'repo' && parts.length > 1) return sendRepositoryFile(res, parts.slice(1));
    send(res, 404, { error: 'not found' });
  };

  const handlePost = async (req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): Promise<void> => {
    // Only the page may write: its token, its origin, and JSON (which a cross-site form cannot send).
    if (req.headers['x-imgbuild-token'] !== token) return send(res, 403, { error: 'missing or wrong token: use the review page this server serves' });
    // The page's own origin is the address it was opened at (127.0.0.1, localhost, or this machine's address).
    if (req.headers.origin !== undefined && req.headers.origin.toLowerCase() !== `http://${(req.headers.host ?? '').toLowerCase()}`) {
      return send(res, 403, { error: `requests from ${req.headers.origin} are refused` });
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, { error: 'send JSON' });
    const body = await readBody(req);
    if (parts.length !== 4 || parts[0] !== 'api' || parts[1] !== 'datasets' || (parts[3] !== 'approve' && parts[3] !== 'reject')) return send(res, 404, { error: 'not found' });
    const id = parts[2]!;
    if (parts[3] === 'approve') {
      const result = await approve(session, [id], 'exact');
      return send(res, result.unmatched.length > 0 ? 404 : 200, result);
    }
    const why = typeof (body as { why?: unknown } | undefined)?.why === 'string' ? (body as { why: string }).why : '';
    if (why.trim() === '') return send(res, 400, { error: 'say why it is rejected' });
    const result = await reject(session, [id], why, 'exact');
    return send(res, result.unmatched.length > 0 ? 404 : 200, result);
  };

  /** The data set's WTML with its relative URLs made to point at this server's copy (work folder or repository). */
  const previewWtml = async (res: http.ServerResponse, id: string): Promise<void> => {
    const local = path.join(session.settings.work, id, 'index_rel.wtml');
    const inWork = safeSegment(id) && fs.existsSync(local);
    const text = inWork ? fs.readFileSync(local, 'utf8') : safeSegment(id) ? (await session.repository.get(`${id}/index_rel.wtml`))?.toString('utf8') : undefined;
    const entry = text === undefined ? undefined : firstEntry(text);
    if (entry === undefined) return send(res, 404, { error: `${id} has no index_rel.wtml in the work folder or the repository` });
    const base = `/${inWork ? 'work' : 'repo'}/${encodeURIComponent(id)}/`;
    let relocated = relocatedEntry(entry, base);
    // A work folder not laid out as published (without the review-index rule) keeps its levels under tiles/.
    if (inWork && !fs.existsSync(path.join(session.settings.work, id, '0')) && fs.existsSync(path.join(session.settings.work, id, 'tiles'))) {
      relocated = relocated.replace(/\bUrl="([^"]*)"/, (_m, url: string) => `Url="${url.replace(base, `${base}tiles/`)}"`);
    }
    const wtml = `<?xml version='1.0' encoding='UTF-8'?>\n<Folder Name="review" Group="Explorer" Browseable="True">\n  ${relocated}\n</Folder>\n`;
    sendBytes(res, Buffer.from(wtml), TYPES['.wtml']!);
  };

  const sendWorkFile = (res: http.ServerResponse, segments: string[]): void => {
    if (!segments.every(safeSegment)) return send(res, 400, { error: 'bad path' });
    const file = path.join(session.settings.work, ...segments);
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      return send(res, 404, { error: 'not found' });
    }
    // Level links point into the same data set's tiles/; nothing outside the work folder is served.
    const work = fs.realpathSync(session.settings.work);
    if (path.relative(work, real).startsWith('..') || !fs.statSync(real).isFile()) return send(res, 404, { error: 'not found' });
    sendFile(res, real, TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream');
  };

  const sendRepositoryFile = async (res: http.ServerResponse, segments: string[]): Promise<void> => {
    if (!segments.every(safeSegment)) return send(res, 400, { error: 'bad path' });
    const local = session.repository.localFile?.(segments.join('/'));
    if (local !== undefined) {
      // A local repository's links may point anywhere: serve only what really is inside it.
      let real: string;
      try {
        real = fs.realpathSync(local);
      } catch {
        return send(res, 404, { error: 'not found' });
      }
      const root = fs.realpathSync(path.resolve(local, ...segments.map(() => '..')));
      if (path.relative(root, real).startsWith('..') || path.isAbsolute(path.relative(root, real))) return send(res, 404, { error: 'not found' });
    }
    const bytes = await session.repository.get(segments.join('/'));
    if (bytes === undefined) return send(res, 404, { error: 'not found' });
    sendBytes(res, bytes, TYPES[path.extname(segments.at(-1)!).toLowerCase()] ?? 'application/octet-stream');
  };

  const streamEvents = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: hello\ndata: ${JSON.stringify({ live: options.events !== undefined })}\n\n`);
    const stop = options.events?.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    const end = (): void => {
      clearInterval(keepAlive);
      stop?.();
    };
    req.on('close', end);
    res.on('close', end);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ImgbuildError('usage', `port ${options.port} on ${host} is in use: choose another with --port N (or --port 0 for any free one)`) : error),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as { port: number };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  origin = `http://${shownHost}:${address.port}`;
  allowedHosts = new Set([`${shownHost}:${address.port}`, `localhost:${address.port}`, `127.0.0.1:${address.port}`, `[::1]:${address.port}`].map((h) => h.toLowerCase()));
  anyInterface = host === '0.0.0.0' || host === '::';
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `${origin}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would hold the server open for ever.
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** One path segment that stays where it is put: no '..', no separators, no NUL. */
function safeSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !/[/\\\0]/.test(segment);
}

function securityHeaders(): Record<string, string> {
  // Nothing on the page may reach outside this server: the engine's requests to worldwidetelescope.org and
  // elsewhere are turned off here (the page also puts the engine in freestanding mode).
  return {
    'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function sendBytes(res: http.ServerResponse, bytes: Buffer, type: string): void {
  res.writeHead(200, { 'content-type': type, 'content-length': bytes.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(bytes);
}

function sendFile(res: http.ServerResponse, file: string, type: string): void {
  const size = fs.statSync(file).size;
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  fs.createReadStream(file).pipe(res);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ImgbuildError('usage', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ImgbuildError('usage', 'the request body is not JSON');
  }
}

/** The WWT engine's script: the copy the build put beside the bundle, or the package's own in a checkout. */
function engineScript(): string {
  const copied = path.join(PACKAGE_ROOT, 'dist', 'serve-assets', 'wwtlib.js');
  if (fs.existsSync(copied)) return copied;
  try {
    return createRequire(path.join(PACKAGE_ROOT, 'package.json')).resolve('@wwtelescope/engine');
  } catch {
    throw new ImgbuildError('environment', `the WWT engine for the review page is missing (${copied}): run npm install && npm run build in ${PACKAGE_ROOT}`);
  }
}
