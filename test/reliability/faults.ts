// Faults between the CLI and the storage server (the observing proxy in front of Azurite and s3rver):
// transient ones (a reset, 500/503, a stall, a truncated body) are survived by retry; a permanent one fails
// the publish and leaves the previous publish intact.
import type { RepositorySpec } from '../../src/repo/repository-spec.js';
import { TempProject } from '../helpers/project.js';
import { azureConnectionString, S3_CREDENTIALS, startAzurite, type RunningServer } from '../helpers/servers.js';
import { startObservingProxy, type ObservingProxy, type ProxyFault } from '../helpers/fault-proxy.js';
import { startS3Child } from '../helpers/s3-child.js';
import { PREFIX, repositoryProblems, repoView, row, type Row, runCli, writeVersionedPng } from './harness-kit.js';

interface FaultCase {
  readonly name: string;
  readonly transient: boolean;
  /** Given the n-th matching request (0-based), what to do. */
  fault(n: number, method: string, url: string): ProxyFault;
}

const CASES: FaultCase[] = [
  { name: 'one reset', transient: true, fault: (n, m) => (m === 'PUT' && n === 0 ? 'reset' : 'pass') },
  { name: 'two 503s', transient: true, fault: (n, m) => (m === 'PUT' && n < 2 ? 'fail-503' : 'pass') },
  { name: 'one 500', transient: true, fault: (n, m) => (m === 'PUT' && n === 1 ? 'fail-500' : 'pass') },
  { name: 'a 3 s stall', transient: true, fault: (n, m) => (m === 'PUT' && n === 0 ? { stallMs: 3000 } : 'pass') },
  { name: 'a truncated body', transient: true, fault: (n, m) => (m === 'GET' && n === 0 ? 'truncate' : 'pass') },
  { name: 'every PUT 503 (permanent)', transient: false, fault: (_n, m) => (m === 'PUT' ? 'fail-503' : 'pass') },
  { name: 'every PUT reset (permanent)', transient: false, fault: (_n, m) => (m === 'PUT' ? 'reset' : 'pass') },
];

async function faultRow(name: string, server: RunningServer, flags: (proxy: string, scope: string) => string[], spec: (scope: string) => RepositorySpec, env: (proxy: string) => Record<string, string>): Promise<Row> {
  const out = row(name);
  let proxy: ObservingProxy | undefined;
  const project = new TempProject('imgbuild-reliability-faults-');
  try {
    proxy = await startObservingProxy(server.url);
    for (const [i, c] of CASES.entries()) {
      const scope = `f${i}`;
      const args = (work: string): string[] => ['all', '--json', '--incoming', 'incoming', '--work', work, '--cache', `cache-${work}`, '--publish-url-prefix', PREFIX, ...flags(proxy!.url, scope)];
      await writeVersionedPng(project.path('incoming/img.png'), 700, 500, 0);
      proxy.policy = () => 'pass';
      const first = await runCli(project.dir, args(`w${i}`), env(proxy.url), 90_000);
      if (first.code !== 0) {
        out.notes.push(`${name} ${c.name}: the first publish failed without faults: ${first.stderr.slice(0, 160)}`);
        continue;
      }
      const view = await repoView(spec(scope), env(server.url));
      const before = (await view.read('img/imgbuild.json'))!.toString('utf8');
      await writeVersionedPng(project.path('incoming/img.png'), 700, 500, 1);
      const seen: Record<string, number> = {};
      proxy.policy = ({ method, url }) => c.fault((seen[method] = (seen[method] ?? -1) + 1), method, url);
      out.tried++;
      const faulty = await runCli(project.dir, args(`w${i}`), env(proxy.url), 120_000);
      proxy.policy = () => 'pass';
      const problems = await repositoryProblems(view);
      const after = (await view.read('img/imgbuild.json'))?.toString('utf8');
      const wrong: string[] = [...problems];
      if (c.transient && faulty.code !== 0) wrong.push(`not survived: exit ${faulty.code} ${(faulty.stderr.split('\n').find((l) => l.startsWith('error')) ?? '').slice(0, 140)}`);
      if (!c.transient) {
        if (faulty.code !== 1) wrong.push(`exit ${faulty.code}, expected 1`);
        if (after !== before) wrong.push('the previous publish was not left intact');
      }
      out.lost += problems.length + (!c.transient && after !== before && after === undefined ? 1 : 0);
      if (wrong.length === 0) out.handled++;
      else out.notes.push(`${name} ${c.name}: ${wrong.slice(0, 2).join('; ')}`);
    }
  } finally {
    await proxy?.stop();
    project.remove();
  }
  return out;
}

export async function faults(): Promise<Row[]> {
  const rows: Row[] = [];
  const azurite = await startAzurite();
  const guard = async (name: string, work: () => Promise<Row>): Promise<Row> =>
    work().catch((error: unknown) => ({ ...row(name), lost: 1, notes: [`${name}: harness error: ${(error as Error).message.split('\n')[0]}`] }));
  try {
    rows.push(
      await guard('faults: Azurite', () => faultRow(
        'faults: Azurite',
        azurite,
        (_p, scope) => ['--azure-conn-env', 'RELIABILITY_AZURE', '--azure-container', 'faults', '--azure-path-prefix', scope],
        (scope) => ({ kind: 'azure', connEnv: 'RELIABILITY_AZURE', container: 'faults', pathPrefix: scope }),
        (url) => ({ RELIABILITY_AZURE: azureConnectionString(url) }),
      )),
    );
  } finally {
    await azurite.stop();
  }
  const s3 = await startS3Child(['faults']);
  try {
    rows.push(
      await guard('faults: s3rver', () => faultRow(
        'faults: s3rver',
        s3,
        (proxy, scope) => ['--s3-bucket', 'faults', '--s3-prefix', scope, '--s3-endpoint', proxy],
        (scope) => ({ kind: 's3', bucket: 'faults', prefix: scope, endpoint: s3.url }),
        () => ({ ...S3_CREDENTIALS, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
      )),
    );
  } finally {
    await s3.stop();
  }
  return rows;
}
