// A feed, an item of it or one of its downloads is unusable: one line for the user, naming the item. Meant for
// the user, so it carries no stack (src/run/describe-error.ts prints its message alone).
import { ImgbuildError } from '../errors.js';

export class FeedError extends ImgbuildError {
  override readonly name = 'FeedError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('config', message, options);
  }
}
