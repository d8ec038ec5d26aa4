// `imgbuild` on the command line: parse flags, load the config, run one build, report, exit.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { loadConfigModule } from '../config/load-config.js';
import { exitStatusOf, ImgbuildError, UsageError } from '../errors.js';
import { build } from '../run/build.js';
import { redact } from '../repo/redact.js';
import { wwtStudyRules } from '../../rules/index.js';
import { engineVersion } from '../engine-location.js';
import { HELP } from './help.js';
import { jsonReporter, terminalReporter } from './reporters.js';

const DEFAULT_CONFIG = 'pipeline.config.ts';

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        local: { type: 'string' },
        'azure-conn-env': { type: 'string' },
        'azure-container': { type: 'string' },
        'azure-path-prefix': { type: 'string' },
        's3-bucket': { type: 'string' },
        's3-prefix': { type: 'string' },
        's3-endpoint': { type: 'string' },
        's3-region': { type: 'string' },
        incoming: { type: 'string' },
        work: { type: 'string' },
        'publish-url-prefix': { type: 'string' },
        cache: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        'keep-going': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun imgbuild --help for the options.`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`imgbuild ${engineVersion()}\n`);
    return 0;
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`-j/--jobs takes a whole number ≥ 1, not ${JSON.stringify(values.jobs)}`);
  }
  const cwd = process.cwd();
  const configFile = values.config ?? (fs.existsSync(path.join(cwd, DEFAULT_CONFIG)) ? DEFAULT_CONFIG : undefined);
  // Without a config file, the built-in pipeline runs on the folders the flags (or defaults) name.
  const { config, identity } = configFile
    ? await loadConfigModule(path.resolve(cwd, configFile))
    : { config: {} as PipelineConfig, identity: 'built-in' };
  const projectDir = configFile ? path.dirname(path.resolve(cwd, configFile)) : cwd;

  const reporter = values.json ? jsonReporter((t) => process.stdout.write(t)) : terminalReporter(process.stdout, process.stderr, values.verbose ?? false);
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nimgbuild: interrupted; finishing the nodes already running (Ctrl-C again to stop at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { summary } = await build({
    config,
    ...(identity !== undefined ? { configIdentity: identity } : {}),
    projectDir,
    cwd,
    defaultRules: wwtStudyRules(),
    targets: positionals.length > 0 ? positionals : ['all'],
    overrides: {
      incoming: values.incoming,
      work: values.work,
      cache: values.cache,
      local: values.local,
      azureConnEnv: values['azure-conn-env'],
      azureContainer: values['azure-container'],
      azurePathPrefix: values['azure-path-prefix'],
      s3Bucket: values['s3-bucket'],
      s3Prefix: values['s3-prefix'],
      s3Endpoint: values['s3-endpoint'],
      s3Region: values['s3-region'],
      publishUrlPrefix: values['publish-url-prefix'],
      jobs,
    },
    dryRun: values['dry-run'] ?? false,
    keepGoing: values['keep-going'] ?? false,
    emit: reporter.onEvent,
    signal: controller.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (controller.signal.aborted) return 130;
  return summary.failed.length > 0 || summary.blocked.length > 0 ? 1 : 0;
}

/** Errors that are the user's to fix get one line and the exit status of their kind; anything else is a bug and keeps its stack. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ImgbuildError) {
    process.stderr.write(`imgbuild: ${redact(error.message)}\n`);
    return exitStatusOf(error.kind);
  }
  process.stderr.write(`imgbuild: ${redact((error as Error)?.stack ?? String(error))}\n`);
  return 70;
}
