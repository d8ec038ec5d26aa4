// Per-dataset processing as CALDP does it: the user's rules (a program wrapped in a `command` rule, say) make
// each dataset's products, previews are made of the FITS products named, and everything is published in
// CALDP's layout with a marker per processed dataset. The first rule's nodes are the datasets.
import { RuleError, type Rule } from '../../src/graph/rule.js';
import { datasetPublish } from './dataset-publish.js';
import { fitsPreviewOf, type PreviewOf } from './fits-preview-of.js';

export interface DatasetRulesOptions {
  /** The processing rules; the first has one node per dataset, the others run per dataset too. */
  readonly rules: readonly Rule[];
  /** FITS outputs to preview (published under previews/). */
  readonly previews?: readonly PreviewOf[];
}

export function datasetRules({ rules, previews = [] }: DatasetRulesOptions): Rule[] {
  const first = rules[0];
  if (first === undefined) throw new RuleError('datasetRules: give at least one processing rule (its nodes are the datasets)');
  const previewRules = previews.map(fitsPreviewOf);
  const all = [...rules, ...previewRules];
  return [...all, datasetPublish({ forEach: first.name, rules: all.map((r) => r.name) })];
}
