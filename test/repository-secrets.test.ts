// Connection strings come from an environment variable named on the command line, and never appear in
// output, errors or JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from './helpers/project.js';
import { writeCoordinatePng } from './helpers/images.js';

const SECRET_KEY = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWstZXZlcg==';

test('a connection string missing from the environment: a clear error naming the variable', () => {
  const p = new TempProject('imgbuild-secret-');
  const result = p.cli(['all', '--azure-conn-env', 'IMGBUILD_NOT_SET_ANYWHERE', '--azure-container', 'c']);
  assert.is(result.code, 1, 'missing credentials are the environment\'s (exit 1), as missing AWS credentials');
  assert.match(result.stderr, /environment variable IMGBUILD_NOT_SET_ANYWHERE \(named by --azure-conn-env\) is not set/);
  p.remove();
});

test('--azure-conn-env without a container, or two repositories at once, is a usage error', () => {
  const p = new TempProject('imgbuild-secret-');
  assert.match(p.cli(['all', '--azure-conn-env', 'X']).stderr, /needs both --azure-conn-env NAME .* and --azure-container C/);
  assert.match(p.cli(['all', '--local', 'r', '--s3-bucket', 'b']).stderr, /give one data repository/);
  p.remove();
});

test('a server that cannot be reached: the error names the repository, never the key', async () => {
  const p = new TempProject('imgbuild-secret-');
  await writeCoordinatePng(p.path('x.png'), 10, 10).catch(async () => {
    (await import('node:fs')).mkdirSync(p.path('incoming'), { recursive: true });
  });
  // The endpoint is named in the message (so the user knows which server), and this one carries the key as a URL
  // password: the message would contain the secret if redaction did nothing.
  const conn = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${SECRET_KEY};BlobEndpoint=http://devstoreaccount1:${SECRET_KEY}@127.0.0.1:9/devstoreaccount1;`;
  for (const json of [false, true]) {
    const result = p.cli(['all', '--azure-conn-env', 'IMGBUILD_TEST_CONN', '--azure-container', 'c', ...(json ? ['--json'] : [])], { IMGBUILD_TEST_CONN: conn });
    assert.ok(result.code !== 0);
    const everything = result.stdout + result.stderr;
    assert.match(everything, /Azure container c at http:\/\/devstoreaccount1:\[secret\]@127\.0\.0\.1:9\/devstoreaccount1/);
    assert.not.ok(everything.includes(SECRET_KEY), 'the account key is never printed');
    assert.not.ok(everything.includes(SECRET_KEY.slice(0, 20)));
  }
  p.remove();
});

test('a connection string written into the config is refused', () => {
  const p = new TempProject('imgbuild-secret-');
  p.write('pipeline.config.ts', `import { defineConfig } from 'imgbuild';\nexport default defineConfig({ azure: { connEnv: 'AccountName=x;AccountKey=${SECRET_KEY}', container: 'c' } });\n`);
  const result = p.cli(['all']);
  assert.is(result.code, 2);
  assert.match(result.stderr, /NAME of an environment variable/);
  assert.not.ok(result.stderr.includes(SECRET_KEY));
  p.remove();
});

test.run();
