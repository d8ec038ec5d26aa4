// Reading a built study back the way WWT sees it: the WTML's ImageSet values turned back into a top-down WCS
// (the inverse of GUIDE §2's formulas, assuming square pixels without skew, which is all WTML can say), and
// where a bright marker sits in a tile pyramid. Tests use them to check that a pixel lands where it belongs.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { studyLayout } from '../../src/wwt/study-layout.js';
import type { Wcs } from '../../src/wwt/wcs.js';

/** Numeric attributes of the first ImageSet (`imageSet`) and Place (`place`) of a WTML document. */
export function wtmlValues(wtml: string): { imageSet: Record<string, number>; place: Record<string, number> } {
  const numbers = (element: string): Record<string, number> => {
    const tag = new RegExp(`<${element} ([^>]*)>`).exec(wtml)?.[1] ?? '';
    const out: Record<string, number> = {};
    for (const [, name, value] of tag.matchAll(/(\w+)="([^"]*)"/g)) if (value !== '' && Number.isFinite(Number(value))) out[name!] = Number(value);
    return out;
  };
  return { imageSet: numbers('ImageSet'), place: numbers('Place') };
}

/** The top-down WCS a WTML study describes for a `width`×`height` picture (pixel (1, 1) = top left). */
export function wcsFromStudy(imageSet: Record<string, number>, width: number, height: number): Wcs {
  const levels = imageSet['TileLevels']!;
  const scale = imageSet['BaseDegreesPerTile']! / (256 * 2 ** levels);
  // OffsetX = (ceil(w/2) − refX)·scale, OffsetY = (refY − ceil(h/2))·scale, refpix = CRPIX − 0.5.
  const refX = Math.ceil(width / 2) - (imageSet['OffsetX'] ?? 0) / scale;
  const refY = Math.ceil(height / 2) + (imageSet['OffsetY'] ?? 0) / scale;
  // Rotation = atan2(−CD1_2, −CD2_2) for positive parity: CD = s·[[−cos ρ, −sin ρ], [sin ρ, −cos ρ]].
  const rho = (imageSet['Rotation']! * Math.PI) / 180;
  const [c, s] = [Math.cos(rho), Math.sin(rho)];
  return {
    ctype: ['RA---TAN', 'DEC--TAN'],
    crval: [imageSet['CenterX']!, imageSet['CenterY']!],
    crpix: [refX + 0.5, refY + 0.5],
    cd: [-scale * c, -scale * s, scale * s, -scale * c],
  };
}

/**
 * Centre of the pixels brighter than `threshold` (red channel, opaque) in the deepest level of a pyramid,
 * as a 1-based top-down pixel position of the `width`×`height` picture that was tiled (the canvas padding
 * taken off).
 */
export async function markerInPyramid(tiles: string, width: number, height: number, threshold = 200): Promise<[number, number]> {
  const layout = studyLayout(width, height);
  const level = path.join(tiles, String(layout.tileLevels));
  let [sx, sy, n] = [0, 0, 0];
  for (const y of fs.readdirSync(level)) {
    for (const name of fs.readdirSync(path.join(level, y))) {
      const x = Number(/_(\d+)\.png$/.exec(name)![1]);
      const { data, info } = await sharp(path.join(level, y, name)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      for (let py = 0; py < info.height; py++) {
        for (let px = 0; px < info.width; px++) {
          const i = (py * info.width + px) * 4;
          if (data[i + 3]! === 255 && data[i]! > threshold) {
            sx += x * 256 + px;
            sy += Number(y) * 256 + py;
            n++;
          }
        }
      }
    }
  }
  if (n === 0) throw new Error(`no pixel brighter than ${threshold} in ${level}`);
  return [sx / n - layout.x0 + 1, sy / n - layout.y0 + 1];
}
