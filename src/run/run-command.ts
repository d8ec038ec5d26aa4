// Rules that wrap an external program: the argument vector goes through zx, which quotes every element,
// so a file name with spaces or quotes is one argument and never shell syntax.
import type { RunContext } from '../graph/rule.js';

const OUTPUT_TAIL = 2000;

export async function runCommand(argv: readonly string[], ctx: RunContext): Promise<void> {
  if (argv.length === 0) throw new Error('the rule returned an empty command');
  const { $ } = await import('zx');
  const shell = $({ quiet: true, nothrow: true, signal: ctx.signal, cwd: ctx.settings.projectDir });
  const result = await shell`${argv}`;
  // Both streams are the node's log (shown with -v, kept in cache/logs/): a program's stderr often carries
  // its progress and warnings even when it succeeds.
  for (const line of result.stdout.split('\n')) if (line.trim() !== '') ctx.log(line);
  for (const line of result.stderr.split('\n')) if (line.trim() !== '') ctx.log(`stderr: ${line}`);
  if (ctx.signal.aborted) throw new Error(`${argv[0]} was cancelled`);
  if (result.exitCode !== 0) {
    const tail = result.stderr.trim().slice(-OUTPUT_TAIL).split('\n').pop() ?? '';
    throw new Error(`${argv[0]} exited with code ${result.exitCode}${tail ? `: ${tail}` : ''}`);
  }
}
