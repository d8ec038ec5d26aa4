// Runs the real watcher (chokidar on a temporary folder, one build session) in-process, with simple text rules,
// and lets a test wait for what it tells. Every wait is bounded; `stop` always ends the watcher.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineRule, type Rule } from '../../src/graph/rule.js';
import { ImgbuildError } from '../../src/errors.js';
import { BuildSession } from '../../src/run/build-session.js';
import type { BuildEvent } from '../../src/run/events.js';
import type { WatchEvent } from '../../src/watch/watch-events.js';
import { watchIncoming, type WatchOptions } from '../../src/watch/watch-incoming.js';

export interface Counters {
  copies: Map<string, number>;
  indexRuns: number;
  /** While set, the copy rule fails as the environment (a repository that does not answer). */
  environmentDown: boolean;
  /** Each copy takes this long (to stop a watcher in the middle of a batch). */
  copyMs: number;
}

/** `copy` per `{id}.txt` (fails on content "corrupt"), and `index` over all copies (kept over removals). */
export function textRules(counters: Counters): Rule[] {
  const copy = defineRule({
    name: 'copy',
    version: 1,
    forEach: { files: '{id}.txt' },
    inputs: (n) => ({ text: n.file! }),
    outputs: (n) => ({ out: `${n.item}.out` }),
    run: async (ctx) => {
      counters.copies.set(ctx.item, (counters.copies.get(ctx.item) ?? 0) + 1);
      if (counters.copyMs > 0) await new Promise((resolve) => setTimeout(resolve, counters.copyMs));
      if (counters.environmentDown) throw new ImgbuildError('environment', 'the repository could not be reached');
      const text = fs.readFileSync(ctx.inputs['text']!, 'utf8');
      if (text.startsWith('corrupt')) throw new ImgbuildError('config', `${ctx.item}.txt is corrupt: replace it`);
      fs.writeFileSync(ctx.outputs['out']!, text.toUpperCase());
    },
  });
  const index = defineRule({
    name: 'index',
    version: 1,
    aggregate: 'copy',
    unaffectedByRemovedUpstream: true,
    outputs: () => ({ list: 'index.txt' }),
    run: (ctx) => {
      counters.indexRuns++;
      fs.writeFileSync(ctx.outputs['list']!, ctx.upstream('copy').map((u) => u.item).sort().join('\n'));
    },
  });
  return [copy, index];
}

export class WatchRig {
  readonly dir: string;
  readonly incoming: string;
  readonly counters: Counters = { copies: new Map(), indexRuns: 0, environmentDown: false, copyMs: 0 };
  readonly events: WatchEvent[] = [];
  readonly buildEvents: BuildEvent[] = [];
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private session: BuildSession | undefined;
  error: unknown;

  constructor(dir?: string) {
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-watch-'));
    this.incoming = path.join(this.dir, 'incoming');
    fs.mkdirSync(this.incoming, { recursive: true });
  }

  file(name: string): string {
    return path.join(this.incoming, name);
  }

  work(name: string): string {
    return path.join(this.dir, 'work', name);
  }

  async start(options: Partial<WatchOptions> = {}): Promise<void> {
    this.events.length = 0;
    this.buildEvents.length = 0;
    this.controller = new AbortController();
    const rules = textRules(this.counters);
    this.session = await BuildSession.open({ config: { rules }, projectDir: this.dir, cwd: this.dir, defaultRules: [], targets: ['all'] });
    const session = this.session;
    this.running = watchIncoming(session, {
      quietMs: 200,
      signal: this.controller.signal,
      emit: (e) => this.buildEvents.push(e),
      onWatch: (e) => this.events.push(e),
      ...options,
    })
      .catch((error) => {
        this.error = error;
      })
      .finally(() => session.close());
    await this.until(() => this.batches().length >= 1, 20_000, 'the first pass');
  }

  /** Batches done so far (the first pass included). */
  batches(): Array<Extract<WatchEvent, { type: 'batch-done' }>> {
    return this.events.filter((e): e is Extract<WatchEvent, { type: 'batch-done' }> => e.type === 'batch-done');
  }

  /** Wait until `condition` holds (checked every 20 ms), or fail after `ms`. */
  async until(condition: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (this.error) throw this.error;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; watch events: ${JSON.stringify(this.events.slice(-8))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Wait for `count` more batches after `after` batches. */
  async batchesAfter(after: number, count = 1, ms = 20_000): Promise<Array<Extract<WatchEvent, { type: 'batch-done' }>>> {
    await this.until(() => this.batches().length >= after + count, ms, `${count} batch(es) after ${after}`);
    return this.batches().slice(after);
  }

  /** Ask the watcher to stop (as the first Ctrl-C) and wait for it to end. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
    this.running = undefined;
  }

  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An mtime outside the hash memo's racy window, as files that arrived a while ago have. */
export function age(file: string): void {
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
}
