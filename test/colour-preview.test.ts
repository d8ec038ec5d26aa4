// A colour preview from three FITS bands: each band scaled on its own, red/green/blue where each band is bright,
// right side up (FITS row 1 at the bottom); a missing band or bands of different sizes are one clear error.
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageFile } from '../src/fits/fits-writer.js';
import { TempProject } from './helpers/project.js';

const W = 40;
const H = 20;

/** A band that is 0 except a 4×4 block of 100 whose lower-left FITS pixel (1-based) is (x0, y0). */
function band(x0: number, y0: number, width = W, height = H): Buffer {
  const values = new Float32Array(width * height);
  for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) values[(y - 1) * width + (x - 1)] = 100;
  return imageFile(-32, width, height, values);
}

function project(): TempProject {
  const p = new TempProject('imgbuild-colour-');
  p.write(
    'pipeline.config.ts',
    `import { defineConfig, colourPreview } from 'imgbuild';
export default defineConfig({ rules: [colourPreview], params: { 'colour-preview': { scaling: 'linear', quality: 100 } } });
`,
  );
  return p;
}

test('NAME_r, NAME_g, NAME_b make one colour preview: each band where its block is, right side up', async () => {
  const p = project();
  try {
    p.write('incoming/m42_r.fits', band(3, 2)); // bottom left
    p.write('incoming/m42_g.fits', band(18, 8)); // middle
    p.write('incoming/m42_b.fits', band(34, 15)); // top right
    const run = p.cli(['all']);
    assert.is(run.code, 0, run.stderr);
    const { data, info } = await sharp(p.path('work/m42/colour.jpg')).raw().toBuffer({ resolveWithObject: true });
    assert.equal([info.width, info.height, info.channels], [W, H, 3]);
    // FITS pixel (x, y) is picture column x−1, row H−y (row 1 is the bottom line). Block centres:
    const at = (x: number, y: number): number[] => {
      const i = ((H - y) * W + (x - 1)) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    const dominant = (rgb: number[], channel: number, what: string): void => {
      assert.ok(rgb[channel]! > 180 && rgb.every((v, c) => c === channel || v < 90), `${what}: ${rgb.join(',')}`);
    };
    dominant(at(5, 4), 0, 'the red block');
    dominant(at(20, 10), 1, 'the green block');
    dominant(at(36, 17), 2, 'the blue block');
    const corner = at(W, 1);
    assert.ok(corner.every((v) => v < 40), `the background is dark: ${corner.join(',')}`);
    const thumb = await sharp(p.path('work/m42/colour-thumb.jpg')).metadata();
    assert.equal([thumb.width, thumb.height, thumb.channels], [W, H, 3]);
  } finally {
    p.remove();
  }
});

test('a missing band, or bands of different sizes, is one clear error; other targets still build', () => {
  const p = project();
  try {
    p.write('incoming/m42_r.fits', band(3, 2));
    p.write('incoming/m42_b.fits', band(34, 15));
    p.write('incoming/m1_r.fits', band(3, 2));
    p.write('incoming/m1_g.fits', band(3, 2, 30, 20));
    p.write('incoming/m1_b.fits', band(3, 2));
    p.write('incoming/ok_r.fits', band(3, 2));
    p.write('incoming/ok_g.fits', band(3, 2));
    p.write('incoming/ok_b.fits', band(3, 2));
    const run = p.cli(['all', '--keep-going']);
    assert.is(run.code, 1);
    assert.match(run.stderr, /colour-preview:m42: a colour preview of m42 needs m42_r, m42_g, m42_b: m42_g is missing/);
    assert.match(run.stderr, /colour-preview:m1: m1_g\.fits is 30×20 but m1_r\.fits is 40×20: the three bands must be the same size/);
    assert.ok(p.cli(['status', 'colour-preview:ok']).stdout.includes(' done '));
  } finally {
    p.remove();
  }
});

test.run();
