// Makes example/incoming/dss-proxima-cen.png and its astrometry.net-style sidecar dss-proxima-cen.wcs.fits from the
// real DSS plate in ../shared/data (100×100 int16 FITS). FITS row 1 is the bottom row, so the PNG is the
// data flipped top-down and the sidecar's WCS is flipped to match (pixel (1, 1) at the PNG's top left).
// Run once: node scripts/make-sidecar-example.mjs [path/to/dss.fits.gz]
import fs from 'node:fs';
import zlib from 'node:zlib';
import sharp from 'sharp';

const source = process.argv[2] ?? '../shared/data/dss.14.29.56-62.41.05.fits.gz';
const bytes = zlib.gunzipSync(fs.readFileSync(source));
const cards = new Map();
let at = 0;
for (; ; at += 80) {
  const card = bytes.toString('latin1', at, at + 80);
  const key = card.slice(0, 8).trim();
  if (key === 'END') break;
  if (card.slice(8, 10) === '= ') cards.set(key, card.slice(10).split('/')[0].trim().replace(/^'(.*)'$/, '$1').trim());
}
const dataStart = Math.ceil((at + 80) / 2880) * 2880;
const width = Number(cards.get('NAXIS1'));
const height = Number(cards.get('NAXIS2'));
const values = new Float64Array(width * height);
for (let i = 0; i < values.length; i++) values[i] = bytes.readInt16BE(dataStart + 2 * i) * Number(cards.get('BSCALE') ?? 1) + Number(cards.get('BZERO') ?? 0);
const sorted = Float64Array.from(values).sort();
const lo = sorted[Math.floor(sorted.length * 0.005)];
const hi = sorted[Math.floor(sorted.length * 0.995)];
const pixels = Buffer.alloc(width * height);
for (let row = 0; row < height; row++) {
  for (let x = 0; x < width; x++) {
    const v = values[row * width + x];
    // FITS row `row` (from the bottom) becomes PNG row height-1-row (from the top).
    pixels[(height - 1 - row) * width + x] = Math.round(255 * Math.min(1, Math.max(0, Math.asinh((v - lo) / (hi - lo) * 10) / Math.asinh(10))));
  }
}
await sharp(pixels, { raw: { width, height, channels: 1 } }).png().toFile('example/incoming/dss-proxima-cen.png');

const num = (k) => Number(cards.get(k));
const header = [
  ['SIMPLE', 'T'], ['BITPIX', '8'], ['NAXIS', '0'],
  ['CTYPE1', "'RA---TAN'"], ['CTYPE2', "'DEC--TAN'"],
  ['CRVAL1', num('CRVAL1')], ['CRVAL2', num('CRVAL2')],
  ['CRPIX1', num('CRPIX1')], ['CRPIX2', height + 1 - num('CRPIX2')],
  ['CD1_1', num('CD1_1')], ['CD1_2', -num('CD1_2')], ['CD2_1', num('CD2_1')], ['CD2_2', -num('CD2_2')],
  ['IMAGEW', width], ['IMAGEH', height],
];
let text = header.map(([k, v]) => `${k.padEnd(8)}= ${String(v).padStart(20)}`.padEnd(80)).join('') + 'END'.padEnd(80);
text = text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
fs.writeFileSync('example/incoming/dss-proxima-cen.wcs.fits', text, 'latin1');
console.log('wrote example/incoming/dss-proxima-cen.png and .wcs.fits');
