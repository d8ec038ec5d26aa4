// Inputs and outputs named as CALDP names them: `--incoming s3://bucket/prefix` fetched into a local mirror
// through the S3 adapter (against a real S3-compatible server), `--repository s3://…` and `file:DIR`.
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { caldpProject, RAW, rawFits } from './helpers/caldp-project.js';
import { startS3Child } from './helpers/s3-child.js';
import { S3_CREDENTIALS } from './helpers/servers.js';

test('--incoming s3://raw/inputs --repository s3://out/batch-22: datasets fetched, processed and delivered; a changed or removed input is followed', async () => {
  const s3 = await startS3Child(['raw', 'out']);
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const p = caldpProject(false);
  try {
    for (const [id, seed] of RAW) await client.send(new PutObjectCommand({ Bucket: 'raw', Key: `inputs/${id}_raw.fits`, Body: rawFits(seed) }));
    // A "folder" object, as consoles make them: no file, and nothing to say about it.
    await client.send(new PutObjectCommand({ Bucket: 'raw', Key: 'inputs/calibration/', Body: Buffer.alloc(0) }));
    const args = ['all', '--keep-going', '--incoming', 's3://raw/inputs', '--repository', 's3://out/batch-22', '--s3-endpoint', s3.url];
    const first = p.cli(args, S3_CREDENTIALS);
    assert.is(first.code, 1, first.stderr); // j8cb99999 fails, as the program refuses it
    assert.match(first.stderr, /incoming s3:\/\/raw\/inputs: fetched 3 files \(0 unchanged\)/);
    assert.not.match(first.stderr, /not a usable file name/);
    const get = async (key: string): Promise<Buffer | undefined> => {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: 'out', Key: key }));
        return Buffer.from(await response.Body!.transformToByteArray());
      } catch {
        return undefined;
      }
    };
    assert.equal(await get('batch-22/data/acs/j8cb010b0/j8cb010b0_flt.fits'), rawFits(1));
    assert.equal(await get('batch-22/data/acs/j8cb010c0/j8cb010c0_flt.fits'), rawFits(2));
    assert.ok(await get('batch-22/data/acs/j8cb010c0/previews/flt_thumb.jpg'));
    assert.equal(await get('batch-22/messages/datasets-processed/j8cb010b0'), Buffer.alloc(0));
    assert.is(await get('batch-22/messages/datasets-processed/j8cb99999'), undefined);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: 'batch-22/data/acs/j8cb99999' }));
    assert.is(listed.KeyCount ?? 0, 0, 'nothing of the failed dataset is delivered');
    assert.not.match(first.stdout + first.stderr, /S3RVER/, 'no credential in the output');
    // On Node < 22 the AWS SDK's seven-line warning is one line of ours.
    assert.not.match(first.stderr, /NodeVersionSupportWarning/);
    if (Number(process.versions.node.split('.')[0]) < 22) assert.match(first.stderr, /is past its end of life: AWS SDK releases after January 2027 need Node ≥ 22/);

    // Nothing changed: nothing fetched, nothing run (the failed dataset is tried again and fails again).
    const second = p.cli(args, S3_CREDENTIALS);
    assert.not.match(second.stderr, /fetched/);
    // j8cb010c0 rewritten with the same size, j8cb99999 removed at the source: followed by the next run.
    const changed = rawFits(5);
    assert.is(changed.length, rawFits(2).length);
    await client.send(new PutObjectCommand({ Bucket: 'raw', Key: 'inputs/j8cb010c0_raw.fits', Body: changed }));
    await client.send(new DeleteObjectCommand({ Bucket: 'raw', Key: 'inputs/j8cb99999_raw.fits' }));
    // A .part a killed fetch left behind is cleared.
    const mirror = fs.readdirSync(p.path('cache', 'incoming-mirror')).map((d) => p.path('cache', 'incoming-mirror', d))[0]!;
    fs.writeFileSync(path.join(mirror, 'j8cb010b0_raw.fits.part'), 'half');
    const third = p.cli([...args, '--json'], S3_CREDENTIALS);
    assert.is(third.code, 0, third.stderr);
    assert.equal((JSON.parse(third.stdout) as { ran: Array<{ id: string }> }).ran.map((r) => r.id).sort(), ['calibrate-flt-preview:j8cb010c0', 'calibrate:j8cb010c0', 'dataset-publish:j8cb010c0']);
    assert.equal(await get('batch-22/data/acs/j8cb010c0/j8cb010c0_flt.fits'), changed);
    assert.equal(fs.readdirSync(mirror).filter((f) => !f.startsWith('.')).sort(), ['j8cb010b0_raw.fits', 'j8cb010c0_raw.fits']);
  } finally {
    client.destroy();
    p.remove();
    await s3.stop();
  }
});

test('file: URIs are folders; other schemes are refused without echoing a password', () => {
  const p = caldpProject(false);
  try {
    for (const [id, seed] of RAW.slice(0, 1)) p.write(`inputs/${id}_raw.fits`, rawFits(seed));
    const run = p.cli(['all', '--incoming', 'file:inputs', '--repository', 'file:outputs']);
    assert.is(run.code, 0, run.stderr);
    assert.equal(fs.readFileSync(p.path('outputs/data/acs/j8cb010b0/j8cb010b0_flt.fits')), rawFits(1));
    assert.ok(fs.existsSync(p.path('outputs/messages/datasets-processed/j8cb010b0')));
    assert.not.ok(fs.existsSync(p.path('cache/incoming-mirror')), 'a file: incoming is read where it is');

    const refused = p.cli(['all', '--incoming', 'https://user:hunter2@example.org/raw']);
    assert.is(refused.code, 2);
    assert.match(refused.stderr, /--incoming: https: is not a repository this tool can use; give file:DIR or s3:\/\/bucket\/prefix/);
    assert.not.match(refused.stderr, /hunter2/);
    const badBucket = p.cli(['all', '--incoming', 's3://AKIA:hunter2@s3.example.org/raw']);
    assert.is(badBucket.code, 2);
    assert.match(badBucket.stderr, /--incoming: give s3:\/\/bucket\/prefix with a valid bucket name/);
    assert.not.match(badBucket.stderr, /hunter2/);
    const both = p.cli(['all', '--repository', 'file:outputs', '--local', 'repo']);
    assert.is(both.code, 2);
    assert.match(both.stderr, /give one data repository: --repository URI, --local/);
  } finally {
    p.remove();
  }
});

test.run();
