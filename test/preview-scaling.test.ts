// Preview scaling on a synthetic ramp 0, 1, …, 1000: every expected value below is worked out by hand in the
// comments, not computed by the code under test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { autoscaleCuts, greyLevels } from '../src/fits/preview-scaling.js';

const ramp = Float64Array.from({ length: 1001 }, (_, i) => i);

test('autoscale P keeps the (100 − P) … P percentiles, as fitscut --autoscale=P does', () => {
  // 1001 values, nearest rank on 1000 steps: the 0.5 % value is index 5, the 99.5 % value index 995.
  assert.equal(autoscaleCuts(ramp, 99.5), { low: 5, high: 995 });
  // 99 %: indexes 10 and 990 (NOT 5/995, which is what (100 ± P)/2 would give).
  assert.equal(autoscaleCuts(ramp, 99), { low: 10, high: 990 });
  assert.equal(autoscaleCuts(ramp, 100), { low: 0, high: 1000 });
});

test('the cuts do not depend on the order of the sample (shuffled, reversed, with repeated values)', () => {
  // The same 1001 values in a scrambled order: 0.5 % and 99.5 % are still 5 and 995.
  const shuffled = Float64Array.from({ length: 1001 }, (_, i) => (i * 389) % 1001); // 389 is prime to 1001
  assert.equal(autoscaleCuts(shuffled, 99.5), { low: 5, high: 995 });
  assert.equal(autoscaleCuts(Float64Array.from(ramp).reverse(), 99), { low: 10, high: 990 });
  // 500 zeros, 501 ones (any order): ranks 5 and 995 of the sorted list are 0 and 1.
  const twoValued = Float64Array.from({ length: 1001 }, (_, i) => ((i * 7) % 1001 < 500 ? 0 : 1));
  assert.equal(autoscaleCuts(twoValued, 99.5), { low: 0, high: 1 });
});

test('a picture that is mostly one value (zero padding): the cuts fall in and out of the equal band', () => {
  // 10,000 zeros and the ramp 1…1000 above them, interleaved: 11,000 values. Rank of 0.5 % = round(0.005 × 10999)
  // = 55 → 0 (inside the zeros); rank of 99.5 % = round(0.995 × 10999) = 10944; sorted, index 10000 holds 1,
  // so index 10944 holds 945.
  const mostlyZero = Float64Array.from({ length: 11000 }, (_, i) => (i % 11 === 10 ? (i + 1) / 11 : 0));
  assert.equal(autoscaleCuts(mostlyZero, 99.5), { low: 0, high: 945 });
  // All equal: both cuts are that value.
  assert.equal(autoscaleCuts(new Float64Array(200_000).fill(3), 99.5), { low: 3, high: 3 });
});

test('NaN (missing and BLANK) is ignored by the cuts; an all-missing sample gives 0..1', () => {
  const withHoles = Float64Array.from([...ramp, NaN, NaN, NaN, -Infinity]);
  assert.equal(autoscaleCuts(withHoles, 99.5), { low: 5, high: 995 });
  assert.equal(autoscaleCuts([NaN, NaN], 99.5), { low: 0, high: 1 });
});

test('each scaling at t = 0.25, 0.5 and 0.1 of the range 0..1000', () => {
  const cuts = { low: 0, high: 1000 };
  const at = (scaling: 'linear' | 'sqrt' | 'log' | 'asinh') => [250, 500, 100].map(greyLevels(scaling, cuts));
  // linear: 255 × 0.25 = 63.75 → 64; 255 × 0.5 = 127.5 → 128; 255 × 0.1 = 25.5 → 26.
  assert.equal(at('linear'), [64, 128, 26]);
  // sqrt: 255 × 0.5 = 127.5 → 128; 255 × 0.7071 = 180.3 → 180; 255 × 0.3162 = 80.6 → 81.
  assert.equal(at('sqrt'), [128, 180, 81]);
  // log: 255 × log10(1000 t + 1) / log10(1001): log10 251 = 2.3997, log10 1001 = 3.0004 → 0.7998 → 203.9 → 204;
  // log10 501 = 2.6998 → 0.8998 → 229.5 → 229; log10 101 = 2.0043 → 0.6680 → 170.3 → 170.
  assert.equal(at('log'), [204, 229, 170]);
  // asinh: 255 × asinh(10 t) / asinh(10): asinh 2.5 = ln(2.5 + √7.25) = 1.6472, asinh 10 = ln(10 + √101) = 2.9982
  // → 0.5494 → 140.1 → 140; asinh 5 = 2.3124 → 0.7713 → 196.7 → 197; asinh 1 = 0.8814 → 0.2940 → 75.0 → 75.
  assert.equal(at('asinh'), [140, 197, 75]);
});

test('values outside the cuts clamp to black and white; a missing value is black', () => {
  const grey = greyLevels('asinh', { low: 5, high: 995 });
  assert.equal([-100, 5, 995, 5000, NaN].map(grey), [0, 0, 255, 255, 0]);
  // A flat image (low = high): at or above the level is white.
  const flat = greyLevels('linear', { low: 7, high: 7 });
  assert.equal([6, 7, 8].map(flat), [0, 255, 255]);
});

test.run();
