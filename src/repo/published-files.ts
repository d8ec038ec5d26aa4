// The files of an item's data set, gathered from what its upstream rules declare they publish
// (RuleDefinition.publish, docs/seams.md §5), so a publishing rule lists no other rule's outputs itself.
import path from 'node:path';
import type { RunContext } from '../graph/rule.js';
import type { FileToPublish } from './publish-data-set.js';

export function publishedFiles(ctx: RunContext, rules: readonly string[]): FileToPublish[] {
  const files: FileToPublish[] = [];
  for (const rule of rules) {
    for (const upstream of ctx.upstream(rule)) {
      for (const { output, as } of upstream.published) {
        const built = upstream.files[output];
        if (built === undefined) throw new Error(`rule ${rule} says it publishes its output ${output}, but it has no output of that name`);
        if (built.length === 0) throw new Error(`${upstream.id} has not built its output ${output}`);
        for (const file of built) {
          // A folder output's files keep their paths under `as`; a file output is named `as` (or keeps its name in a folder).
          // (A folder output published `as: 'x'` goes under x/, as a folder must.)
          const folder = as === '' || as.endsWith('/') ? as : `${as}/`;
          const where = file.relative !== '' ? `${folder}${file.relative}` : as === '' || as.endsWith('/') ? `${as}${path.basename(file.path)}` : as;
          files.push({ path: where, source: file.path, size: file.size, sha256: file.hash });
        }
      }
    }
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const other = seen.get(file.path);
    if (other !== undefined && other !== file.source) throw new Error(`two outputs would be published as ${file.path}: ${other} and ${file.source}`);
    seen.set(file.path, file.source);
  }
  return files;
}
