// Rule `wtml`: the image's index_rel.wtml (relative URLs, for review) and index.wtml (absolute URLs under
// publish_url_prefix + id + "/").
import fs from 'node:fs';
import { defineRule } from '../src/graph/rule.js';
import { studyLayout } from '../src/wwt/study-layout.js';
import { dataSetUrlPrefix, studyWtml, type StudyWtmlInput } from '../src/wwt/wtml.js';
import { readPlacement } from './read-placement.js';

export default defineRule({
  name: 'wtml',
  version: 1,
  description: 'index_rel.wtml and index.wtml for each image',
  forEach: 'place',
  outputs: (node) => ({ relative: `${node.item}/index_rel.wtml`, absolute: `${node.item}/index.wtml` }),
  params: (settings) => ({ publishUrlPrefix: settings.publishUrlPrefix }),
  paramTypes: { publishUrlPrefix: { type: 'string' } },
  run: (ctx) => {
    const prefix = String(ctx.params['publishUrlPrefix']);
    if (prefix === '') {
      throw new Error('publish_url_prefix is not set: pass --publish-url-prefix URL or set publishUrlPrefix in pipeline.config.ts');
    }
    const placement = readPlacement(ctx);
    const name = placement.metadata.title ?? ctx.item;
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
