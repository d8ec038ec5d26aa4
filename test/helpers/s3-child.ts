// s3rver in a child process: the CLI under test is a child too, and a test that blocks (spawnSync) or kills
// must not take the storage server with it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './project.js';
import type { RunningServer } from './servers.js';

const SCRIPT = `
import S3rver from 's3rver';
const [directory, ...buckets] = process.argv.slice(1);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
const address = await server.run();
console.log('listening ' + address.port);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

export async function startS3Child(buckets: string[]): Promise<RunningServer> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-s3child-'));
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, directory, ...buckets], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}):\n${output}`)));
    });
    child.stdout.resume();
    child.stderr.resume();
    return {
      url: `http://127.0.0.1:${port}`,
      stop: () =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            fs.rmSync(directory, { recursive: true, force: true });
            resolve();
          };
          if (child.exitCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    };
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}
