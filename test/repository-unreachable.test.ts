// A repository that cannot be reached, or that we have no credentials for, ends the run with one line naming
// the repository and what to do (exit 1), through the real CLI against a closed port on 127.0.0.1; a password
// in the endpoint URL never appears.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeCoordinatePng } from './helpers/images.js';
import { TempProject } from './helpers/project.js';
import { S3_CREDENTIALS } from './helpers/servers.js';

const PASSWORD = 'Pa55-w0rd-that-must-never-show';
const CLOSED = '127.0.0.1:9'; // the discard port: nothing listens there on a test machine

function assertOneLine(result: { code: number; stdout: string; stderr: string }, names: RegExp, remedy: RegExp): void {
  const everything = result.stdout + result.stderr;
  assert.is(result.code, 1, everything);
  assert.match(result.stderr, names);
  assert.match(result.stderr, remedy);
  assert.not.match(everything, /\n\s+at /, 'no stack trace');
  assert.not.ok(everything.includes(PASSWORD), `the URL password is never printed:\n${everything}`);
}

async function project(): Promise<TempProject> {
  const p = new TempProject('imgbuild-unreachable-');
  await writeCoordinatePng(p.path('incoming', 'm1.png'), 40, 30);
  return p;
}

test('S3 at a closed port, with a password in the endpoint URL: one line, exit 1, no password', async () => {
  const p = await project();
  try {
    const result = p.cli(['all', '--s3-bucket', 'b', '--s3-endpoint', `http://user:${PASSWORD}@${CLOSED}`], S3_CREDENTIALS);
    assertOneLine(result, /S3 bucket b at http:\/\/user:\[secret\]@127\.0\.0\.1:9/, /could not be reached: check that it is running/);
  } finally {
    p.remove();
  }
});

test('Azure at a closed port: one line naming the container, exit 1', async () => {
  const p = await project();
  try {
    const conn = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from(PASSWORD).toString('base64')};BlobEndpoint=http://${CLOSED}/devstoreaccount1;`;
    const result = p.cli(['all', '--azure-conn-env', 'IMGBUILD_UNREACHABLE_CONN', '--azure-container', 'c'], { IMGBUILD_UNREACHABLE_CONN: conn });
    assertOneLine(result, /Azure container c/, /could not be reached/);
  } finally {
    p.remove();
  }
});

test('no AWS credentials at all: one line saying which variables to set, exit 1', async () => {
  const p = await project();
  try {
    const result = p.cli(['all', '--s3-bucket', 'b', '--s3-endpoint', `http://${CLOSED}`], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_SHARED_CREDENTIALS_FILE: p.path('no-credentials'),
      AWS_CONFIG_FILE: p.path('no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      HOME: p.dir,
    });
    assertOneLine(result, /S3 bucket b/, /no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  } finally {
    p.remove();
  }
});

test.run();
