// What reading a feed gives: the items it offers (each with the data its fetch node is keyed on), the ones it
// refused (each its own failure), the ones that are not for us (a non-TAN projection: told, not failed), and
// problems of the feed as a whole that still let the rest through (a search page without its list).
import type { Json } from '../graph/rule.js';
import type { RefusedItem } from '../graph/item-list.js';

export interface FeedCandidate {
  readonly id: string;
  readonly data: Json;
}

export interface FeedReading {
  readonly candidates: FeedCandidate[];
  readonly refused: RefusedItem[];
  /** One line each: items skipped because imgbuild cannot use them (toasty's NotActionableError). */
  readonly ignored: string[];
  /** One line each: failures of the feed itself that did not stop the others. */
  readonly problems: string[];
}
