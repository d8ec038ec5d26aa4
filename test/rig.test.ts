// The per-test rig (test/helpers/rig.ts) removes its folder even when the test body fails.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withProject } from './helpers/rig.js';

test('a failing body leaves no temporary folder behind', async () => {
  let dir = '';
  const failure = await withProject('imgbuild-rig-', (p) => {
    dir = p.dir;
    p.write('x/y.txt', 'something');
    throw new Error('the test failed');
  }).catch((error: unknown) => error as Error);
  assert.is(failure instanceof Error && failure.message, 'the test failed', 'the failure still reaches uvu');
  assert.ok(dir !== '' && !fs.existsSync(dir), 'the folder is gone');
});

test.run();
