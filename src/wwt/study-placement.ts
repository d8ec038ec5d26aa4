// Where a tiled study sits on the sky: the ImageSet and Place values of its WTML, from a top-down WCS.
// The formulas are toasty's (via wwt_data_formats `set_position_from_wcs`); see ../shared/GUIDE.md §2.
import { determinant, pixelScales, pixelToWorld, type Wcs } from './wcs.js';
import { studyLayout } from './study-layout.js';

export interface StudyPlacement {
  readonly centerX: number;
  readonly centerY: number;
  readonly offsetX: number;
  readonly offsetY: number;
  readonly rotation: number;
  readonly baseDegreesPerTile: number;
  readonly tileLevels: number;
  /** Place position: the sky position of the image's centre pixel. */
  readonly placeRaHours: number;
  readonly placeDec: number;
  readonly zoomLevel: number;
}

/** How much of the viewport height the image fills when WWT goes to its Place (toasty's default). */
const FOV_FACTOR = 1.7;

/**
 * Placement of a `width`×`height` image whose top-down WCS has positive parity (det CD > 0), as it is tiled.
 * Call `withPositiveParity` first for anything else.
 */
export function studyPlacement(wcs: Wcs, width: number, height: number): StudyPlacement {
  const { tileLevels } = studyLayout(width, height);
  const [, cd12, , cd22] = wcs.cd;
  const sign = determinant(wcs) < 0 ? -1 : 1;
  const scales = pixelScales(wcs);
  const scaleX = scales.scaleX * sign;
  const scaleY = scales.scaleY;
  // CRPIX counts pixel centres from 1; WWT measures from pixel edges, so the reference point is CRPIX − 0.5.
  const refX = wcs.crpix[0] - 0.5;
  const refY = wcs.crpix[1] - 0.5;
  // The image is centred on a power-of-two canvas with floor() padding, so the canvas centre falls at
  // ceil(w/2), ceil(h/2) in image pixel-edge coordinates (see study-layout.ts).
  const [placeRa, placeDec] = pixelToWorld(wcs, (width + 1) / 2, (height + 1) / 2);
  return {
    centerX: wcs.crval[0],
    centerY: wcs.crval[1],
    offsetX: (Math.ceil(width / 2) - refX) * scaleX,
    offsetY: (refY - Math.ceil(height / 2)) * scaleY,
    rotation: (Math.atan2(-sign * cd12, -cd22) * 180) / Math.PI,
    baseDegreesPerTile: scaleY * 256 * 2 ** tileLevels,
    tileLevels,
    placeRaHours: placeRa / 15,
    placeDec,
    zoomLevel: height * scaleY * FOV_FACTOR * 6,
  };
}
