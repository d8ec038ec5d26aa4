// One build per cache folder: two real CLI processes started together never both build; a lock left by a dead
// process is taken over; a live owner is refused, and the refusal says who holds the lock.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processStartTime } from '../src/process-owner.js';
import { REPO_ROOT, TempProject } from './helpers/project.js';

const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');

// Each build appends its pid to builds.log and takes a moment, so two overlapping builds would both log.
const PIPELINE = `
import fs from 'node:fs';
import { defineConfig, defineRule } from 'imgbuild';
const mark = defineRule({
  name: 'mark',
  version: 1,
  forEach: { files: '{id}.txt' },
  inputs: (node) => ({ text: node.file! }),
  outputs: (node) => ({ out: \`\${node.item}/mark.txt\` }),
  run: async (ctx) => {
    fs.appendFileSync('builds.log', process.pid + '\\n');
    await new Promise((r) => setTimeout(r, 150));
    fs.writeFileSync(ctx.outputs['out']!, 'x');
  },
});
export default defineConfig({ rules: [mark] });
`;

function run(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

test('two imgbuild runs started together: exactly one builds, every time (24 trials)', async () => {
  const p = new TempProject('imgbuild-cachelock-');
  try {
    p.write('pipeline.config.ts', PIPELINE);
    let refusals = 0;
    for (let trial = 0; trial < 24; trial++) {
      // A new input each trial, so there is always something to build.
      p.write(`incoming/t${trial}.txt`, `trial ${trial}`);
      fs.rmSync(p.path('builds.log'), { force: true });
      const [a, b] = await Promise.all([run(p.dir, ['all']), run(p.dir, ['all'])]);
      const builders = new Set(fs.readFileSync(p.path('builds.log'), 'utf8').trim().split('\n'));
      assert.is(builders.size, 1, `trial ${trial}: ${builders.size} processes built\n${a.out}\n${b.out}`);
      for (const r of [a, b]) {
        if (r.code !== 0) {
          assert.is(r.code, 1, r.out);
          assert.match(r.out, /another imgbuild \(pid \d+ on .+, since .+\) is building with/);
          refusals++;
        }
      }
    }
    assert.ok(refusals > 0, 'the runs did overlap at least once');
  } finally {
    p.remove();
  }
});

test('a lock left by a dead process (or a reused pid) is taken over; a live owner is refused', () => {
  const p = new TempProject('imgbuild-cachelock-');
  try {
    p.write('pipeline.config.ts', PIPELINE);
    p.write('incoming/a.txt', 'a');
    const lock = p.path('.imgbuild', 'lock');
    const cacheFlag = ['--cache', p.path('.imgbuild')];
    // A process that has exited: its pid names nobody (or, reused, a process with another start time).
    const dead = spawnSync(process.execPath, ['-e', '0']);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: dead.pid, started: 1, since: '2026-01-01T00:00:00Z' }));
    const taken = p.cli(['all', ...cacheFlag]);
    assert.is(taken.code, 0, taken.stderr);
    assert.not.ok(fs.existsSync(lock), 'released after the build');
    // A live owner: this test's own process, with its real start time.
    const live = JSON.stringify({ host: os.hostname(), pid: process.pid, started: processStartTime(process.pid), since: '2026-12-03T07:00:00Z' });
    fs.writeFileSync(lock, live);
    p.write('incoming/b.txt', 'b');
    const refused = p.cli(['all', ...cacheFlag]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`another imgbuild \\(pid ${process.pid} on ${os.hostname()}, since 2026-12-03T07:00:00Z\\) is building with`));
    assert.is(fs.readFileSync(lock, 'utf8'), live, 'a refused run leaves the owner its lock');
    // Same pid, another start time: the pid was reused after the holder died.
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.pid, started: (processStartTime(process.pid) ?? 0) + 12345, since: 'x' }));
    assert.is(p.cli(['all', ...cacheFlag]).code, 0);
  } finally {
    p.remove();
  }
});

test.run();
