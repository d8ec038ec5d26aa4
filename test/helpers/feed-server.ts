// A local HTTP server on 127.0.0.1 that plays a feed's sites: an AstroPix-style JSON feed, a Djangoplicity-style
// site (search pages with `var images = [...]`, api/json pages) and the images, with ETags, conditional requests,
// Range/If-Range, and the misbehaviours the tests need (slow, cut half-way, never ending, HTML for an image).
// Every request is logged, so tests count what the CLI asked for.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Resource {
  body: Buffer;
  type: string;
  status?: number;
  /** Cut the connection after this many bytes, the first `cutTimes` times it is asked for whole. */
  cutAfter?: number;
  cutTimes?: number;
  /** Send in chunks of this size, this many ms apart. */
  slowChunk?: number;
  slowMs?: number;
  /** Send the headers and a few bytes, then nothing, for ever. */
  hang?: boolean;
  /** Answer 503 the first this-many times it is asked for. */
  failTimes?: number;
  /** No ETag header (the server offers no validators). */
  noEtag?: boolean;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

export class FeedServer {
  readonly resources = new Map<string, Resource>();
  readonly log: LoggedRequest[] = [];
  private readonly cuts = new Map<string, number>();
  /** Requests being answered now, and the most there ever were at once (per-host concurrency). */
  private active = 0;
  maxActive = 0;
  private readonly sockets = new Set<import('node:net').Socket>();
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  set(path: string, resource: Resource): void {
    this.resources.set(path, resource);
  }

  /** Requests whose path starts with `prefix` (and, optionally, with this status). */
  requests(prefix: string, status?: number): LoggedRequest[] {
    return this.log.filter((r) => r.path.startsWith(prefix) && (status === undefined || r.status === status));
  }

  clearLog(): void {
    this.log.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.once('close', () => this.active--);
    const path = req.url ?? '/';
    const resource = this.resources.get(path) ?? this.resources.get(path.split('?')[0]!);
    const respond = (status: number): void => {
      this.log.push({ method: req.method ?? 'GET', path, status, headers: req.headers });
      res.statusCode = status;
    };
    if (!resource) {
      respond(404);
      res.end('not found');
      return;
    }
    const failed = this.cuts.get(`503 ${path}`) ?? 0;
    if (resource.failTimes !== undefined && failed < resource.failTimes) {
      this.cuts.set(`503 ${path}`, failed + 1);
      respond(503);
      res.end('busy');
      return;
    }
    if (resource.status !== undefined && resource.status !== 200) {
      respond(resource.status);
      res.end(`status ${resource.status}`);
      return;
    }
    const etag = `"${crypto.createHash('sha1').update(resource.body).digest('hex').slice(0, 16)}"`;
    if (!resource.noEtag) res.setHeader('etag', etag);
    res.setHeader('content-type', resource.type);
    if (!resource.noEtag && req.headers['if-none-match'] === etag) {
      respond(304);
      res.end();
      return;
    }
    let body = resource.body;
    const range = /^bytes=(\d+)-$/.exec(req.headers['range'] ?? '');
    if (range && !resource.noEtag && (req.headers['if-range'] === undefined || req.headers['if-range'] === etag)) {
      const start = Number(range[1]);
      respond(206);
      res.setHeader('content-range', `bytes ${start}-${body.length - 1}/${body.length}`);
      body = body.subarray(start);
    } else respond(200);
    res.setHeader('content-length', String(body.length));
    if (resource.hang) {
      res.write(body.subarray(0, Math.min(16, body.length)));
      return; // and nothing more, ever (the test server's stop() destroys the socket)
    }
    const cutSoFar = this.cuts.get(path) ?? 0;
    if (resource.cutAfter !== undefined && res.statusCode === 200 && cutSoFar < (resource.cutTimes ?? 1)) {
      this.cuts.set(path, cutSoFar + 1);
      res.write(body.subarray(0, resource.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (resource.slowChunk !== undefined) {
      let offset = 0;
      const next = (): void => {
        res.write(body.subarray(offset, offset + resource.slowChunk!));
        offset += resource.slowChunk!;
        // Ended with the last byte, so a client that has it all is not still counted as being answered.
        if (offset >= body.length) res.end();
        else setTimeout(next, resource.slowMs ?? 50);
      };
      next();
      return;
    }
    res.end(body);
  }
}

/** An AstroPix feed entry for an image of `width`×`height` (referenced at twice that size), centred on (ra, dec). */
export function astroPixEntry(id: string, imageUrl: string, options: { ra?: number; dec?: number; title?: string; width?: number; height?: number; projection?: string } = {}): Record<string, unknown> {
  const width = options.width ?? 400;
  const height = options.height ?? 200;
  return {
    publisher_id: 'test',
    image_id: id,
    title: options.title ?? `Image ${id}`,
    resource_url: imageUrl,
    reference_url: `https://example.org/images/${id}`,
    image_credit: 'Test Observatory',
    description: `The image ${id}.`,
    wcs_projection: options.projection ?? 'TAN',
    wcs_coordinate_frame: 'ICRS',
    wcs_equinox: 'J2000',
    // As AstroPix sends them: numbers as strings, dimensions with decimal points.
    wcs_reference_value: [String(options.ra ?? 150), String(options.dec ?? 20)],
    wcs_reference_dimension: [`${width * 2}.0`, `${height * 2}.0`],
    wcs_reference_pixel: [String(width + 0.5), String(height + 0.5)],
    wcs_scale: ['-0.001', '0.001'],
    wcs_rotation: '0',
  };
}
