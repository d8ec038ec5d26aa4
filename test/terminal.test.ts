// The terminal as a user sees it: the real CLI under a pseudo-terminal (`script`), piped, and interrupted
// with real signals.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT, TempProject } from './helpers/project.js';

const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');
const PREFIX = ['--publish-url-prefix', 'https://data.example.org/wwt/'];
const ESC = '\x1b';

/** Run the CLI under a pseudo-terminal; returns everything it drew, escape codes included. */
function underTerminal(p: TempProject, args: string[], env: Record<string, string> = {}): { output: string; ms: number; code: number } {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const started = Date.now();
  const result = spawnSync('script', ['-qec', quoted, '/dev/null'], {
    cwd: p.dir,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '', ...env },
    timeout: 120_000,
  });
  return { output: result.stdout, ms: Date.now() - started, code: result.status ?? -1 };
}

/** A noise image big enough that tiling it takes a while (noise does not compress). */
async function bigImage(file: string, side: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: side, height: side, channels: 3 as const, background: '#000000', noise: { type: "gaussian" as const, mean: 128, sigma: 40 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

test('on a terminal: the running jobs as lines (rule, item, step, elapsed), redrawn in place at most ~10×/s, tiling progress in tiles', async () => {
  const p = new TempProject('imgbuild-terminal-');
  try {
    await bigImage(p.path('incoming/big.png'), 4000);
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/small.jpg');
    const { output, ms, code } = underTerminal(p, ['process', '-j', '2', ...PREFIX]);
    assert.is(code, 0, output);
    // The block: a header line, then one line per job with rule, item and elapsed time.
    assert.match(output, /\[\d+\/9\] running 2 jobs/);
    assert.match(output, /\n {2}tiles {6}big {14}tiling 4000×4000: \d+\/341 tiles {2}\S*\d+(\.\d)? m?s/);
    // Redrawn in place: back to the block's first line, cleared to the end of the screen.
    assert.match(output, `\r${ESC}[2A${ESC}[J`);
    const redraws = output.split(/running \d+ jobs?/).length - 1;
    assert.ok(redraws >= 2, `the block was drawn ${redraws} times`);
    assert.ok(redraws <= ms / 100 + 3, `${redraws} redraws in ${ms} ms is more than ~10 per second`);
    // Colour on a terminal without NO_COLOR; the final summary stays below the (erased) block.
    assert.match(output, `${ESC}[1m[`);
    assert.match(output, /\x1b\[J(\x1b\[\d+m)?imgbuild: 9 ran, 0 failed, 0 up to date/);
  } finally {
    p.remove();
  }
});

test('log lines are printed above the block; NO_COLOR drops the colour codes but keeps the live block', () => {
  const p = new TempProject('imgbuild-terminal-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    p.copyFixture('eso_eso1723a_320.png', 'incoming/plain.png');
    const { output, code } = underTerminal(p, ['process', '-v', ...PREFIX], { NO_COLOR: '1' });
    assert.is(code, 0, output);
    assert.not.match(output, /\x1b\[\d+m/, 'no colour codes with NO_COLOR');
    assert.match(output, /\x1b\[J/, 'the block is still redrawn');
    // A log line erases the block, prints itself on a fresh line, and the block comes back below it.
    // (Whether the block was on screen when the line came depends on timing: erased first if it was.)
    assert.match(output, /(\x1b\[J|\n|^)done place:orion \(\d+ ms\)\r?\n/);
    assert.match(output, /     tiles:orion: 5 tiles in 2 levels\r?\n/);
  } finally {
    p.remove();
  }
});

test('piped: plain lines, no escape codes at all (even without NO_COLOR)', () => {
  const p = new TempProject('imgbuild-terminal-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    const run = p.cli(['process', ...PREFIX], { NO_COLOR: '', FORCE_COLOR: '1' });
    assert.is(run.code, 0, run.stderr);
    assert.not.match(run.stdout + run.stderr, ESC);
    assert.match(run.stdout, /^run {2}place:orion: never built\ndone place:orion \(\d+(\.\d)? m?s\)\n/);
  } finally {
    p.remove();
  }
});

/** A project whose one rule runs a program that sleeps, so a build is mid-node when it is interrupted. */
function sleepyProject(): TempProject {
  const p = new TempProject('imgbuild-terminal-');
  p.write('incoming/a.txt', 'alpha');
  p.write('incoming/b.txt', 'beta');
  p.write(
    'pipeline.config.ts',
    `import { defineConfig, defineRule } from 'imgbuild';
const script = "const fs = require('fs'); const [input, output, marker] = process.argv.slice(1); fs.writeFileSync(marker, ''); setTimeout(() => fs.copyFileSync(input, output), 1500);";
export default defineConfig({
  rules: [defineRule({
    name: 'nap',
    version: 1,
    forEach: { files: '{id}.txt' },
    inputs: (node) => ({ text: node.file! }),
    outputs: (node) => ({ out: \`\${node.item}/nap.txt\` }),
    command: (ctx) => [process.execPath, '-e', script, ctx.inputs['text']!, ctx.outputs['out']!, 'started-' + ctx.item],
  })],
});
`,
  );
  return p;
}

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Start a build with -j 1, wait (bounded) until its first node runs, send `signals` to it, collect the rest. */
async function interrupt(p: TempProject, signals: NodeJS.Signals[]): Promise<Interrupted> {
  const child = spawn(process.execPath, [BIN, 'all', '-j', '1'], { cwd: p.dir, env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    for (let i = 0; i < 400 && !fs.existsSync(p.path('started-a')); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(fs.existsSync(p.path('started-a')), 'the first node started');
    const sent = Date.now();
    for (const signal of signals) {
      child.kill(signal);
      await new Promise((r) => setTimeout(r, 100));
    }
    const code = await exited;
    return { code, stdout, stderr, ms: Date.now() - sent };
  } finally {
    clearTimeout(killer);
  }
}

test('Ctrl-C once: says so at once, lets the running node finish, starts nothing new, exits 130', async () => {
  const p = sleepyProject();
  try {
    const run = await interrupt(p, ['SIGINT']);
    assert.is(run.code, 130, run.stderr);
    assert.match(run.stderr, 'stopping: waiting for 1 running job (Ctrl-C again to cancel them)');
    assert.is(fs.readFileSync(p.path('work/a/nap.txt'), 'utf8'), 'alpha', 'the running node finished and was kept');
    assert.not.ok(fs.existsSync(p.path('started-b')), 'nothing new started');
    const next = p.json(['all', '--dry-run']);
    assert.equal(next.report.run!.map((r) => r.id), ['nap:b']);
  } finally {
    p.remove();
  }
});

test('Ctrl-C twice: the running node is cancelled, exit 130 without waiting for it', async () => {
  const p = sleepyProject();
  try {
    const run = await interrupt(p, ['SIGINT', 'SIGINT']);
    assert.is(run.code, 130, run.stderr);
    assert.match(run.stderr, 'stopping: waiting for 1 running job');
    assert.match(run.stderr, 'cancelling 1 running job');
    assert.not.ok(fs.existsSync(p.path('work/a/nap.txt')), 'the cancelled node left no output');
    assert.ok(run.ms < 1400, `exited ${run.ms} ms after the first Ctrl-C, before the node would have finished`);
    const next = p.json(['all']);
    assert.is(next.code, 0, next.stderr);
    assert.equal(next.report.ran!.map((r) => r.id).sort(), ['nap:a', 'nap:b']);
  } finally {
    p.remove();
  }
});

test.run();
