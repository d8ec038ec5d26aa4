// `npm run test:reliability`: the proof harness of issue 8. Prints one summary table (tried, survived or
// handled, files lost or corrupted) and exits non-zero if anything was not handled or anything was lost.
// `--quick` (or IMGBUILD_RELIABILITY_QUICK=1) is the reduced pass for CI; without it, the full run.
import { concurrentBuilds, fullDisk } from './concurrency-and-disk.js';
import { faults } from './faults.js';
import { hostileCorpus } from './hostile-corpus.js';
import { killPoints } from './kill-points.js';
import type { Row } from './harness-kit.js';
import { S3_CREDENTIALS } from '../helpers/servers.js';

const quick = process.argv.includes('--quick') || process.env.IMGBUILD_RELIABILITY_QUICK === '1';
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

async function main(): Promise<number> {
  const started = Date.now();
  const rows: Row[] = [];
  const want = (part: string): boolean => only === undefined || only.split(',').includes(part);
  // Each row is also printed as soon as it is done, so a run cut short still says what it found.
  const push = (...done: Row[]): void => {
    rows.push(...done);
    for (const r of done) console.log(`done: ${r.name}: tried ${r.tried}, handled ${r.handled}, lost ${r.lost}`);
  };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // The harness reads s3rver itself (to check manifests); the SDK takes credentials from the environment.
  Object.assign(process.env, S3_CREDENTIALS);
  if (want('kill')) await killPoints(quick ? { kills: 30, images: 3, width: 1100, height: 700, rerunTimeoutMs: 20_000 } : { kills: 90, images: 8, width: 2400, height: 1600, rerunTimeoutMs: 90_000 }, (done) => push(done));
  if (want('faults')) push(...(await faults()));
  if (want('disk')) push(await fullDisk());
  if (want('twice')) push(await concurrentBuilds(quick ? 6 : 25));
  if (want('hostile')) push(await hostileCorpus());
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  const line = (a: string, b: string, c: string, d: string): string => `${a.padEnd(width)}  ${b.padStart(6)}  ${c.padStart(17)}  ${d.padStart(20)}`;
  console.log(`\nimgbuild reliability (${quick ? 'quick' : 'full'} run, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  console.log(line('', 'tried', 'survived/handled', 'files lost/corrupted'));
  for (const r of rows) console.log(line(r.name, String(r.tried), String(r.handled), String(r.lost)));
  const failures = rows.flatMap((r) => r.notes);
  if (failures.length > 0) {
    console.log('\nnot handled:');
    for (const note of failures) console.log(`  - ${note.replace(/[\r\n]+/g, ' ')}`);
  }
  const good = (r: Row): boolean => r.handled === r.tried && r.lost === 0;
  // One tally line per row, for .ci/run to add to the test counts.
  console.log(`\nreliability: ${rows.filter(good).length} passed, ${rows.filter((r) => !good(r)).length} failed`);
  return rows.every(good) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`reliability harness failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
