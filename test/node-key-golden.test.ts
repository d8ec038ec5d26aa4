// A golden node key: fixed rule, parameters, tools and inputs → the key written below, derived by hand from the
// documented format in src/cache/node-key.ts. If the format changes by accident, every user's cache silently
// rebuilds (or worse, two formats collide); this test makes such a change a deliberate act.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256 } from '../src/cache/file-hasher.js';
import { keyParts, nodeKey, ruleKeyParts } from '../src/cache/node-key.js';

// sha256("alpha") and sha256("[]"), from `printf %s alpha | sha256sum` and `printf %s '[]' | sha256sum`.
const ALPHA = '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8';
const NO_UPSTREAM = '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945';
// [KEY_FORMAT, rule, version, params, tools, inputs, upstream] as JSON, then sha256 of that text (sha256sum).
const PREIMAGE = `["imgbuild-key-1","upper","1","{\\"suffix\\":\\"!\\"}","{\\"sharp\\":\\"0.35.5\\"}",[["text","${ALPHA}"]],"${NO_UPSTREAM}"]`;
const GOLDEN = 'd63951470420af295b92bdd5de391f9f0ee8727739fed8591835191b13c41195';

test('the key of a fixed node is the golden key derived from the documented format', () => {
  assert.is(sha256('alpha'), ALPHA);
  assert.is(sha256(PREIMAGE), GOLDEN, 'the preimage written here hashes to the golden key');
  const rule = ruleKeyParts({ version: 1, tools: () => ({ sharp: '0.35.5' }) }, { suffix: '!' });
  const parts = keyParts(rule, [['text', sha256('alpha')]], []);
  assert.is(nodeKey('upper', parts), GOLDEN);
});

test('parameter order does not change the key; a parameter value does', () => {
  const a = ruleKeyParts({ version: 1 }, { b: 1, a: [1, { y: 2, x: 3 }] });
  const b = ruleKeyParts({ version: 1 }, { a: [1, { x: 3, y: 2 }], b: 1 });
  assert.is(nodeKey('r', keyParts(a, [], [])), nodeKey('r', keyParts(b, [], [])));
  const c = ruleKeyParts({ version: 1 }, { a: [1, { x: 3, y: 2 }], b: 2 });
  assert.is.not(nodeKey('r', keyParts(a, [], [])), nodeKey('r', keyParts(c, [], [])));
});

test.run();
