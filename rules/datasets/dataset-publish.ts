// Publishing per-dataset results in CALDP's layout (../shared/seeds/caldp-README.rst, "Output Structure"):
//   data/[<instrument>/]<id>/            what the dataset's rules declare they publish (science products)
//   data/[<instrument>/]<id>/logs/       each node's last log (<rule>.log) and metrics.json (its run records)
//   data/[<instrument>/]<id>/previews/   previews (fitsPreviewOf)
//   messages/datasets-processed/<id>     an empty marker, written last: a downstream archive watches for it
// The data set is published like any other (files, manifest last); the marker goes first on a republish, so
// it never stands beside a data set that is being replaced.
import fs from 'node:fs';
import path from 'node:path';
import { defineRule, type Rule } from '../../src/graph/rule.js';
import { readManifest } from '../../src/repo/data-set-manifest.js';
import { PROGRESS_NAME, publishDataSet, type FileToPublish } from '../../src/repo/publish-data-set.js';
import { publishedFiles } from '../../src/repo/published-files.js';
import { nodeLogFile } from '../../src/run/node-log.js';
import { readRunHistory } from '../../src/runs/run-history.js';
import { hashFileContents } from '../../src/cache/file-hasher.js';

export const PROCESSED_MARKERS = 'messages/datasets-processed';

/** Where a dataset's folder goes: data/<instrument>/<id> when the id's first letter names an instrument. */
export function datasetFolder(id: string, instruments: Readonly<Record<string, string>>): string {
  const instrument = instruments[id.charAt(0).toLowerCase()];
  return instrument !== undefined ? `data/${instrument}/${id}` : `data/${id}`;
}

export interface DatasetPublishOptions {
  /** The rule with one node per dataset. */
  readonly forEach: string;
  /** The rules whose declared outputs (`publish`) and logs make the dataset. */
  readonly rules: readonly string[];
}

export function datasetPublish({ forEach, rules }: DatasetPublishOptions): Rule {
  return defineRule({
    name: 'dataset-publish',
    version: 1,
    description: "publish each dataset in CALDP's layout (data/…/<id>/ with logs/ and previews/), then its messages/datasets-processed marker",
    forEach,
    after: rules.filter((r) => r !== forEach),
    publishes: true,
    cache: false,
    // HST's ipppssoot: the first letter is the instrument (j ACS, i WFC3, o STIS, l COS); {} = no instrument level.
    params: { instruments: {} as Record<string, string> },
    outputs: (node) => ({ logs: `${node.item}/dataset-logs/` }),
    checkReadsOnlyRepository: true,
    check: async (ctx) => {
      const folder = datasetFolder(ctx.item, ctx.params['instruments'] as Record<string, string>);
      const manifest = await readManifest(ctx.repository, folder);
      if (manifest === undefined) return `not in the repository (${ctx.repository.description})`;
      if (manifest.key !== ctx.key) return 'the repository holds another version';
      if ((await ctx.repository.get(`${folder}/${PROGRESS_NAME}`)) !== undefined) return `an interrupted publish left ${folder}/${PROGRESS_NAME}`;
      if ((await ctx.repository.get(`${PROCESSED_MARKERS}/${ctx.item}`)) === undefined) return `${PROCESSED_MARKERS}/${ctx.item} is missing`;
      return undefined;
    },
    run: async (ctx) => {
      const instruments = ctx.params['instruments'] as Record<string, string>;
      const folder = datasetFolder(ctx.item, instruments);
      const files: FileToPublish[] = publishedFiles(ctx, [forEach, ...rules.filter((r) => r !== forEach)]);
      // The logs and metrics of this dataset's nodes, as they ran (written into this node's own output).
      const logsDir = ctx.outputs['logs']!;
      fs.mkdirSync(logsDir, { recursive: true });
      const history = readRunHistory(ctx.settings.cache);
      const metrics = [];
      for (const rule of [forEach, ...rules.filter((r) => r !== forEach)]) {
        for (const upstream of ctx.upstream(rule)) {
          const record = history.get(upstream.id);
          if (record !== undefined) metrics.push(record);
          const log = nodeLogFile(ctx.settings.cache, upstream.id);
          if (fs.existsSync(log)) fs.copyFileSync(log, path.join(logsDir, `${rule}.log`));
        }
      }
      fs.writeFileSync(path.join(logsDir, 'metrics.json'), JSON.stringify({ dataset: ctx.item, nodes: metrics }, null, 1) + '\n');
      for (const name of fs.readdirSync(logsDir).sort()) {
        const source = path.join(logsDir, name);
        files.push({ path: `logs/${name}`, source, size: fs.statSync(source).size, sha256: hashFileContents(source) });
      }
      // The marker says "processed and complete": it goes before anything is replaced, and comes back last.
      await ctx.repository.delete(`${PROCESSED_MARKERS}/${ctx.item}`);
      ctx.status(`publishing ${files.length} files to ${folder}/`);
      const result = await publishDataSet(ctx.repository, folder, ctx.key, files, { signal: ctx.signal });
      await ctx.repository.put(`${PROCESSED_MARKERS}/${ctx.item}`, Buffer.alloc(0), { contentType: 'application/octet-stream', cacheControl: 'no-store' });
      ctx.log(`${folder}/: ${result.uploaded} files uploaded (${result.uploadedBytes} bytes), ${result.unchanged} unchanged, ${result.removed} removed`);
    },
  });
}
