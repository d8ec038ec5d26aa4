// A fault-injecting HTTP proxy with more faults than servers.ts's: 500s, stalls and truncated response bodies
// besides resets and 503s, and a hook that sees every request before it is forwarded (the reliability harness
// kills the CLI there, so a kill lands at an exact request).
import http from 'node:http';

export type ProxyFault = 'pass' | 'reset' | 'fail-500' | 'fail-503' | { stallMs: number } | 'truncate';

export interface ObservingProxy {
  readonly url: string;
  /** Requests seen: method and path, in order. */
  readonly requests: Array<{ method: string; url: string }>;
  policy: (request: { method: string; url: string; index: number }) => ProxyFault;
  stop(): Promise<void>;
}

export async function startObservingProxy(target: string): Promise<ObservingProxy> {
  const upstream = new URL(target);
  let index = 0;
  const proxy = { url: '', requests: [] as Array<{ method: string; url: string }>, policy: (() => 'pass') as ObservingProxy['policy'], stop: async () => undefined };
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, truncate: boolean): void => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      if (!truncate) return void response.pipe(res);
      // Half the body, then the connection is cut: the client must notice the short read.
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const all = Buffer.concat(chunks);
        res.write(all.subarray(0, Math.floor(all.length / 2)));
        res.socket?.destroy();
      });
    });
    out.on('error', () => res.destroy());
    out.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      proxy.requests.push({ method, url: req.url ?? '' });
      const fault = proxy.policy({ method, url: req.url ?? '', index: index++ });
      const body = Buffer.concat(chunks);
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === 'fail-500' || fault === 'fail-503') {
        const status = fault === 'fail-500' ? 500 : 503;
        res.writeHead(status, { 'content-type': 'application/xml' });
        return void res.end(`<?xml version="1.0"?><Error><Code>${status === 500 ? 'InternalError' : 'ServiceUnavailable'}</Code><Message>injected fault</Message></Error>`);
      }
      if (typeof fault === 'object') return void setTimeout(() => forward(req, res, body, false), fault.stallMs).unref();
      forward(req, res, body, fault === 'truncate');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  server.on('connection', (socket) => socket.unref());
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
