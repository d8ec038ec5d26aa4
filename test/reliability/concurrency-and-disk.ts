// Two builds at once on one cache and repository, and a full disk under the work folder or the repository.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { TempProject } from '../helpers/project.js';
import { cacheProblems, cacheRecords, parseJson, PREFIX, repositoryProblems, repoView, row, type Row, runCli, startCli, writeVersionedPng } from './harness-kit.js';

const flags = ['--incoming', 'incoming', '--work', 'work', '--cache', 'cache', '--local', 'repo', '--publish-url-prefix', PREFIX, '-j', '2'];

export async function concurrentBuilds(trials: number): Promise<Row> {
  const out = row('two builds at once');
  const project = new TempProject('imgbuild-reliability-twice-');
  try {
    for (let trial = 0; trial < trials; trial++) {
      for (let i = 0; i < 2; i++) await writeVersionedPng(project.path(`incoming/img${i}.png`), 900, 600, trial % 2);
      out.tried++;
      const [a, b] = await Promise.all([startCli(project.dir, ['all', '--json', ...flags]).done, startCli(project.dir, ['all', '--json', ...flags]).done]);
      const results = [a, b];
      const winners = results.filter((r) => r.code === 0 && (parseJson(r.stdout)?.ran ?? []).length > 0);
      const refusals = results.filter((r) => r.code !== 0 && /another imgbuild .*(building|holds)/i.test(r.stderr) && (parseJson(r.stdout)?.ran ?? []).length === 0);
      const problems = [...cacheProblems(project.path('cache'), project.path('work')), ...(await repositoryProblems(await repoView({ kind: 'local', dir: project.path('repo') })))];
      out.lost += problems.length;
      if (winners.length === 1 && refusals.length === 1 && problems.length === 0) out.handled++;
      else out.notes.push(`two builds, trial ${trial}: ${winners.length} built, ${refusals.length} refused clearly (exits ${a.code}, ${b.code})${problems.length ? `; ${problems[0]}` : ''}`);
    }
  } finally {
    project.remove();
  }
  return out;
}

function mount(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}
const umount = (dir: string): void => void spawnSync('umount', ['-l', dir]);

/** A tmpfs too small for the work folder (or the repository): one clear error, nothing counted as done. */
export async function fullDisk(): Promise<Row> {
  const out = row('full disk (tmpfs)');
  for (const where of ['work', 'repo'] as const) {
    const project = new TempProject('imgbuild-reliability-disk-');
    const mounted = project.path(where);
    try {
      if (!mount(mounted, '400k')) {
        out.notes.push(`full disk: skipped, mount -t tmpfs was refused here`);
        return out;
      }
      for (let i = 0; i < 3; i++) await writeVersionedPng(project.path(`incoming/img${i}.png`), 1500, 1000, i);
      out.tried++;
      const full = await runCli(project.dir, ['all', '--json', '--keep-going', ...flags]);
      const errors = [...full.stderr.split('\n').filter((l) => l.startsWith('error')), ...(parseJson(full.stdout)?.failed ?? []).map((f) => `error: ${f.id}: ${f.error ?? ''}`)];
      const clear = full.code === 1 && errors.length > 0 && errors.every((l) => /space|ENOSPC|full/i.test(l)) && !/\n\s+at /.test(full.stderr);
      const before = cacheRecords(project.path('cache'));
      const problems = [...cacheProblems(project.path('cache'), project.path('work')), ...(await repositoryProblems(await repoView({ kind: 'local', dir: project.path('repo') })))];
      spawnSync('mount', ['-o', 'remount,size=256m', mounted]);
      const again = await runCli(project.dir, ['all', '--json', ...flags]);
      const redone = (parseJson(again.stdout)?.ran ?? []).map((r) => r.id).filter((id) => before.has(id) && !id.startsWith('index') && id !== 'review-index'); // aggregates over the failed nodes rerun, rightly
      out.lost += problems.length;
      if (clear && problems.length === 0 && again.code === 0 && redone.length === 0) out.handled++;
      else
        out.notes.push(
          `full ${where} folder: exit ${full.code}, ${errors.length} error line(s)${errors[0] ? ` ("${(errors.find((l) => !/space|ENOSPC|full/i.test(l)) ?? errors[0]).slice(0, 240)}")` : ''}${/\n\s+at /.test(full.stderr) ? ', a stack trace' : ''}${clear ? '' : ', not one clear space error'}; ${problems.slice(0, 2).join('; ')}; rerun exit ${again.code}${redone.length ? `, redid ${redone.join(', ')}` : ''}`,
        );
    } finally {
      umount(mounted);
      project.remove();
    }
  }
  return out;
}
