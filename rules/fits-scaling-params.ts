// How FITS pixel values become 8-bit grey, as parameters: one definition for the preview JPEGs and for the
// picture the study tiles are cut from, so both look alike unless a config sets them apart. CALDP's default:
// asinh, keeping 99.5 % of the histogram (fitscut --asinh-scale --autoscale=99.5).
import type { ParamTypes } from '../src/graph/param-types.js';
import { PREVIEW_SCALINGS } from '../src/fits/preview-scaling.js';

export const FITS_SCALING_PARAMS = { scaling: 'asinh', percent: 99.5 } as const;

export const FITS_SCALING_TYPES: ParamTypes = {
  scaling: { type: 'string', oneOf: PREVIEW_SCALINGS },
  percent: { type: 'number', min: 50, max: 100 },
};
