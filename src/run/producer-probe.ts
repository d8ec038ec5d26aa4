// A dry run's look at a producer (docs/seams.md §3): the rule runs with its outputs in a scratch folder, so the
// plan can list the nodes its items would make, and nothing in the work folder, the cache or the repository
// changes. A producer that cannot be read (no network, a broken feed) leaves its dependents unexpanded, and
// the plan says what they depend on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildNode } from '../graph/build-graph.js';
import type { RunContext } from '../graph/rule.js';
import type { Repository } from '../repo/repository.js';
import type { Settings } from '../config/settings.js';
import { describeError } from './describe-error.js';
import { runCommand } from './run-command.js';

export type ProbeResult = { readonly list: string; readonly cleanup: () => void } | { readonly unread: string };

export async function probeProducer(
  node: BuildNode,
  key: string,
  settings: Settings,
  repository: Repository,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-probe-'));
  const cleanup = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const outputs: Record<string, string> = {};
  for (const output of node.outputs) {
    const file = path.join(dir, output.relative);
    fs.mkdirSync(output.folder ? file : path.dirname(file), { recursive: true });
    outputs[output.name] = file;
  }
  const ctx: RunContext = {
    id: node.id,
    rule: node.rule.name,
    item: node.item,
    key,
    wildcards: node.wildcards,
    inputs: Object.fromEntries(node.inputs.map((i) => [i.name, fs.existsSync(i.path) ? i.path : undefined])),
    outputs,
    params: node.params,
    data: node.data,
    file: node.file,
    settings,
    repository,
    upstream: () => [],
    status: () => undefined,
    log: () => undefined,
    warn,
    signal: signal ?? new AbortController().signal,
  };
  try {
    if (node.rule.run) await node.rule.run(ctx);
    else await runCommand(node.rule.command!(ctx), ctx, () => undefined);
    return { list: outputs['items']!, cleanup };
  } catch (error) {
    cleanup();
    return { unread: describeError(error, settings.projectDir) };
  }
}
