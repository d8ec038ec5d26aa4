// A FITS file we cannot read: always names the file and the HDU, so a user knows which input to fix.
import { ImgbuildError } from '../errors.js';

export class FitsError extends ImgbuildError {
  override readonly name: string = 'FitsError';
  constructor(file: string, hdu: number | undefined, problem: string, options?: { readonly cause?: unknown }) {
    super('config', `${file}${hdu === undefined ? '' : ` (HDU ${hdu})`}: ${problem}`, options);
  }
}
