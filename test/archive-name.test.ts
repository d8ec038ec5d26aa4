// Photon Ranch's file names, good and bad: each rule of the grammar broken once, with the reason named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArchiveName, thumbnailNameOf } from '../src/archive/archive-name.js';
import { placementOf, repositoryPath, exposureId } from '../src/archive/archive-layout.js';
import { flagsOf } from '../src/archive/exposure-flags.js';

test('good names: the parts, the base filename, the kind of file', () => {
  const cases: Array<[string, string, string]> = [
    ['sro-kb001ms-20220629-00010442-EX01.txt', 'header-txt', '.txt'],
    ['sro-kb001ms-20220629-00010442-EX01.fits.bz2', 'large-fits', '.fits.bz2'],
    ['sro-kb001ms-20220629-00010442-EX00.fits', 'large-fits', '.fits'],
    ['sro-kb001ms-20220629-00010442-EX10.fits.fz', 'small-fits', '.fits.fz'],
    ['sro-kb001ms-20220629-00010442-EX13.fits.gz', 'small-fits', '.fits.gz'],
    ['sro-kb001ms-20220629-00010442-EX10.jpg', 'medium-jpg', '.jpg'],
    ['sro-kb001ms-20220629-00010442-EX11.jpg', 'thumbnail-jpg', '.jpg'],
    ['sro-kb001ms-20220629-00010442-ex12.jpg', 'other', '.jpg'],
  ];
  for (const [name, kind, ext] of cases) {
    const parsed = parseArchiveName(name);
    assert.ok(parsed.ok, name);
    if (!parsed.ok) continue;
    assert.equal([parsed.name.baseFilename, parsed.name.kind, parsed.name.ext], ['sro-kb001ms-20220629-00010442', kind, ext], name);
  }
  const parsed = parseArchiveName('mrc2-sq003ms-20240229-00000001-EX10.jpg');
  assert.ok(parsed.ok, 'a leap day is a calendar date');
  if (parsed.ok) {
    assert.equal([parsed.name.site, parsed.name.instrument, parsed.name.date, parsed.name.counter, parsed.name.dataType, parsed.name.reduction], ['mrc2', 'sq003ms', '20240229', '00000001', 'EX', '10']);
    assert.is(thumbnailNameOf(parsed.name), 'mrc2-sq003ms-20240229-00000001-EX11.jpg');
  }
});

test('every rule of the grammar, broken once, gives its own reason and says how a right name looks', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['sro-kb001ms-20220629-00010442-EX10.png', 'extension', /extension is not one of/],
    ['sro-kb001ms-20220629-00010442.jpg', 'shape', /4 dash-separated parts/],
    ['SRO-kb001ms-20220629-00010442-EX10.jpg', 'site', /site "SRO"/],
    ['sr-kb001ms-20220629-00010442-EX10.jpg', 'site', /site "sr"/],
    ['sro7777-kb001ms-20220629-00010442-EX10.jpg', 'site', /3–6/],
    ['sro-KB001-20220629-00010442-EX10.jpg', 'instrument', /instrument/],
    ['sro-kb001ms-2022062-00010442-EX10.jpg', 'date', /not YYYYMMDD/],
    ['sro-kb001ms-20230230-00010442-EX10.jpg', 'date', /20230230 is not a calendar date/],
    ['sro-kb001ms-20221301-00010442-EX10.jpg', 'date', /not a calendar date/],
    ['sro-kb001ms-20220629-0010442-EX10.jpg', 'counter', /exactly 8 digits/],
    ['sro-kb001ms-20220629-00010442-E110.jpg', 'type', /two letters/],
    ['sro-kb001ms-20220629-00010442-EX1.jpg', 'reduction', /two digits/],
  ];
  for (const [name, code, message] of cases) {
    const parsed = parseArchiveName(name);
    assert.not.ok(parsed.ok, name);
    if (parsed.ok) continue;
    assert.is(parsed.reason.code, code, name);
    assert.match(parsed.reason.message, message, name);
    assert.match(parsed.reason.message, 'such as sro-kb001ms-20220629-00010442-EX10.jpg', name);
  }
});

test('incoming subfolders choose the class; the repository keeps the prefixes; ids do not collide across classes', () => {
  const data = placementOf('sro-kb001ms-20220629-00010442-EX10.jpg');
  const sub = placementOf('data/sro-kb001ms-20220629-00010442-EX10.jpg');
  const info = placementOf('info-images/2/sro-kb001ms-20220629-00010442-EX10.jpg');
  const sky = placementOf('allsky/sro-kb001ms-20220629-00010442-EX10.jpg');
  assert.ok(data.ok && sub.ok && info.ok && sky.ok);
  if (!(data.ok && sub.ok && info.ok && sky.ok)) return;
  assert.equal([data.placement, sub.placement, info.placement, sky.placement], [{ imageClass: 'data' }, { imageClass: 'data' }, { imageClass: 'info-images', channel: '2' }, { imageClass: 'allsky' }]);
  assert.is(repositoryPath(info.placement, 'sro', 'x.jpg'), 'info-images/sro/2/x.jpg');
  assert.is(repositoryPath(data.placement, 'sro', 'x.jpg'), 'data/x.jpg');
  assert.is(repositoryPath(sky.placement, 'sro', 'x.jpg'), 'allsky/x.jpg');
  const ids = [data, info, sky].map((p) => (p.ok ? exposureId(p.placement, 'sro-kb001ms-20220629-00010442') : ''));
  assert.is(new Set(ids).size, 3);
  const badChannel = placementOf('info-images/4/x.jpg');
  assert.ok(!badChannel.ok && /channels are 1, 2 and 3/.test(badChannel.problem));
  const elsewhere = placementOf('raw/x.jpg');
  assert.ok(!elsewhere.ok && /folder archive ingest does not read/.test(elsewhere.problem));
});

test('file flags follow the reductions', () => {
  const base = 'sro-kb001ms-20220629-00010442';
  assert.equal(flagsOf([`${base}-EX01.fits.bz2`, `${base}-EX10.jpg`]), { fits_01_exists: true, fits_10_exists: false, jpg_medium_exists: true, jpg_small_exists: false });
  assert.equal(flagsOf([`${base}-EX00.fits`, `${base}-EX13.fits.fz`, `${base}-EX11.jpg`, `${base}-EX01.txt`]), { fits_01_exists: true, fits_10_exists: true, jpg_medium_exists: false, jpg_small_exists: true });
});

test.run();
