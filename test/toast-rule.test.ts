// An all-sky map in the incoming folder with a `name.allsky.yaml` sidecar becomes a TOAST data set through the
// ordinary pipeline (place → tiles → thumbnail → wtml → publish → index): tiles at every level, a bare ImageSet
// with Projection="Toast", and an ImageSet entry in the root index. Where a marker lands is GUIDE §4's level-1
// quadrants: (1,0) spans longitudes 0–90°, (0,1) spans 180–270°.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from './helpers/project.js';
import { loadSharp } from '../src/wwt/sharp-loader.js';
import { imageFile } from '../src/fits/fits-writer.js';

const BASE = ['--publish-url-prefix', 'https://data.example.org/sky/'];

/** A grey 1024×512 sky plate-carrée (longitude increasing to the left, 0° in the middle) with red blocks at (lon, lat). */
async function skyMap(file: string, markers: Array<[number, number]>): Promise<void> {
  const width = 1024;
  const height = 512;
  const raw = Buffer.alloc(width * height * 3, 60);
  for (const [lon, lat] of markers) {
    const cx = Math.round((0.5 - lon / 360) * width);
    const cy = Math.round(((90 - lat) / 180) * height);
    for (let y = cy - 8; y < cy + 8; y++) for (let x = cx - 8; x < cx + 8; x++) raw.set([255, 0, 0], (y * width + x) * 3);
  }
  await (await loadSharp())(raw, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

async function redPixels(file: string): Promise<number> {
  const { data, info } = await (await loadSharp())(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let i = 0; i < info.width * info.height; i++) if (data[i * 4]! > 200 && data[i * 4 + 1]! < 60 && data[i * 4 + 3]! > 0) red++;
  return red;
}

test('milkyway.png + milkyway.allsky.yaml: a TOAST data set, published and indexed as an ImageSet', async () => {
  const p = new TempProject('imgbuild-toast-');
  try {
    await skyMap(p.path('incoming-map.png'), [[45, 30], [200, -20]]);
    fs.mkdirSync(p.path('incoming'));
    fs.renameSync(p.path('incoming-map.png'), p.path('incoming/milkyway.png'));
    p.write('incoming/milkyway.allsky.yaml', 'projection: plate-carree\ndepth: 2\n');
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    const run = p.json(['all', ...BASE]);
    assert.is(run.code, 0, run.stderr);
    const tiles: string[] = [];
    for (let level = 0; level <= 2; level++) {
      for (let y = 0; y < 2 ** level; y++) for (let x = 0; x < 2 ** level; x++) tiles.push(`${level}/${y}/${y}_${x}.png`);
    }
    for (const tile of tiles) assert.ok(fs.existsSync(p.path('repo/milkyway', tile)), `${tile} published`);
    assert.not.ok(fs.existsSync(p.path('repo/milkyway/3')), 'no deeper level than asked');
    // The markers land in GUIDE §4's quadrants, and nowhere else.
    assert.ok((await redPixels(p.path('repo/milkyway/1/0/0_1.png'))) > 0, 'lon 45° is in level-1 tile (1,0)');
    assert.ok((await redPixels(p.path('repo/milkyway/1/1/1_0.png'))) > 0, 'lon 200° is in level-1 tile (0,1)');
    assert.is(await redPixels(p.path('repo/milkyway/1/0/0_0.png')), 0);
    assert.is(await redPixels(p.path('repo/milkyway/1/1/1_1.png')), 0);
    const wtml = fs.readFileSync(p.path('repo/milkyway/index.wtml'), 'utf8');
    assert.not.match(wtml, /<Place/);
    for (const attribute of ['Projection="Toast"', 'BaseDegreesPerTile="180"', 'TileLevels="2"', 'DataSetType="Sky"', 'Url="https://data.example.org/sky/milkyway/{1}/{3}/{3}_{2}.png"']) {
      assert.match(wtml, attribute);
    }
    assert.match(fs.readFileSync(p.path('repo/milkyway/index_rel.wtml'), 'utf8'), 'Url="{1}/{3}/{3}_{2}.png"');
    assert.ok(fs.existsSync(p.path('repo/milkyway/thumb.jpg')));
    const index = fs.readFileSync(p.path('repo/index.wtml'), 'utf8');
    assert.match(index, /<ImageSet X:LastUpdated="[^"]+" [^>]*Name="milkyway"[^>]*Projection="Toast"/);
    assert.is((index.match(/<Place /g) ?? []).length, 1, 'the study beside it keeps its Place');

    // A planet map is DataSetType="Planet"; a broken sidecar is one line naming it.
    p.write('incoming/milkyway.allsky.yaml', 'projection: plate-carree-planet\ndepth: 1\n');
    const planet = p.json(['all', ...BASE]);
    assert.is(planet.code, 0, planet.stderr);
    assert.match(fs.readFileSync(p.path('repo/milkyway/index.wtml'), 'utf8'), 'DataSetType="Planet"');
    assert.not.ok(fs.existsSync(p.path('repo/milkyway/2')), 'the deeper level of the old version is gone');
    p.write('incoming/milkyway.allsky.yaml', 'projection: mercator\n');
    const broken = p.json(['all', ...BASE]);
    assert.is(broken.code, 1);
    assert.match(broken.report.failed![0]!.error!, /milkyway\.allsky\.yaml: projection must be one of plate-carree, plate-carree-ecliptic, plate-carree-galactic, plate-carree-planet, not "mercator"/);
  } finally {
    p.remove();
  }
});

test('an all-sky map works with a remote cache and shards as a study does: restored elsewhere, byte for byte', async () => {
  const a = new TempProject('imgbuild-toast-a-');
  const b = new TempProject('imgbuild-toast-b-');
  const shared = new TempProject('imgbuild-toast-cache-');
  try {
    for (const p of [a, b]) {
      fs.mkdirSync(p.path('incoming'));
      await skyMap(p.path('incoming/milkyway.png'), [[45, 30]]);
      p.write('incoming/milkyway.allsky.yaml', 'projection: plate-carree\ndepth: 2\n');
    }
    const flags = ['--remote-cache', `file://${shared.dir}`, ...BASE];
    const first = a.json(['all', ...flags]);
    assert.is(first.code, 0, first.stderr);
    // Machine b builds the one shard holding the map: the tiles come from the cache.
    const second = b.json(['all', '--shard', '1/1', ...flags]);
    assert.is(second.code, 0, second.stderr);
    assert.ok(((second.report as { restored?: Array<{ id: string }> }).restored ?? []).some((r) => r.id === 'tiles:milkyway'), 'the TOAST pyramid was restored');
    for (let level = 0; level <= 2; level++) {
      for (let y = 0; y < 2 ** level; y++) {
        for (let x = 0; x < 2 ** level; x++) {
          const tile = `${level}/${y}/${y}_${x}.png`;
          assert.ok(fs.readFileSync(a.path('repo/milkyway', tile)).equals(fs.readFileSync(b.path('repo/milkyway', tile))), tile);
        }
      }
    }
    assert.is(b.cli(['reindex', ...BASE]).code, 0);
    assert.match(fs.readFileSync(b.path('repo/index.wtml'), 'utf8'), /Name="milkyway"[^>]*Projection="Toast"/);
  } finally {
    for (const p of [a, b, shared]) p.remove();
  }
});

test('a FITS map (CAR) with a sidecar: read bottom row first, tiled as TOAST', async () => {
  const p = new TempProject('imgbuild-toast-fits-');
  try {
    // 512×256 int16, zero except a bright cap around the north pole (latitudes above ~80°): FITS row 1 is the
    // bottom (south) row, so the cap is stored in the last rows; the picture made from it has it at the top.
    const width = 512;
    const height = 256;
    const values = new Int16Array(width * height);
    for (let y = height - 14; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = 1000;
    p.write('incoming/sky.fits', imageFile(16, width, height, values, [['CTYPE1', 'RA---CAR'], ['CTYPE2', 'DEC--CAR']]));
    p.write('incoming/sky.allsky.yaml', 'projection: plate-carree\ndepth: 1\n');
    const run = p.json(['all', ...BASE]);
    assert.is(run.code, 0, run.stderr);
    assert.match(fs.readFileSync(p.path('repo/sky/index.wtml'), 'utf8'), 'Projection="Toast"');
    // The north pole is at the centre of the level-0 tile (GUIDE §4): bright there, dark at the corners (south).
    const { data } = await (await loadSharp())(p.path('repo/sky/0/0/0_0.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number): number => data[(y * 256 + x) * 4]!;
    assert.ok(at(128, 128) > 100, `centre ${at(128, 128)}`);
    assert.ok(at(2, 2) < 40 && at(253, 253) < 40, 'corners dark');
  } finally {
    p.remove();
  }
});

test('all-sky maps declared by a pattern in pipeline.config.ts, without sidecars', async () => {
  const p = new TempProject('imgbuild-toast-config-');
  try {
    fs.mkdirSync(p.path('incoming'));
    await skyMap(p.path('incoming/mw_allsky.png'), [[45, 30]]);
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    p.write('pipeline.config.ts', `import { defineConfig } from 'imgbuild';\nexport default defineConfig({ publishUrlPrefix: 'https://data.example.org/sky/', allSky: [{ files: '{id}_allsky.png', projection: 'plate-carree', depth: 1 }] });\n`);
    const run = p.json(['all']);
    assert.is(run.code, 0, run.stderr);
    assert.match(fs.readFileSync(p.path('repo/mw_allsky/index.wtml'), 'utf8'), /Projection="Toast"[^>]*TileLevels="1"/);
    assert.match(fs.readFileSync(p.path('repo/orion/index.wtml'), 'utf8'), 'Projection="Tan"', 'other images stay studies');
    p.write('pipeline.config.ts', `import { defineConfig } from 'imgbuild';\nexport default defineConfig({ allSky: [{ files: '*.png', projection: 'mercator' }] });\n`);
    const bad = p.cli(['all']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /pipeline\.config\.ts: allSky must be a list of \{ files: /);
  } finally {
    p.remove();
  }
});

test.run();
