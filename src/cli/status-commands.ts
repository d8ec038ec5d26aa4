// `imgbuild status [--json] [--failed] [ID…]` and `imgbuild log NODE-ID`: read the cache folder only (no
// repository, no lock), so they work beside a running build or watcher, and on a machine with no network.
import { UsageError } from '../errors.js';
import { nodeLog, queryStatus, statusJson, statusTable } from '../runs/run-status.js';
import type { CommandIo } from './archive-commands.js';
import { plural } from './plural.js';

export function runStatus(cache: string, options: { json: boolean; failedOnly: boolean; ids: readonly string[] }, io: CommandIo): number {
  const result = queryStatus(cache, { ids: options.ids, failedOnly: options.failedOnly });
  if (!result.ok) {
    throw new UsageError(`no node, item or rule ${result.unmatched.map((id) => JSON.stringify(id)).join(', ')} has run with the cache ${cache} (imgbuild status lists them)`);
  }
  if (options.json) {
    io.print(statusJson(result.nodes));
    return 0;
  }
  if (result.nodes.length === 0) {
    io.say(options.failedOnly ? 'no node failed in its latest run' : `nothing has run with the cache ${cache} yet (imgbuild all builds)`);
    return 0;
  }
  io.print(statusTable(result.nodes));
  return 0;
}

export function runLog(cache: string, ids: readonly string[], io: CommandIo): number {
  if (ids.length !== 1) throw new UsageError('imgbuild log takes one node id (imgbuild status lists them), e.g. imgbuild log tiles:m31');
  const id = ids[0]!;
  const result = nodeLog(cache, id);
  switch (result.kind) {
    case 'log':
      io.print(result.text);
      return 0;
    case 'never-ran':
      io.say(`${result.record.id} has no log: it never ran (${result.record.state}: ${result.record.message ?? 'no reason recorded'})`);
      return 1;
    case 'ambiguous':
      throw new UsageError(`${JSON.stringify(id)} names ${plural(result.ids.length, 'node')}: ${result.ids.join(', ')}; give one of them`);
    case 'unknown':
      throw new UsageError(`no node ${JSON.stringify(id)} has run with the cache ${cache} (imgbuild status lists them)`);
  }
}
