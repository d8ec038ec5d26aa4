// Rule `wtml`: the image's index_rel.wtml (relative URLs, for review) and index.wtml (absolute URLs under
// publish_url_prefix + id + "/").
import fs from 'node:fs';
import { ImgbuildError } from '../src/errors.js';
import { defineRule } from '../src/graph/rule.js';
import { studyLayout } from '../src/wwt/study-layout.js';
import { dataSetUrlPrefix, studyWtml, type StudyWtmlInput, toastWtml } from '../src/wwt/wtml.js';
import { readPlacement } from './read-placement.js';

export default defineRule({
  name: 'wtml',
  version: 1,
  description: 'index_rel.wtml and index.wtml for each image',
  forEach: 'place',
  outputs: (node) => ({ relative: `${node.item}/index_rel.wtml`, absolute: `${node.item}/index.wtml` }),
  publish: [
    { output: 'relative', as: 'index_rel.wtml' },
    { output: 'absolute', as: 'index.wtml' },
  ],
  params: (settings) => ({ publishUrlPrefix: settings.publishUrlPrefix }),
  // Checked at plan time, so `--dry-run` reports it and a real run stops before tiling anything.
  requires: (settings) => publishUrlPrefixProblem(settings.publishUrlPrefix),
  paramTypes: { publishUrlPrefix: { type: 'string' } },
  run: (ctx) => {
    const prefix = String(ctx.params['publishUrlPrefix']);
    const problem = publishUrlPrefixProblem(prefix);
    if (problem !== undefined) throw new ImgbuildError('config', problem);
    const placement = readPlacement(ctx);
    const name = placement.metadata.title ?? ctx.item;
    if (placement.allSky !== undefined) {
      const toast = { name, folderName: name, tileLevels: placement.allSky.depth, dataSetType: placement.allSky.projection === 'plate-carree-planet' ? 'Planet' : 'Sky', metadata: placement.metadata } as const;
      fs.writeFileSync(ctx.outputs['relative']!, toastWtml(toast, undefined));
      fs.writeFileSync(ctx.outputs['absolute']!, toastWtml(toast, dataSetUrlPrefix(prefix, ctx.item)));
      return;
    }
    const input: StudyWtmlInput = {
      name,
      folderName: name,
      tileLevels: studyLayout(placement.width, placement.height).tileLevels,
      placement: placement.study,
      metadata: placement.metadata,
    };
    fs.writeFileSync(ctx.outputs['relative']!, studyWtml(input, undefined));
    fs.writeFileSync(ctx.outputs['absolute']!, studyWtml(input, dataSetUrlPrefix(prefix, ctx.item)));
  },
});

const WHERE_TO_SET = 'pass --publish-url-prefix URL, set publishUrlPrefix in pipeline.config.ts, or set publish_url_prefix in the repository\'s imgbuild-pipeline-config.yaml';

/** Why a publish URL prefix cannot make index.wtml's absolute URLs, or undefined when it can. */
export function publishUrlPrefixProblem(prefix: string): string | undefined {
  if (prefix === '') return `publish_url_prefix is not set (index.wtml needs absolute URLs): ${WHERE_TO_SET}`;
  let url: URL;
  try {
    url = new URL(prefix);
  } catch {
    return `publish_url_prefix ${JSON.stringify(prefix)} is not a URL: give an http(s) URL such as https://data.example.org/wwt/ (${WHERE_TO_SET})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `publish_url_prefix ${JSON.stringify(prefix)} is not an http(s) URL: give one such as https://data.example.org/wwt/ (${WHERE_TO_SET})`;
  }
  return undefined;
}
