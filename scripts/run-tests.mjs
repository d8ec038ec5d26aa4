// Runs every compiled test file (dist/test/*.test.js) with uvu and ends with the line CI reads:
// `tests: N passed, N failed`. uvu prints its own totals but not that line.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['node_modules/uvu/bin.js', 'dist/test', '\\.test\\.js$'], { stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
child.on('close', (code) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  if (!Number.isFinite(total) || !Number.isFinite(passed)) {
    console.log('\ntests: 0 passed, 1 failed');
    process.exit(code || 1);
  }
  const failed = total - passed - skipped;
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
});
