// Archive ingest as an observatory runs it: the real CLI with `--preset archive`, a local folder repository, the
// SQLite catalog (and PostgreSQL, started here). The .txt-before-FITS and FITS-only orders, thumbnails, bad names
// amid good ones, info-image channels, expiry with --now, and a catalog rebuilt from the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { imageFile } from '../src/fits/fits-writer.js';
import { FIXTURES, type TempProject } from './helpers/project.js';
import { withProject } from './helpers/rig.js';
import { startPostgres } from './helpers/postgres-server.js';

const BASE = 'sro-kb001ms-20220629-00010442';
const TXT = fs.readFileSync(path.join(FIXTURES, 'archive', `${BASE}-EX01.txt`));

interface Row {
  base_filename: string;
  right_ascension: number | null;
  declination: number | null;
  capture_date: string;
  filter_used: string | null;
  fits_01_exists: boolean;
  fits_10_exists: boolean;
  jpg_medium_exists: boolean;
  jpg_small_exists: boolean;
}

function rows(p: TempProject, args: string[] = [], env: Record<string, string> = {}): Row[] {
  const result = p.cli(['catalog', 'query', '--json', ...args], env);
  assert.is(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { rows: Row[] }).rows;
}

function archive(p: TempProject, args: string[] = [], env: Record<string, string> = {}): ReturnType<TempProject['cli']> {
  return p.cli(['all', '--preset', 'archive', ...args], env);
}

function fitsWith(cards: Array<[string, string | number]>): Buffer {
  return imageFile(16, 4, 3, Array.from({ length: 12 }, (_, i) => i), cards);
}

test('the header .txt before the FITS: the row at once, the FITS flag when the FITS arrives; thumbnails derived or kept', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    p.write(`incoming/data/${BASE}-EX01.txt`, TXT);
    p.copyFixture('eso_eso1723a_320.jpg', `incoming/data/${BASE}-EX10.jpg`);
    const first = archive(p);
    assert.is(first.code, 0, first.stderr);
    const [row] = rows(p);
    assert.is(row!.base_filename, BASE);
    assert.ok(Math.abs(row!.right_ascension! - (20 + 34 / 60 + 52.3 / 3600)) < 1e-9, 'RA in hours from the .txt');
    assert.equal([row!.declination, row!.capture_date, row!.filter_used], [-0.5, '2022-06-29T03:14:15.123Z', 'PL']);
    assert.equal([row!.fits_01_exists, row!.jpg_medium_exists, row!.jpg_small_exists], [false, true, true]);
    const thumb = p.path('repo', 'data', `${BASE}-EX11.jpg`);
    const meta = await sharp(thumb).metadata();
    assert.equal([meta.width, meta.height], [128, Math.round((248 * 128) / 320)], 'longest side 128, aspect kept');
    assert.ok(fs.readFileSync(p.path('repo', 'data', `${BASE}-EX01.txt`)).equals(TXT), 'the header file published as sent');
    // The FITS arrives later: the exposure is redone, the flag set, the row otherwise the same.
    p.write(`incoming/data/${BASE}-EX01.fits`, fitsWith([['DATE-OBS', '2000-01-01T00:00:00']]));
    const second = archive(p);
    assert.is(second.code, 0, second.stderr);
    const [again] = rows(p);
    assert.equal([again!.fits_01_exists, again!.capture_date], [true, '2022-06-29T03:14:15.123Z'], 'the .txt still gives the header');
    assert.ok(fs.existsSync(p.path('repo', 'data', `${BASE}-EX01.fits`)));
    // An uploaded thumbnail is kept as it is, and none is derived.
    const other = 'sro-kb001ms-20220629-00010443';
    p.copyFixture('eso_eso1723a_320.jpg', `incoming/${other}-EX10.jpg`);
    p.copyFixture('eso_eso1723a_320.png', `incoming/${other}-EX11.jpg`);
    assert.is(archive(p).code, 0);
    assert.ok(fs.readFileSync(p.path('repo', 'data', `${other}-EX11.jpg`)).equals(fs.readFileSync(path.join(FIXTURES, 'eso_eso1723a_320.png'))));
    assert.is(archive(p).stdout.includes('nothing to do'), true, 'a second run does nothing');
  });
});

test('FITS only: the row comes from the FITS header (RA/DEC numbers are degrees), the name when the header has nothing', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    const base = 'mrc-sq003ms-20230101-00000007';
    p.write(`incoming/${base}-EX00.fits`, fitsWith([['DATE-OBS', '2023-01-01T22:00:00.5'], ['RA', 187.5], ['DEC', -30.25], ['FILTER', 'Ha'], ['EXPTIME', 120]]));
    const base2 = 'mrc-sq003ms-20230102-00000008';
    p.write(`incoming/data/${base2}-EX10.fits`, fitsWith([]));
    // Photon Ranch's large FITS come bzip2-compressed: the header is read through our own decoder.
    const base3 = 'mrc-sq003ms-20230103-00000009';
    p.write(`incoming/data/${base3}-EX01.fits.bz2`, execFileSync('bzip2', ['-c'], { input: fitsWith([['RA', '01:00:00'], ['DEC', '+10:30:00'], ['FILTER', 'R']]) }));
    const run = archive(p);
    assert.is(run.code, 0, run.stderr);
    const [a, b, c] = rows(p);
    assert.equal([c!.base_filename, c!.right_ascension, c!.declination, c!.filter_used, c!.fits_01_exists], [base3, 1, 10.5, 'R', true]);
    assert.equal([a!.base_filename, a!.right_ascension, a!.declination, a!.capture_date, a!.filter_used, a!.fits_01_exists], [base, 12.5, -30.25, '2023-01-01T22:00:00.500Z', 'Ha', true]);
    assert.equal([b!.base_filename, b!.right_ascension, b!.capture_date, b!.fits_10_exists], [base2, null, '2023-01-02T00:00:00.000Z', true]);
    // The box is in degrees: 187.5° holds a, not b.
    assert.equal(rows(p, ['--box', '180,190,-40,-20']).map((r) => r.base_filename), [base]);
    assert.equal(rows(p, ['--from', '2023-01-02']).map((r) => r.base_filename), [base2, base3]);
    assert.equal(rows(p, ['--from', '2023-01-02', '--to', '2023-01-02']).map((r) => r.base_filename), [base2]);
  });
});

test('a badly named file is told once, by name, with the fix; every other file is ingested', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    p.write(`incoming/${BASE}-EX01.txt`, TXT);
    p.write('incoming/sro-kb001ms-20230230-00000001-EX10.jpg', 'x');
    p.write('incoming/info-images/7/sro-kb001ms-20220629-00000002-EX10.jpg', 'x');
    const run = archive(p, ['--keep-going']);
    assert.is(run.code, 1);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.is(errors.length, 2, run.stderr);
    assert.match(run.stderr, 'incoming/sro-kb001ms-20230230-00000001-EX10.jpg is not named as archive files are (the date 20230230 is not a calendar date)');
    assert.match(run.stderr, 'info-images/7/sro-kb001ms-20220629-00000002-EX10.jpg is in info-images/7/, but the info-image channels are 1, 2 and 3');
    assert.equal(rows(p).map((r) => r.base_filename), [BASE]);
  });
});

test('info images: a newer one replaces its channel’s, an older one arriving late is not shown; expiry with --now', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    const older = 'sro-kb001ms-20220629-00000010';
    const newer = 'sro-kb001ms-20220629-00000020';
    p.copyFixture('eso_eso1723a_320.jpg', `incoming/info-images/1/${older}-EX10.jpg`);
    p.write(`incoming/${BASE}-EX01.txt`, TXT);
    assert.is(archive(p).code, 0);
    const channel = p.path('repo', 'info-images', 'sro', '1');
    assert.equal(fs.readdirSync(channel).sort(), [`${older}-EX10.jpg`, `${older}-EX11.jpg`]);
    assert.equal(rows(p).map((r) => r.base_filename), [BASE], 'info images are not catalogued');
    p.copyFixture('eso_eso1723a_320.jpg', `incoming/info-images/1/${newer}-EX10.jpg`);
    assert.is(archive(p).code, 0);
    assert.equal(fs.readdirSync(channel).sort(), [`${newer}-EX10.jpg`, `${newer}-EX11.jpg`], 'the newer one replaced it');
    const olderRecord = JSON.parse(fs.readFileSync(p.path('repo', 'imgbuild', 'exposures', `info-1-${older}.json`), 'utf8'));
    assert.equal([olderRecord.state, olderRecord.replacedBy], ['replaced', `info-1-${newer}`]);
    // Expiry: 48 h after arrival for info images; regular exposures never.
    const record = JSON.parse(fs.readFileSync(p.path('repo', 'imgbuild', 'exposures', `info-1-${newer}.json`), 'utf8'));
    const arrived = Date.parse(record.arrived);
    assert.is(Date.parse(record.expires) - arrived, 48 * 3600_000);
    const early = p.cli(['expire', '--preset', 'archive', '--now', new Date(arrived + 47 * 3600_000).toISOString(), '--json']);
    assert.is(early.code, 0, early.stderr);
    assert.equal(JSON.parse(early.stdout).expired, []);
    const late = p.cli(['expire', '--preset', 'archive', '--now', new Date(arrived + 49 * 3600_000).toISOString()]);
    assert.is(late.code, 0, late.stderr);
    assert.match(late.stdout, `expired info-1-${newer} (info-images`);
    assert.equal(fs.existsSync(channel) ? fs.readdirSync(channel) : [], [], 'its files are gone');
    assert.ok(fs.existsSync(p.path('repo', 'data', `${BASE}-EX01.txt`)), 'regular data stays');
    // Its files are still in incoming: the next build does not publish them again.
    const after = archive(p, ['-v']);
    assert.is(after.code, 0, after.stderr);
    assert.equal(fs.existsSync(channel) ? fs.readdirSync(channel) : [], []);
    assert.match(after.stdout, /skip archive-publish:info-1-sro-kb001ms-20220629-00000020: expired at/);
  });
});

test('per-site expiry from the config; the catalog loses expired rows and is rebuilt whole from the repository', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    p.write(
      'pipeline.config.ts',
      `import { defineConfig, archiveRules } from 'imgbuild';\nexport default defineConfig({ rules: archiveRules(), archive: { expire: { sites: { mrc: { data: '7d' } } } } });\n`,
    );
    p.write(`incoming/${BASE}-EX01.txt`, TXT);
    const kept = 'mrc-sq003ms-20230101-00000007';
    p.write(`incoming/${kept}-EX00.fits`, fitsWith([['RA', 10], ['DEC', 5]]));
    const run = p.cli(['all']);
    assert.is(run.code, 0, run.stderr);
    const before = rows(p);
    assert.is(before.length, 2);
    // The catalog is lost: rebuild gives back the same rows.
    fs.rmSync(p.path('cache', 'catalog.sqlite'));
    for (const suffix of ['-wal', '-shm']) fs.rmSync(p.path('cache', `catalog.sqlite${suffix}`), { force: true });
    const rebuilt = p.cli(['catalog', 'rebuild']);
    assert.is(rebuilt.code, 0, rebuilt.stderr);
    assert.equal(rows(p), before);
    // A week and a bit later, the mrc exposure expires (its site's rule); sro data never does.
    const record = JSON.parse(fs.readFileSync(p.path('repo', 'imgbuild', 'exposures', `${kept}.json`), 'utf8'));
    const expired = p.cli(['expire', '--now', new Date(Date.parse(record.arrived) + 8 * 86_400_000).toISOString(), '--json']);
    assert.is(expired.code, 0, expired.stderr);
    assert.equal(JSON.parse(expired.stdout).expired.map((e: { id: string }) => e.id), [kept]);
    assert.equal(rows(p).map((r) => r.base_filename), [BASE]);
    assert.not.ok(fs.existsSync(p.path('repo', 'data', `${kept}-EX00.fits`)));
    assert.not.ok(fs.existsSync(p.path('work', 'archive', kept)), 'its work outputs left the cache too');
  });
});

test('the same ingest into PostgreSQL with --catalog-url-env; the URL never shows', async () => {
  const server = await startPostgres();
  try {
    await withProject('imgbuild-archive-pg-', async (p) => {
      const env = { ARCHIVE_DB: server.url };
      p.write(`incoming/${BASE}-EX01.txt`, TXT);
      const run = archive(p, ['--catalog-url-env', 'ARCHIVE_DB'], env);
      assert.is(run.code, 0, run.stderr);
      const result = p.cli(['catalog', 'query', '--json', '--catalog-url-env', 'ARCHIVE_DB'], env);
      assert.is(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { rows: Row[] }).rows.map((r) => [r.base_filename, r.declination]), [[BASE, -0.5]]);
      assert.not.ok(fs.existsSync(p.path('cache', 'catalog.sqlite')), 'no SQLite file when PostgreSQL is named');
      const missing = archive(p, ['--catalog-url-env', 'NOT_SET_ANYWHERE'], env);
      assert.not.match(missing.stderr + missing.stdout, server.password);
      const wrong = p.cli(['catalog', 'query', '--catalog-url-env', 'ARCHIVE_DB'], { ARCHIVE_DB: server.url.replace(/:\d+\//, ':1/') });
      assert.is(wrong.code, 1);
      assert.not.match(wrong.stderr, server.password);
      assert.match(wrong.stderr, /\$ARCHIVE_DB/);
    });
  } finally {
    await server.stop();
  }
});

test('several info images of one channel in one run take turns: one run, no error, the newest shown', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    for (const n of [1, 2, 3]) p.copyFixture('eso_eso1723a_320.jpg', `incoming/info-images/2/sro-kb001ms-20220702-0000000${n}-EX10.jpg`);
    const run = archive(p, ['-j', '4']);
    assert.is(run.code, 0, run.stderr);
    assert.equal(fs.readdirSync(p.path('repo', 'info-images', 'sro', '2')).sort(), ['sro-kb001ms-20220702-00000003-EX10.jpg', 'sro-kb001ms-20220702-00000003-EX11.jpg']);
  });
});

test('naming another catalog fills it; an unset catalog variable stops the run before anything is published', async () => {
  const server = await startPostgres();
  try {
    await withProject('imgbuild-archive-', async (p) => {
      p.write(`incoming/${BASE}-EX01.txt`, TXT);
      assert.is(archive(p).code, 0);
      const unset = archive(p, ['--catalog-url-env', 'NO_SUCH_CATALOG_VARIABLE']);
      assert.is(unset.code, 2);
      assert.match(unset.stderr, 'the catalog URL variable NO_SUCH_CATALOG_VARIABLE is not set');
      const switched = archive(p, ['--catalog-url-env', 'ARCHIVE_DB', '--json'], { ARCHIVE_DB: server.url });
      assert.is(switched.code, 0, switched.stderr);
      assert.equal((JSON.parse(switched.stdout) as { ran: Array<{ id: string }> }).ran.map((r) => r.id), [`catalog:${BASE}`], 'only the catalog step reruns');
      const result = p.cli(['catalog', 'query', '--json', '--catalog-url-env', 'ARCHIVE_DB'], { ARCHIVE_DB: server.url });
      assert.equal((JSON.parse(result.stdout) as { rows: Row[] }).rows.map((r) => r.base_filename), [BASE]);
    });
  } finally {
    await server.stop();
  }
});

test('archive commands in a project with no archive say so; an empty catalog beside archived exposures points at rebuild', async () => {
  await withProject('imgbuild-archive-', async (p) => {
    const expire = p.cli(['expire']);
    assert.is(expire.code, 2);
    assert.match(expire.stderr, 'imgbuild expire is for archive ingest');
    p.write(`incoming/${BASE}-EX01.txt`, TXT);
    assert.is(archive(p).code, 0);
    fs.rmSync(p.path('cache', 'catalog.sqlite'));
    for (const suffix of ['-wal', '-shm']) fs.rmSync(p.path('cache', `catalog.sqlite${suffix}`), { force: true });
    const query = p.cli(['catalog', 'query']);
    assert.is(query.code, 0);
    assert.match(query.stderr, 'run imgbuild catalog rebuild');
  });
});

test.run();
