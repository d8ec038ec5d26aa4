// Issue 7 and issue 8 items 8 and 9: the id rule as the README states it, reserved names, and every id
// collision of a build reported in that build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ItemIdError, reservedIdReason, sanitizeItemId } from '../src/graph/item-id.js';
import { ids, TempProject } from './helpers/project.js';

const GOOD = 'eso_eso1723a_320.jpg';
const publishFlags = ['--local', 'repo', '--publish-url-prefix', 'https://data.example.org/'];

test('the README id rule, example by example', () => {
  const examples: Array<[string, string]> = [
    ['m31', 'm31'],
    ['Messier 42 (copy)', 'Messier_42_copy'],
    ['Orión', 'Orion'],
    ['a  b&&c', 'a_b_c'],
    ['ngc.1234', 'ngc.1234'],
    ['-leading.dots', 'leading.dots'],
    ['.hidden', 'hidden'],
    ['ends with dot.', 'ends_with_dot'],
    ['trailing.', 'trailing'],
    ['x\nerror: forged', 'x_error_forged'],
    ['../../etc/passwd', 'etc_passwd'],
  ];
  for (const [raw, id] of examples) assert.is(sanitizeItemId(raw), id, JSON.stringify(raw));
  assert.is(sanitizeItemId('a'.repeat(119) + '.b'), 'a'.repeat(119), 'cut to 120, then no trailing dot');
  assert.throws(() => sanitizeItemId('()'), (e: unknown) => e instanceof ItemIdError);
});

test('ids never end in a dot, dash or underscore, never start with one, and use only safe characters', () => {
  for (const raw of ['a.', 'a..', 'a._-', 'ü.', 'x\u202e.', 'b (1).', '.a.']) {
    const id = sanitizeItemId(raw);
    assert.match(id, /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, `${JSON.stringify(raw)} → ${id}`);
  }
});

test("the repository's own names are reserved, case-insensitively", () => {
  for (const id of ['index.wtml', 'INDEX_REL.WTML', 'toasty-pipeline-config.yaml', 'imgbuild-pipeline-config.yaml', 'imgbuild', 'imgbuild.json', 'ImgBuild-anything', 'state.json', 'publish.lock', 'x.tmp']) {
    assert.type(reservedIdReason(id), 'string', id);
  }
  for (const id of ['m31', 'index', 'wtml', 'my-imgbuild', 'orion.2024']) assert.is(reservedIdReason(id), undefined, id);
});

test('incoming/index.wtml.jpg and toasty-pipeline-config.yaml.jpg are clear errors; the repository stays usable', () => {
  const project = new TempProject('imgbuild-ids-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.copyFixture(GOOD, 'incoming/index.wtml.jpg');
    project.copyFixture(GOOD, 'incoming/toasty-pipeline-config.yaml.jpg');
    const first = project.json(['all', ...publishFlags]);
    assert.is(first.code, 1, first.stderr);
    assert.equal((first.report.failed ?? []).map((f) => f.error).sort(), [
      'incoming/index.wtml.jpg would become the id "index.wtml", but index.wtml is a file of the data repository itself; rename the file',
      'incoming/toasty-pipeline-config.yaml.jpg would become the id "toasty-pipeline-config.yaml", but toasty-pipeline-config.yaml is a file of the data repository itself; rename the file',
    ]);
    assert.ok(ids(first.report.ran).includes('publish:good'));
    // The repository is not broken: the next run says the same, and nothing else fails.
    const second = project.json(['all', ...publishFlags]);
    assert.is(second.code, 1);
    assert.is((second.report.failed ?? []).length, 2);
    assert.is((second.report.blocked ?? []).length, 0);
  } finally {
    project.remove();
  }
});

test('every id collision of a build is reported in that build, each file once; the others build', () => {
  const project = new TempProject('imgbuild-ids-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.copyFixture(GOOD, 'incoming/M42.jpg');
    project.copyFixture(GOOD, 'incoming/M42.jpeg');
    project.copyFixture(GOOD, 'incoming/Messier 42 (copy).jpg');
    project.copyFixture(GOOD, 'incoming/Messier_42_copy.png');
    const { code, report, stderr } = project.json(['process', ...publishFlags]);
    assert.is(code, 1, stderr);
    assert.equal((report.failed ?? []).map((f) => f.error).sort(), [
      'incoming/M42.jpeg becomes id "M42" of rule place, and so does incoming/M42.jpg; rename all but one of them',
      'incoming/M42.jpg becomes id "M42" of rule place, and so does incoming/M42.jpeg; rename all but one of them',
      'incoming/Messier 42 (copy).jpg becomes id "Messier_42_copy" of rule place, and so does incoming/Messier_42_copy.png; rename all but one of them',
      'incoming/Messier_42_copy.png becomes id "Messier_42_copy" of rule place, and so does incoming/Messier 42 (copy).jpg; rename all but one of them',
    ]);
    assert.equal(ids(report.ran).filter((id) => id.startsWith('place:')), ['place:good']);
  } finally {
    project.remove();
  }
});

test.run();
