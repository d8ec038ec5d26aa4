// Header-only FITS files (what astrometry.net writes as a .wcs sidecar).
import fs from 'node:fs';

export function writeFitsHeader(file: string, cards: Record<string, string | number | boolean>): void {
  const format = (value: string | number | boolean): string =>
    typeof value === 'string' ? `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20) : typeof value === 'boolean' ? (value ? 'T' : 'F').padStart(20) : String(value).padStart(20);
  const all: Record<string, string | number | boolean> = { SIMPLE: true, BITPIX: 8, NAXIS: 0, ...cards };
  let text = Object.entries(all)
    .map(([key, value]) => `${key.padEnd(8)}= ${format(value)}`.padEnd(80))
    .join('');
  text += 'END'.padEnd(80);
  fs.writeFileSync(file, text.padEnd(Math.ceil(text.length / 2880) * 2880, ' '), 'latin1');
}
