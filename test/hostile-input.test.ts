// Issue 8 items 6, 7 and 9: files in incoming/ that cannot be inputs (symlink loops, dangling links, links to
// folders and devices, FIFOs, names that are not UTF-8, names with a newline) are each that file's own one-line
// error, all told in one build, while every other image builds; nothing is ever opened that is not a regular
// file; a config that throws a non-Error is a config error (exit 2), never a crash.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHasher } from '../src/cache/file-hasher.js';
import { unusableReason } from '../src/graph/input-file.js';
import { quoteName } from '../src/quote-name.js';
import { ids, TempProject } from './helpers/project.js';

const GOOD = 'eso_eso1723a_320.jpg';
const publishFlags = ['--local', 'repo', '--publish-url-prefix', 'https://data.example.org/'];

test('unusable files are each one error line, all in one build without --keep-going, and good.jpg still builds', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    const incoming = project.path('incoming');
    fs.symlinkSync('self.jpg', path.join(incoming, 'self.jpg'));
    fs.symlinkSync('nothing-here.jpg', path.join(incoming, 'dangling.jpg'));
    fs.mkdirSync(project.path('a-folder'));
    fs.symlinkSync('../a-folder', path.join(incoming, 'folder.jpg'));
    fs.symlinkSync('/dev/zero', path.join(incoming, 'zero.jpg'));
    assert.is(spawnSync('mkfifo', [path.join(incoming, 'fifo.png')]).status, 0, 'mkfifo');
    // Not valid UTF-8: the byte 0xff. Buffers as paths keep the bytes as they are.
    fs.copyFileSync(project.path('incoming/good.jpg'), Buffer.concat([Buffer.from(`${incoming}/bad`), Buffer.from([0xff]), Buffer.from('name.jpg')]));
    const { code, report, stderr } = project.json(['process', ...publishFlags]);
    assert.is(code, 1, stderr);
    assert.ok(ids(report.ran).includes('place:good') && ids(report.ran).includes('tiles:good'), `good.jpg built: ${ids(report.ran)}`);
    const errors = (report.failed ?? []).map((f) => f.error).sort();
    assert.equal(errors, [
      '"incoming/bad\\ufffdname.jpg" has a name that is not valid UTF-8, so it cannot be named in a URL or a WTML file; rename it',
      'incoming/dangling.jpg is a symbolic link to nothing (its target does not exist); point it at an image or remove it',
      'incoming/fifo.png is a FIFO (named pipe), not a regular file: only regular files are inputs; replace it with the file itself',
      'incoming/folder.jpg is a symbolic link to a folder, not a regular file: only regular files are inputs; replace it with the file itself',
      'incoming/self.jpg is a symbolic link that loops (to itself or in a cycle); point it at an image or remove it',
      'incoming/zero.jpg is a symbolic link to a character device, not a regular file: only regular files are inputs; replace it with the file itself',
    ]);
    // The same lines on the terminal, one each, and no stack trace.
    const plain = project.cli(['process', ...publishFlags]);
    assert.is(plain.code, 1);
    assert.is(plain.stderr.split('\n').filter((l) => l.startsWith('error: ')).length, 6, plain.stderr);
    assert.not.match(plain.stderr, /\n\s+at /);
    // `reindex` reads the repository alone: incoming's problems are not its failures.
    assert.is(project.cli(['reindex', ...publishFlags]).code, 0);
  } finally {
    project.remove();
  }
});

test('a sidecar that is a symlink to itself (ELOOP) or to nothing fails its image only, naming the sidecar', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.copyFixture(GOOD, 'incoming/looped.jpg');
    fs.symlinkSync('looped.wcs.fits', project.path('incoming/looped.wcs.fits'));
    // A dangling sidecar is not "no sidecar": the user put it there, so it is said to be broken.
    project.copyFixture(GOOD, 'incoming/dangling.jpg');
    fs.symlinkSync('gone.fits', project.path('incoming/dangling.wcs.fits'));
    const { code, report } = project.json(['process', ...publishFlags, '--keep-going']);
    assert.is(code, 1);
    assert.ok(ids(report.ran).includes('tiles:good'));
    assert.equal(ids(report.failed), ['place:dangling', 'place:looped']);
    const errors = Object.fromEntries((report.failed ?? []).map((f) => [f.id, f.error]));
    assert.match(errors['place:looped']!, /^place:looped: looped\.wcs\.fits is a symbolic link that loops/);
    assert.match(errors['place:dangling']!, /^place:dangling: dangling\.wcs\.fits is a symbolic link to nothing/);
  } finally {
    project.remove();
  }
});

test('a newline in a file name cannot forge an error line: the name is shown escaped, on one line', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    fs.symlinkSync('missing.jpg', project.path('incoming/x\nerror: forged.jpg'));
    const result = project.cli(['process', ...publishFlags]);
    assert.is(result.code, 1);
    const lines = result.stderr.split('\n');
    assert.not.ok(lines.some((l) => l.startsWith('error: forged')), result.stderr);
    assert.ok(lines.includes('error: "incoming/x\\nerror: forged.jpg" is a symbolic link to nothing (its target does not exist); point it at an image or remove it'), result.stderr);
  } finally {
    project.remove();
  }
});

test('quoteName: plain names unchanged; control, bidi and quote characters escaped inside quotes', () => {
  assert.is(quoteName('incoming/M 42 (copy).jpg'), 'incoming/M 42 (copy).jpg');
  assert.is(quoteName('a\nb'), '"a\\nb"');
  assert.is(quoteName('a\x1b[2Kb'), '"a\\x1b[2Kb"');
  assert.is(quoteName('evil\u202egnp.jpg'), '"evil\\u202egnp.jpg"');
  assert.is(quoteName('tab\there "q" \\'), '"tab\\there \\"q\\" \\\\"');
});

test('the hasher never opens a FIFO or a device and never throws on a loop; unusableReason says what each is', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    const fifo = project.path('fifo');
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    fs.symlinkSync('loop', project.path('loop'));
    fs.symlinkSync('/dev/zero', project.path('zero'));
    const hasher = new FileHasher({});
    // Opening the FIFO would block this test forever: returning at all proves it was not opened.
    assert.match(String(hasher.hash(fifo)), /^unusable:/);
    assert.match(String(hasher.hash(project.path('loop'))), /^unusable:ELOOP/);
    assert.match(String(hasher.hash(project.path('zero'))), /^unusable:/);
    assert.is(hasher.hash(project.path('absent')), undefined);
    assert.is(hasher.hashedFiles, 0);
    assert.match(String(unusableReason(fifo)), /FIFO/);
    assert.match(String(unusableReason(project.path('zero'))), /character device/);
    assert.is(unusableReason(project.path('absent')), 'missing');
  } finally {
    project.remove();
  }
});

test('an unreadable image (EACCES) fails that image only, saying so', () => {
  if (process.getuid?.() === 0) return; // root reads everything: the case cannot be made here
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.copyFixture(GOOD, 'incoming/locked.jpg');
    fs.chmodSync(project.path('incoming/locked.jpg'), 0o000);
    const { code, report } = project.json(['process', ...publishFlags, '--keep-going']);
    assert.is(code, 1);
    assert.ok(ids(report.ran).includes('tiles:good'));
    assert.match(report.failed![0]!.error!, /locked\.jpg cannot be read \(permission denied\)/);
  } finally {
    project.remove();
  }
});

test('files no rule takes are listed once, in one warning; sidecars read as inputs are not', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.copyFixture(GOOD, 'incoming/good.jpg');
    project.write('incoming/good.wcs.fits', 'not read: good.jpg has AVM');
    project.write('incoming/pic.webp', 'x');
    project.write('incoming/anim.gif', 'x');
    const { code, report } = project.json(['process', ...publishFlags]);
    assert.is(code, 0);
    const notes = (report.warnings ?? []).filter((w) => w.id === 'incoming');
    assert.is(notes.length, 1, JSON.stringify(report.warnings));
    assert.is(notes[0]!.message, '2 files in the incoming folder no rule takes (not JPEG/PNG/TIFF images nor sidecars), left alone: incoming/anim.gif, incoming/pic.webp');
  } finally {
    project.remove();
  }
});

test('a config that does `throw null` is a config error: exit 2, one line naming the file, no stack', () => {
  const project = new TempProject('imgbuild-hostile-');
  try {
    project.write('pipeline.config.ts', 'throw null;\nexport default {};\n');
    const result = project.cli(['process']);
    assert.is(result.code, 2, result.stderr);
    assert.match(result.stderr, /pipeline\.config\.ts: it threw null instead of an Error; fix the config file/);
    assert.not.match(result.stderr, /\n\s+at /);
    project.write('pipeline.config.ts', "throw 'nope';\nexport default {};\n");
    const text = project.cli(['process']);
    assert.is(text.code, 2);
    assert.match(text.stderr, /it threw "nope" instead of an Error/);
  } finally {
    project.remove();
  }
});

test.run();
