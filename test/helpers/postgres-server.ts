// A real PostgreSQL server for the catalog tests, started on 127.0.0.1 on a free port in a temporary folder
// (Debian's postgresql package: initdb and pg_ctl), stopped and removed in the test's finally. As root, the
// server runs as the `postgres` user (PostgreSQL refuses to run as root).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  /** postgres://imgbuild:PASSWORD@127.0.0.1:PORT/imgbuild */
  readonly url: string;
  readonly password: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) if (fs.existsSync(path.join(root, version, 'bin', 'pg_ctl'))) return path.join(root, version, 'bin');
  throw new Error('PostgreSQL is not installed (apt-get install -y postgresql); .ci/run installs it');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-pg-'));
  const data = path.join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]): void => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', path.join(bin, program), ...args] : [path.join(bin, program), ...args];
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PGPASSWORD: password } });
    if (result.status !== 0) throw new Error(`${program} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  };
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, password);
  if (asRoot) execFileSync('chown', ['postgres:postgres', pwfile]);
  run('initdb', ['-D', data, '-U', 'imgbuild', '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = async (): Promise<void> => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'imgbuild', 'imgbuild']);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://imgbuild:${encodeURIComponent(password)}@127.0.0.1:${port}/imgbuild`, password, stop };
}
