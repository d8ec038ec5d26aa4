// Issue 8 item 11: rule parameters are checked against each rule's declared paramTypes when the config is
// read; a bad value is exit 2 naming the file, the rule and the parameter (not "good.jpg is not a readable image").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineRule } from '../src/graph/rule.js';
import { paramProblem } from '../src/graph/param-types.js';
import { TempProject } from './helpers/project.js';

const GOOD = 'eso_eso1723a_320.jpg';
const publishFlags = ['--local', 'repo', '--publish-url-prefix', 'https://data.example.org/'];

const cases: Array<[string, string]> = [
  ['tiles:\n    pngCompression: 99', 'params.tiles.pngCompression is 99, but rule tiles takes an integer from 0 to 9 for pngCompression'],
  ['tiles:\n    pngCompression: 2.5', 'params.tiles.pngCompression is 2.5, but rule tiles takes an integer from 0 to 9 for pngCompression'],
  ['tiles:\n    maxPixels: -1', 'params.tiles.maxPixels is -1, but rule tiles takes an integer ≥ 1 for maxPixels'],
  ['thumbnail:\n    width: 0', 'params.thumbnail.width is 0, but rule thumbnail takes an integer from 1 to 16384 for width'],
  ['thumbnail:\n    quality: [1, 2]', 'params.thumbnail.quality is [1,2], but rule thumbnail takes an integer from 1 to 100 for quality'],
  ['wtml:\n    publishUrlPrefix: 7', 'params.wtml.publishUrlPrefix is 7, but rule wtml takes text for publishUrlPrefix'],
];

test('imgbuild-pipeline-config.yaml: each bad parameter is exit 2 naming the file, the rule and the parameter', () => {
  const project = new TempProject('imgbuild-params-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    for (const [yaml, problem] of cases) {
      project.write('repo/imgbuild-pipeline-config.yaml', `params:\n  ${yaml}\n`);
      const result = project.cli(['process', ...publishFlags]);
      assert.is(result.code, 2, `${yaml}: ${result.stderr}`);
      assert.is(result.stderr.trim(), `imgbuild: imgbuild-pipeline-config.yaml in local folder ${project.path('repo')}: ${problem}`);
    }
    // Good values pass and build.
    project.write('repo/imgbuild-pipeline-config.yaml', 'params:\n  tiles:\n    pngCompression: 9\n  thumbnail:\n    quality: 80\n');
    assert.is(project.cli(['process', ...publishFlags]).code, 0);
  } finally {
    project.remove();
  }
});

test('pipeline.config.ts: a bad parameter is exit 2 naming the config file', () => {
  const project = new TempProject('imgbuild-params-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.write('pipeline.config.ts', "export default { local: 'repo', publishUrlPrefix: 'https://x.org/', params: { tiles: { pngCompression: 'high' } } };\n");
    const result = project.cli(['process']);
    assert.is(result.code, 2, result.stderr);
    assert.is(result.stderr.trim(), `imgbuild: ${project.path('pipeline.config.ts')}: params.tiles.pngCompression is "high", but rule tiles takes an integer from 0 to 9 for pngCompression`);
  } finally {
    project.remove();
  }
});

test('paramProblem checks types and ranges; undeclared parameters are left to the rule', () => {
  const types = { n: { type: 'integer', min: 0, max: 9 }, s: { type: 'string', oneOf: ['a', 'b'] }, b: { type: 'boolean' }, x: { type: 'number' } } as const;
  assert.is(paramProblem('r', types, { n: 0, s: 'a', b: true, x: 0.5, other: 'anything' }), undefined);
  assert.match(String(paramProblem('r', types, { n: 10 })), /params\.r\.n is 10/);
  assert.match(String(paramProblem('r', types, { s: 'c' })), /one of "a", "b"/);
  assert.match(String(paramProblem('r', types, { b: 'yes' })), /true or false/);
  assert.match(String(paramProblem('r', types, { x: null })), /a number/);
});

test("defineRule refuses a rule whose own defaults break its paramTypes", () => {
  assert.throws(
    () => defineRule({ name: 'bad', version: 1, params: { level: 12 }, paramTypes: { level: { type: 'integer', max: 9 } }, run: () => undefined }),
    /its own default breaks its paramTypes: params\.bad\.level is 12/,
  );
});

test.run();
