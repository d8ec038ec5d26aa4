// Per-node run records (tom_education's status and log, CALDP's metrics): what `imgbuild status` and
// `imgbuild log` tell after real builds through the CLI, read from the cache alone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT, TempProject } from './helpers/project.js';
import { readRunHistory, RunHistory } from '../src/runs/run-history.js';
import type { RunRecord } from '../src/runs/run-record.js';

const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');

interface StatusNode extends RunRecord {
  readonly message: string;
}

function status(p: TempProject, args: string[] = []): StatusNode[] {
  const run = p.cli(['status', '--json', ...args]);
  assert.is(run.code, 0, run.stderr);
  return (JSON.parse(run.stdout) as { nodes: StatusNode[] }).nodes;
}

function byId(nodes: StatusNode[], id: string): StatusNode {
  const node = nodes.find((n) => n.id === id);
  assert.ok(node, `${id} is in the status (${nodes.map((n) => n.id).join(', ')})`);
  return node!;
}

/** Rules written in the project's config as a user would: status steps, log lines, a PipelineError, a bug. */
function mixedProject(): TempProject {
  const p = new TempProject('imgbuild-runs-');
  p.write('incoming/good.txt', 'alpha'); // 5 bytes
  p.write('incoming/bad.txt', 'beta!!'); // 6 bytes
  p.write('incoming/bug.txt', 'gamma');
  p.write(
    'pipeline.config.ts',
    `import fs from 'node:fs';
import { defineConfig, defineRule, PipelineError } from 'imgbuild';
export default defineConfig({
  rules: [
    defineRule({
      name: 'measure',
      version: 1,
      forEach: { files: '{id}.txt' },
      inputs: (node) => ({ text: node.file! }),
      outputs: (node) => ({ out: \`\${node.item}/measure.bin\` }),
      run: async (ctx) => {
        ctx.status('reading');
        ctx.log('read ' + fs.readFileSync(ctx.inputs['text']!, 'utf8'));
        ctx.status('measuring');
        ctx.status('measuring: 1/3 stars');
        ctx.status('measuring: 3/3 stars');
        if (ctx.item === 'bad') throw new PipelineError('the exposure is saturated: take a shorter one');
        if (ctx.item === 'bug') {
          const settings: any = undefined;
          return settings.threshold;
        }
        ctx.status('writing');
        fs.writeFileSync(ctx.outputs['out']!, Buffer.alloc(1234));
      },
    }),
    defineRule({
      name: 'report',
      version: 1,
      forEach: 'measure',
      outputs: (node) => ({ out: \`\${node.item}/report.txt\` }),
      run: async (ctx) => {
        const sizes = ctx.upstream('measure').flatMap((u) => u.files['out']!.map((f) => f.size));
        fs.writeFileSync(ctx.outputs['out']!, String(sizes));
      },
    }),
  ],
});
`,
  );
  return p;
}

test('status after a mixed run: states, steps, bytes, messages; a PipelineError is the message, a bug says where', () => {
  const p = mixedProject();
  try {
    const run = p.cli(['all', '--keep-going', '-j', '1']);
    assert.is(run.code, 1, run.stderr);
    const nodes = status(p);
    assert.equal(nodes.map((n) => `${n.id} ${n.state}`).sort(), [
      'measure:bad failed',
      'measure:bug failed',
      'measure:good done',
      'report:bad blocked',
      'report:bug blocked',
      'report:good done',
    ]);
    const good = byId(nodes, 'measure:good');
    // Progress within a step replaces it and keeps its start: reading, measuring (3/3), writing.
    assert.equal(
      good.steps.map((s) => s.step),
      ['reading', 'measuring: 3/3 stars', 'writing'],
    );
    assert.ok(good.steps.every((s, i) => s.ms >= (good.steps[i - 1]?.ms ?? 0)), 'steps are in time order');
    assert.is(good.bytesRead, 5);
    assert.is(good.bytesWritten, 1234);
    assert.is(good.message, null);
    assert.ok(!Number.isNaN(Date.parse(good.startedAt)) && good.startedAt.endsWith('Z'));
    assert.ok(good.ms >= 0 && good.cpuMs >= 0 && good.maxRssBytes > 10 * 1024 * 1024, JSON.stringify(good));
    // The report read the measurement through ctx.upstream: those bytes count as read.
    assert.is(byId(nodes, 'report:good').bytesRead, 1234);
    assert.is(byId(nodes, 'report:good').bytesWritten, '1234'.length);

    // A PipelineError fails the node with its message and nothing else.
    assert.is(byId(nodes, 'measure:bad').message, 'measure:bad: the exposure is saturated: take a shorter one [input: incoming/bad.txt]');
    assert.is(byId(nodes, 'measure:bad').bytesRead, 6);
    // An unexpected exception says what and where (the config file, the line of the bug).
    assert.match(byId(nodes, 'measure:bug').message, /^measure:bug: TypeError: Cannot read properties of undefined \(reading 'threshold'\) \(at pipeline\.config\.ts:\d+\)/);
    assert.is(byId(nodes, 'report:bug').message, 'measure:bug did not complete');

    // The human table: one line per node, then one per rule.
    const table = p.cli(['status']);
    assert.is(table.code, 0);
    assert.match(table.stdout, /^ID +RULE +STATE +WHEN \(UTC\) +TIME +MESSAGE\n/);
    assert.match(table.stdout, /\nmeasure:bad +measure +failed +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ m?s +measure:bad: the exposure is saturated/);
    assert.match(table.stdout, /\n\nmeasure: 1 done, 2 failed\nreport: 1 done, 2 blocked\n$/);

    // --failed and IDs (node ids, items, rules).
    assert.equal(status(p, ['--failed']).map((n) => n.id), ['measure:bad', 'measure:bug']);
    assert.equal(status(p, ['good']).map((n) => n.id), ['measure:good', 'report:good']);
    assert.equal(status(p, ['report', 'measure:bug']).map((n) => n.id), ['measure:bug', 'report:bad', 'report:bug', 'report:good']);
    const unknown = p.cli(['status', 'nope']);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /no node, item or rule "nope" has run with the cache .*cache \(imgbuild status lists them\)/);

    // The log: status steps and log lines; a bug's log has its stack, a PipelineError's does not.
    const badLog = p.cli(['log', 'measure:bad']);
    assert.is(badLog.code, 0);
    assert.match(badLog.stdout, /log +read beta!!\n/);
    assert.match(badLog.stdout, /error +measure:bad: the exposure is saturated/);
    assert.not.match(badLog.stdout, /\bat .*pipeline\.config/);
    assert.match(badLog.stdout, /failed after \d+\.\d s\n$/);
    const bugLog = p.cli(['log', 'measure:bug']);
    assert.match(bugLog.stdout, /error +TypeError: Cannot read properties of undefined[^\n]*\n.*at .*pipeline\.config\.ts:\d+/s);
    const blocked = p.cli(['log', 'report:bad']);
    assert.is(blocked.code, 1);
    assert.match(blocked.stderr, /report:bad has no log: it never ran \(blocked: measure:bad did not complete\)/);
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test('a node that failed three runs ago still has its log and its status; a fixed input makes it done', () => {
  const p = mixedProject();
  try {
    assert.is(p.cli(['all', '--keep-going', '-j', '1']).code, 1);
    // Three builds of other nodes: measure:bad is not run again.
    for (let i = 0; i < 3; i++) {
      p.write('incoming/good.txt', `alpha ${i}`);
      assert.is(p.cli(['measure:good']).code, 0);
    }
    assert.is(byId(status(p), 'measure:bad').state, 'failed');
    assert.is(byId(status(p), 'measure:good').bytesRead, 'alpha 2'.length);
    assert.match(p.cli(['log', 'measure:bad']).stdout, /the exposure is saturated/);
    // The journal was folded into latest.json when each build ended.
    assert.ok(fs.existsSync(p.path('cache/runs/latest.json')));
    assert.not.ok(fs.existsSync(p.path('cache/runs/journal.jsonl')));
    // Fixed: the rule no longer fails for it.
    fs.renameSync(p.path('incoming/bad.txt'), p.path('incoming/fine.txt'));
    p.cli(['all', '--keep-going']);
    assert.is(byId(status(p), 'measure:fine').state, 'done');
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

/** A project whose rule wraps an external program (as CALDP wraps calacs.e). */
function commandProject(): TempProject {
  const p = new TempProject('imgbuild-runs-');
  p.write('incoming/ok.raw', 'x'.repeat(100));
  p.write('incoming/broken.raw', 'y');
  // The program: burns ~400 ms of CPU, touches 160 MiB, talks on both streams; a "broken" input exits 3.
  const program = [
    "const fs = require('fs');",
    'const [input, output] = process.argv.slice(2);',
    "console.log('calibrating ' + input.split('/').pop());",
    "console.error('progress: 50%');",
    "if (input.endsWith('broken.raw')) { console.error('warning: header keyword FILTER missing'); console.error('ERROR: cannot open reference file jref$abc_bia.fits'); process.exit(3); }",
    'const block = Buffer.alloc(160 * 1024 * 1024, 1);',
    'const end = Date.now() + 400; let n = 0; while (Date.now() < end) n += block[n % block.length];',
    'setTimeout(() => { fs.writeFileSync(output, String(n > 0)); }, 150);',
  ].join('\n');
  p.write('calibrate.cjs', program);
  p.write(
    'pipeline.config.ts',
    `import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({
  rules: [defineRule({
    name: 'calibrate',
    version: 1,
    forEach: { files: '{id}.raw' },
    inputs: (node) => ({ raw: node.file! }),
    outputs: (node) => ({ flt: \`\${node.item}/flt.txt\` }),
    command: (ctx) => [process.execPath, 'calibrate.cjs', ctx.inputs['raw']!, ctx.outputs['flt']!],
  })],
});
`,
  );
  return p;
}

test("a wrapped program: its stdout and stderr in the log (stderr on success too), its CPU and memory, stderr's tail as the failure", () => {
  const p = commandProject();
  try {
    const run = p.cli(['all', '--keep-going', '-j', '1']);
    assert.is(run.code, 1, run.stderr);
    const nodes = status(p);
    const ok = byId(nodes, 'calibrate:ok');
    assert.is(ok.state, 'done');
    // The program's own CPU (our process mostly waits) and its peak memory (ours is far below 160 MiB).
    assert.ok(ok.cpuMs >= 300, `cpuMs ${ok.cpuMs}`);
    assert.ok(ok.maxRssBytes >= 160 * 1024 * 1024, `maxRssBytes ${ok.maxRssBytes}`);
    assert.is(ok.bytesRead, 100);
    assert.is(ok.bytesWritten, 4);
    assert.is(ok.cpuShared, undefined, 'one job at a time: the figures are the node’s own');
    const okLog = p.cli(['log', 'calibrate:ok']).stdout;
    assert.match(okLog, /log +calibrating ok\.raw\n/);
    assert.match(okLog, /log +stderr: progress: 50%\n/);

    const broken = byId(nodes, 'calibrate:broken');
    assert.is(broken.state, 'failed');
    assert.match(broken.message, /^calibrate:broken: .*node exited with code 3: progress: 50% \| warning: header keyword FILTER missing \| ERROR: cannot open reference file jref\$abc_bia\.fits \[input: incoming\/broken\.raw\]$/);
    const brokenLog = p.cli(['log', 'calibrate:broken']).stdout;
    assert.match(brokenLog, /stderr: ERROR: cannot open reference file/);
    assert.match(brokenLog, /failed after/);
    assert.not.ok(fs.existsSync(p.path('work/broken/flt.txt')), 'nothing of a failed command is kept');
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test('a program whose output never ends a line, and that leaves a child holding its output, does not hang or fill memory', () => {
  const p = new TempProject('imgbuild-runs-');
  try {
    p.write('incoming/a.raw', 'a');
    // 100 KB without a newline, then a background process that keeps stdout open for 30 s (its pid noted).
    p.write(
      'noisy.cjs',
      [
        "const fs = require('fs'); const { spawn } = require('child_process');",
        "process.stdout.write('x'.repeat(100 * 1024));",
        "const child = spawn('sleep', ['30'], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });",
        "fs.writeFileSync('background.pid', String(child.pid)); child.unref();",
        'fs.writeFileSync(process.argv[2], "ok");',
      ].join('\n'),
    );
    p.write(
      'pipeline.config.ts',
      `import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'noisy', version: 1, forEach: { files: '{id}.raw' },
  inputs: (node) => ({ raw: node.file! }), outputs: (node) => ({ out: \`\${node.item}/out.txt\` }),
  command: (ctx) => [process.execPath, 'noisy.cjs', ctx.outputs['out']!],
})] });
`,
    );
    const started = Date.now();
    const run = p.cli(['all']);
    const ms = Date.now() - started;
    try {
      process.kill(Number(fs.readFileSync(p.path('background.pid'), 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
    assert.is(run.code, 0, run.stderr);
    assert.ok(ms < 20_000, `the build took ${ms} ms: it waited for the background process`);
    const log = p.cli(['log', 'noisy:a']).stdout;
    assert.match(log, /left a process holding its output open; not waiting for it/);
    const longest = Math.max(...log.split('\n').map((line) => line.length));
    assert.ok(longest < 17 * 1024, `the longest log line is ${longest} characters`);
    assert.match(log, /x{16384}…\n/);
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test('a program that is not installed is said so', () => {
  const p = new TempProject('imgbuild-runs-');
  try {
    p.write('incoming/a.raw', 'a');
    p.write(
      'pipeline.config.ts',
      `import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'calibrate', version: 1, forEach: { files: '{id}.raw' },
  inputs: (node) => ({ raw: node.file! }), outputs: (node) => ({ flt: \`\${node.item}/flt.txt\` }),
  command: (ctx) => ['calacs.e', ctx.inputs['raw']!, ctx.outputs['flt']!],
})] });
`,
    );
    const run = p.cli(['all']);
    assert.is(run.code, 1);
    assert.match(byId(status(p), 'calibrate:a').message, /^calibrate:a: calacs\.e: command not found \(install it, or give its full path in the rule\)/);
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test('kill -9 mid-node: status says the node was interrupted, and the next build runs it again', async () => {
  const p = new TempProject('imgbuild-runs-');
  try {
    p.write('incoming/slow.txt', 'slow');
    p.write('slow-mode', '');
    // While slow-mode exists the rule waits (bounded: 30 s); it writes its pid so the test can end it.
    p.write(
      'pipeline.config.ts',
      `import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';
export default defineConfig({ rules: [defineRule({
  name: 'wait', version: 1, forEach: { files: '{id}.txt' },
  inputs: (node) => ({ text: node.file! }), outputs: (node) => ({ out: \`\${node.item}/out.txt\` }),
  run: async (ctx) => {
    ctx.status('waiting');
    for (let i = 0; i < 300 && fs.existsSync('slow-mode'); i++) await new Promise((r) => setTimeout(r, 100));
    fs.writeFileSync(ctx.outputs['out']!, 'done');
  },
})] });
`,
    );
    const child = spawn(process.execPath, [BIN, 'all'], { cwd: p.dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const safety = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      let running: RunRecord | undefined;
      for (let i = 0; i < 400 && running === undefined; i++) {
        await new Promise((r) => setTimeout(r, 25));
        running = [...readRunHistory(p.path('cache')).values()].find((r) => r.id === 'wait:slow' && r.state === 'running');
      }
      assert.ok(running, 'the node was recorded as running');
      // While it runs, status (which takes no lock) says so.
      assert.is(byId(status(p), 'wait:slow').state, 'running');
      child.kill('SIGKILL');
      await exited;
    } finally {
      clearTimeout(safety);
    }
    const after = byId(status(p), 'wait:slow');
    assert.is(after.state, 'failed');
    assert.match(after.message, /^wait:slow: interrupted: the imgbuild process running it \(pid \d+\) stopped before it finished; the next build runs it again$/);
    fs.rmSync(p.path('slow-mode'));
    const again = p.cli(['all']);
    assert.is(again.code, 0, again.stderr);
    assert.is(byId(status(p), 'wait:slow').state, 'done');
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test('the run journal: a line cut short by a kill is skipped; folding keeps every node; skips are recorded once', () => {
  const p = new TempProject('imgbuild-runs-');
  try {
    const cache = p.path('cache');
    const history = new RunHistory(cache);
    const record = (id: string, state: RunRecord['state'], message?: string): RunRecord => ({
      id,
      rule: id.split(':')[0]!,
      item: id.split(':')[1]!,
      state,
      startedAt: new Date().toISOString(),
      ms: 1,
      cpuMs: 1,
      maxRssBytes: 1,
      bytesRead: 0,
      bytesWritten: 0,
      steps: [],
      ...(message !== undefined ? { message } : {}),
    });
    history.record(record('a:1', 'done'));
    history.fold();
    history.record(record('a:2', 'failed', 'boom'));
    fs.appendFileSync(path.join(cache, 'runs', 'journal.jsonl'), '{"id":"a:3","rule":"a","ite');
    const read = readRunHistory(cache);
    assert.equal([...read.keys()].sort(), ['a:1', 'a:2']);
    assert.is(read.get('a:2')!.message, 'boom');
    // A skip that is not news is not written again (a watcher plans the same skips every batch).
    // The next process (the killed one is gone) starts a fresh line, so its records are not lost.
    const next = new RunHistory(cache);
    next.recordIfChanged(record('a:4', 'done'));
    assert.equal([...readRunHistory(cache).keys()].sort(), ['a:1', 'a:2', 'a:4']);
    const before = fs.statSync(path.join(cache, 'runs', 'journal.jsonl')).size;
    history.recordIfChanged(record('a:2', 'failed', 'boom'));
    assert.is(fs.statSync(path.join(cache, 'runs', 'journal.jsonl')).size, before);
    history.recordIfChanged(record('a:2', 'skipped', 'published elsewhere'));
    assert.ok(fs.statSync(path.join(cache, 'runs', 'journal.jsonl')).size > before);
    history.fold();
    assert.not.ok(fs.existsSync(path.join(cache, 'runs', 'journal.jsonl')));
    assert.equal(
      [...readRunHistory(cache).values()].map((r) => `${r.id} ${r.state}`).sort(),
      ['a:1 done', 'a:2 skipped', 'a:4 done'],
    );
  } finally {
    if (!process.env.KEEP) p.remove(); else console.log("kept", p.dir);
  }
});

test.run();
