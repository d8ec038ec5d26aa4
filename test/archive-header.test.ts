// Header cards from a `.txt` as observatories send them (one card per line, or run together), and the catalog
// row from them: numbers worked out by hand (20:34:52.30 → 20 + 34/60 + 52.3/3600 h; −00:30:00 → −0.5°).
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArchiveName } from '../src/archive/archive-name.js';
import { captureDate, declinationDegrees, exposureRow, rightAscensionHours, sexagesimal } from '../src/archive/exposure-row.js';
import { headerFromText, splitCards } from '../src/archive/header-cards.js';
import { FIXTURES } from './helpers/project.js';

const TEXT = fs.readFileSync(path.join(FIXTURES, 'archive', 'sro-kb001ms-20220629-00010442-EX01.txt'), 'latin1');
const NAME = (() => {
  const parsed = parseArchiveName('sro-kb001ms-20220629-00010442-EX01.txt');
  if (!parsed.ok) throw new Error('fixture name');
  return parsed.name;
})();

test('cards one per line and run together without line breaks read the same', () => {
  const lines = headerFromText(TEXT);
  const runTogether = headerFromText(TEXT.split('\n').map((l) => l.padEnd(80)).join(''));
  assert.equal(runTogether, lines);
  assert.is(splitCards(TEXT.split('\n').map((l) => l.padEnd(80)).join('')).length, 24);
});

test('values, quotes, CONTINUE, HIERARCH, commentary; a malformed card kept as text and named', () => {
  const { header, warnings } = headerFromText(TEXT);
  assert.is(header['SIMPLE'], true);
  assert.is(header['BITPIX'], -32);
  assert.is(header['OBJECT'], "NGC 6946 'Fireworks' galaxy");
  assert.is(header['FILTER'], 'PL', 'trailing blanks of a string are not significant');
  assert.is(header['SITE ELEVATION'], 1186);
  assert.is(header['LONGSTR'], 'This is a long string value that goes past one card and continues here.');
  assert.equal(header['COMMENT'], ['Processed by the site pipeline']);
  assert.equal(header['HISTORY'], ['calibrated']);
  assert.is(header['GAIN'], '1.2.3', 'kept as its text');
  assert.equal(warnings.map((w) => [w.card, w.keyword]), [[21, 'GAIN']]);
  assert.match(warnings[0]!.message, 'card 21 (GAIN) has a value that is not valid FITS');
});

test('sexagesimal and decimal coordinates: RA strings are hours, numbers degrees; Dec −00:30 is negative', () => {
  assert.is(sexagesimal('12:30:00.00'), 12.5);
  assert.is(sexagesimal('-00:30:00.0'), -0.5);
  assert.is(sexagesimal('+45 00 36'), 45.01);
  assert.is(rightAscensionHours('12:30:00.00'), 12.5);
  assert.is(rightAscensionHours(187.5), 12.5, 'a number is degrees');
  assert.is(rightAscensionHours(-15), 23, 'wrapped into 0…24 h');
  assert.is(declinationDegrees('-00:30:00.0'), -0.5);
  assert.is(declinationDegrees(45.25), 45.25);
  assert.is(declinationDegrees('+91:00:00'), null, 'beyond the pole');
  assert.is(rightAscensionHours('12:75:00'), null, 'minutes ≥ 60');
  assert.is(captureDate('2022-06-29T03:14:15.123'), '2022-06-29T03:14:15.123Z', 'FITS times are UTC');
  assert.is(captureDate('2022-06-29'), '2022-06-29T00:00:00.000Z');
  assert.is(captureDate('29/06/22'), undefined);
});

test('the row: Photon Ranch columns from the header, fallbacks, the name when there is no header', () => {
  const { header } = headerFromText(TEXT);
  const row = exposureRow(NAME, header);
  assert.is(row.base_filename, 'sro-kb001ms-20220629-00010442');
  assert.equal([row.site, row.instrument, row.data_type], ['sro', 'kb001ms', 'EX']);
  assert.is(row.capture_date, '2022-06-29T03:14:15.123Z');
  assert.ok(Math.abs(row.right_ascension! - (20 + 34 / 60 + 52.3 / 3600)) < 1e-12);
  assert.is(row.declination, -0.5);
  assert.is(row.altitude, 61.23456789);
  assert.is(row.azimuth, 123.456, 'OBJCTAZ when AZIMUTH is absent');
  assert.equal([row.filter_used, row.airmass, row.exposure_time], ['PL', 1.140284587451233, 30]);
  assert.equal([row.user_id, row.username], ['google-oauth2|100354044221813550027', 'Wayne Rosing']);
  assert.equal(JSON.parse(row.header!)['OBJECT'], "NGC 6946 'Fireworks' galaxy");
  // OBJCTRA/OBJCTDEC when RA/DEC are missing; DEC as a number in degrees.
  const fallback = exposureRow(NAME, { OBJCTRA: '01 00 00', OBJCTDEC: -30.5 });
  assert.equal([fallback.right_ascension, fallback.declination], [1, -30.5]);
  const bare = exposureRow(NAME, undefined);
  assert.equal([bare.capture_date, bare.right_ascension, bare.header], ['2022-06-29T00:00:00.000Z', null, null]);
});

test.run();
