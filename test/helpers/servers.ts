// Real storage servers for the repository tests, on 127.0.0.1 only, started and stopped by the tests:
// Azurite (Azure Blob Storage), s3rver (S3), and a fault-injecting HTTP proxy that sits in front of either.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './project.js';

/** Azurite's documented development account (public, not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

export function azureConnectionString(endpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${endpoint}/${DEV_ACCOUNT};`;
}

export async function startAzurite(): Promise<RunningServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/azurite/dist/src/blob/main.js'), '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--extentMemoryLimit', '512'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`Azurite exited (${code}):\n${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

export async function startS3(buckets: string[]): Promise<RunningServer> {
  const { default: S3rver } = await import('s3rver');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await server.run();
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

export type FaultDecision = 'pass' | 'fail-503' | 'reset';

export interface FaultProxy extends RunningServer {
  /** Requests seen, by method (`PUT`, `GET`, …), and request body bytes by method. */
  readonly counts: Record<string, number>;
  readonly bytes: Record<string, number>;
  /** Every request seen: method and path. */
  readonly requests: Array<{ method: string; url: string }>;
  /** Decide what happens to each request; the default passes everything. */
  policy: (request: { method: string; url: string; index: number }) => FaultDecision;
  reset(): void;
}

/** An HTTP proxy in front of a storage server that can fail chosen requests (503) or cut the connection. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let index = 0;
  const proxy: FaultProxy = {
    url: '',
    counts: {},
    bytes: {},
    requests: [],
    policy: () => 'pass',
    reset() {
      for (const key of Object.keys(this.counts)) delete this.counts[key];
      for (const key of Object.keys(this.bytes)) delete this.bytes[key];
      this.requests.length = 0;
    },
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const body = Buffer.concat(chunks);
      proxy.counts[method] = (proxy.counts[method] ?? 0) + 1;
      proxy.bytes[method] = (proxy.bytes[method] ?? 0) + body.length;
      proxy.requests.push({ method, url: req.url ?? '' });
      const decision = proxy.policy({ method, url: req.url ?? '', index: index++ });
      if (decision === 'reset') {
        req.socket.destroy();
        return;
      }
      if (decision === 'fail-503') {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>injected fault</Message></Error>');
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  server.on('connection', (socket) => socket.unref());
  return proxy;
}
