// `imgbuild` on the command line: parse flags, load the config, run one build, report, exit.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { loadConfigModule } from '../config/load-config.js';
import { exitStatusOf, ImgbuildError, UsageError } from '../errors.js';
import { build, type BuildRequest } from '../run/build.js';
import { BuildSession } from '../run/build-session.js';
import { watchIncoming } from '../watch/watch-incoming.js';
import { watchLine } from './watch-reporter.js';
import { expireNow, requireArchive, runCatalog, runExpire } from './archive-commands.js';
import { closeCatalogs } from '../catalog/catalog-for.js';
import { archiveRules, colourPreview, preview, wwtFeedRules, wwtStudyRules } from '../../rules/index.js';
import { feedSourceOf } from '../feeds/feed-source.js';
import type { Settings } from '../config/settings.js';
import type { Rule } from '../graph/rule.js';
import { publishUrlPrefixProblem } from '../../rules/wtml.js';
import type { BuildEvent } from '../run/events.js';
import { environmentErrorOf } from '../environment-error.js';
import { HELP, targetHelp } from './help.js';
import { plural } from './plural.js';
import { jsonReporter, terminalReporter, wantsColor } from './reporters.js';
import { versionText } from './versions.js';
import { runInit } from './init.js';
import { REPOSITORY_OPTIONS, repositoryOverrides } from './repository-flags.js';
import { redact } from '../repo/redact.js';
import { runLog, runStatus } from './status-commands.js';
import { resolveCacheFolder } from '../config/resolve-settings.js';
import { isReviewCommand, runReviewCommand } from './review-commands.js';
import { runCacheCommand } from './cache-commands.js';
import { runSubmit, SUBMIT_OPTIONS } from './submit-commands.js';
import { resolveShard } from '../remote/shard-environment.js';
import { EventHub } from '../serve/event-hub.js';
import { startReviewServer, type ReviewServer } from '../serve/review-server.js';
import { ReviewStore } from '../review/review-store.js';

const DEFAULT_CONFIG = 'pipeline.config.ts';

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        ...SUBMIT_OPTIONS,
        config: { type: 'string' },
        ...REPOSITORY_OPTIONS,
        incoming: { type: 'string' },
        work: { type: 'string' },
        'publish-url-prefix': { type: 'string' },
        cache: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        'keep-going': { type: 'boolean' },
        watch: { type: 'boolean' },
        poll: { type: 'boolean' },
        preset: { type: 'string' },
        'catalog-url-env': { type: 'string' },
        'source-type': { type: 'string' },
        'source-url': { type: 'string' },
        'prune-removed': { type: 'boolean' },
        'require-approval': { type: 'boolean' },
        'remote-cache': { type: 'string' },
        'remote-cache-conn-env': { type: 'string' },
        shard: { type: 'string' },
        'shard-count': { type: 'string' },
        // imgbuild cache prune
        'max-size': { type: 'string' },
        grace: { type: 'string' },
        // imgbuild reject
        why: { type: 'string' },
        // imgbuild serve
        port: { type: 'string' },
        host: { type: 'string' },
        serve: { type: 'boolean' },
        // imgbuild expire
        now: { type: 'string' },
        // imgbuild status
        failed: { type: 'boolean' },
        // imgbuild catalog query
        site: { type: 'string' },
        instrument: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        filter: { type: 'string' },
        box: { type: 'string' },
        limit: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    // Node's parseArgs explains at length; the first sentence names the problem.
    const first = (error as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(`${first}: run imgbuild --help for the options`);
  }
}

/**
 * `-j -1` would make parseArgs read -1 as an option ("ambiguous"); pass it as the value it is, so the jobs check
 * below gives its own clear message.
 */
function withNegativeJobs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if ((arg === '-j' || arg === '--jobs') && next !== undefined && /^-\d/.test(next)) {
      out.push(`--jobs=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Exit statuses besides the kinds' (errors.ts): a signal's are 128 + its number, as shells report them. */
const EXIT_INTERRUPTED = 130;
const EXIT_TERMINATED = 143;
const EXIT_BUG = 70;

/**
 * Run the CLI and return its exit status; it never throws. Every way out goes through here, so --json always
 * ends with one JSON object on stdout, and stderr with one line per error.
 */
export async function main(argv: string[]): Promise<number> {
  // A rule's bug is shown at its line in the user's TypeScript (the compiled config carries source maps).
  process.setSourceMapsEnabled(true);
  // The AWS SDK warns in seven lines on Node < 22 at every run; the session says it in one (build-session.ts).
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const json = argv.includes('--json');
  quietOnClosedStdout();
  try {
    return await run(argv);
  } catch (error) {
    return reportError(error, json);
  }
}

/** `imgbuild … | head`: the reader went away. Nothing is left to tell it; stop writing, without a stack. */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'init') {
    return runInit(argv.slice(1), process.cwd(), {
      say: (line) => process.stderr.write(`imgbuild: ${line}\n`),
      print: (text) => process.stdout.write(text),
    });
  }
  const { values, positionals, tokens } = parse(withNegativeJobs(argv));
  if (values.version) {
    process.stdout.write(versionText());
    return 0;
  }
  if (values.help || positionals[0] === 'help') {
    const topic = positionals[0] === 'help' ? positionals[1] : positionals[0];
    const text = topic === undefined ? HELP : targetHelp(topic.split(':')[0]!, [...wwtStudyRules(), preview, colourPreview, ...archiveRules(), ...wwtFeedRules().filter((r) => !wwtStudyRules().some((s) => s.name === r.name))]);
    if (text === undefined) throw new UsageError(`no help for ${JSON.stringify(topic)}: it is not a stage or built-in rule (imgbuild --help lists them)`);
    process.stdout.write(text);
    return 0;
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!/^\s*\d+\s*$/.test(values.jobs) || !Number.isInteger(jobs) || jobs < 1) {
      throw new UsageError(`-j/--jobs takes a whole number ≥ 1 (nodes run at once), not ${JSON.stringify(values.jobs)}`);
    }
  }
  const prefix = values['publish-url-prefix'];
  if (prefix !== undefined) {
    if (publishUrlPrefixProblem(prefix) !== undefined) throw new UsageError(`--publish-url-prefix ${JSON.stringify(prefix)}: give an http(s) URL such as https://data.example.org/wwt/`);
  }
  const cwd = process.cwd();
  const configFile = values.config ?? (fs.existsSync(path.join(cwd, DEFAULT_CONFIG)) ? DEFAULT_CONFIG : undefined);
  // Without a config file, the built-in pipeline runs on the folders the flags (or defaults) name.
  const { config, identity } = configFile
    ? await loadConfigModule(path.resolve(cwd, configFile))
    : { config: {} as PipelineConfig, identity: 'built-in' };
  const projectDir = configFile ? path.dirname(path.resolve(cwd, configFile)) : cwd;

  // `imgbuild watch [targets]` and `imgbuild all --watch` follow the incoming folders until stopped.
  const watching = positionals[0] === 'watch' || values.watch === true;
  const targets = positionals[0] === 'watch' ? positionals.slice(1) : positionals;
  if (watching && values['dry-run']) throw new UsageError('--dry-run plans once; it cannot be combined with watch');
  if (values.poll && !watching) throw new UsageError('--poll is for imgbuild watch (follow the folders by polling)');
  if (positionals[0] === 'submit' && values.shard !== undefined) throw new UsageError('imgbuild submit shards the build itself (--tasks N): drop --shard');
  if (values['shard-count'] !== undefined && values.shard !== 'auto') throw new UsageError('--shard-count goes with --shard auto');
  if (values.shard !== undefined && watching) throw new UsageError('--shard is for one build of a part (an array job); a watcher follows the whole incoming folder');
  const reporter = values.json
    ? jsonReporter((t) => process.stdout.write(t), { lines: watching })
    : terminalReporter(process.stdout, process.stderr, { verbose: values.verbose ?? false, color: wantsColor(process.stdout), watching });
  const interrupt = new Interrupts((text) => process.stderr.write(text), watching);
  const onEvent = (event: BuildEvent): void => {
    interrupt.track(event);
    reporter.onEvent(event);
  };
  const request: BuildRequest = {
    config,
    ...(identity !== undefined ? { configIdentity: identity } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    projectDir,
    cwd,
    defaultRules: presetRules(values.preset, config, configFile),
    targets: targets.length > 0 ? targets : ['all'],
    overrides: {
      incoming: values.incoming,
      work: values.work,
      cache: values.cache,
      ...repositoryOverrides(values),
      publishUrlPrefix: values['publish-url-prefix'],
      jobs,
      catalogUrlEnv: values['catalog-url-env'],
      sourceType: values['source-type'],
      sourceUrl: values['source-url'],
      pruneRemoved: values['prune-removed'],
      requireApproval: values['require-approval'],
      remoteCache: values['remote-cache'],
      remoteCacheConnEnv: values['remote-cache-conn-env'],
    },
    dryRun: values['dry-run'] ?? false,
    keepGoing: values['keep-going'] ?? false,
    ...(values.shard !== undefined ? { shard: resolveShard(values.shard, values['shard-count']) } : {}),
    emit: onEvent,
    signal: interrupt.stop.signal,
    cancel: interrupt.cancel.signal,
  };
  if (values.failed !== undefined && positionals[0] !== 'status') throw new UsageError('--failed is an option of imgbuild status');
  if (positionals[0] === 'status' || positionals[0] === 'log') {
    const io = { print: (text: string) => void process.stdout.write(text), say: (line: string) => void process.stderr.write(`imgbuild: ${line}\n`) };
    const cache = resolveCacheFolder(config, projectDir, request.overrides ?? {}, cwd);
    return positionals[0] === 'status'
      ? runStatus(cache, { json: values.json ?? false, failedOnly: values.failed ?? false, ids: positionals.slice(1) }, io)
      : runLog(cache, positionals.slice(1), io);
  }
  const serving = positionals[0] === 'serve' || values.serve === true;
  if ((values.port !== undefined || values.host !== undefined) && !serving) throw new UsageError('--port and --host are options of imgbuild serve (and watch --serve)');
  if (values.serve && !watching) throw new UsageError('--serve goes with imgbuild watch (imgbuild serve alone serves the review page)');
  const port = values.port === undefined ? 8765 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !/^\s*\d+\s*$/.test(values.port ?? '0')) throw new UsageError(`--port takes a port number (0–65535), not ${JSON.stringify(values.port)}`);
  const serveOn = async (session: BuildSession, events?: EventHub): Promise<ReviewServer> => {
    const server = await startReviewServer(session, { port, ...(values.host !== undefined ? { host: values.host } : {}), ...(events ? { events } : {}) });
    const host = values.host ?? '127.0.0.1';
    const exposed = !['127.0.0.1', 'localhost', '::1'].includes(host);
    process.stderr.write(`imgbuild: review page at ${server.url}${exposed ? ` — on ${host}, so others on the network can see it (writes need the page's token)` : ''}\n`);
    return server;
  };
  if (positionals[0] === 'serve') {
    if (positionals.length > 1) throw new UsageError('imgbuild serve takes no targets: it serves the review page (imgbuild watch --serve builds as well)');
    const session = await BuildSession.open({ ...request, targets: ['publish'], dryRun: true });
    const server = await serveOn(session);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    session.close();
    return 0;
  }
  if (values.why !== undefined && positionals[0] !== 'reject') throw new UsageError('--why is an option of imgbuild reject (the reason for rejecting)');
  const reviewCommand = positionals[0];
  if (isReviewCommand(reviewCommand)) {
    if (reviewCommand === 'review' && positionals.length > 1) throw new UsageError('imgbuild review takes no arguments (it lists every data set); imgbuild approve/reject ID… decide');
    const io = { print: (text: string) => void process.stdout.write(text), say: (line: string) => void process.stderr.write(`imgbuild: ${line}\n`) };
    // Planned, never run: no cache lock, so review works beside a running build or watcher.
    const session = await BuildSession.open({ ...request, targets: ['publish'], dryRun: true });
    try {
      return await runReviewCommand(session, reviewCommand, positionals.slice(1), { json: values.json ?? false, ...(values.why !== undefined ? { why: values.why } : {}) }, io);
    } finally {
      session.close();
    }
  }
  const submitOnly = (Object.keys(SUBMIT_OPTIONS) as (keyof typeof SUBMIT_OPTIONS)[]).find((flag) => values[flag] !== undefined);
  if (submitOnly !== undefined && positionals[0] !== 'submit') throw new UsageError(`--${submitOnly} is an option of imgbuild submit`);
  if (positionals[0] === 'submit') {
    const io = { print: (text: string) => void process.stdout.write(text), say: (line: string) => void process.stderr.write(`imgbuild: ${line}\n`) };
    const session = await BuildSession.open({ ...request, dryRun: true });
    try {
      return await runSubmit(session, positionals[1], positionals.slice(2), values, tokens, io);
    } finally {
      session.close();
    }
  }
  if ((values['max-size'] !== undefined || values.grace !== undefined) && positionals[0] !== 'cache') throw new UsageError('--max-size and --grace are options of imgbuild cache prune');
  if (positionals[0] === 'cache') {
    const io = { print: (text: string) => void process.stdout.write(text) };
    const session = await BuildSession.open({ ...request, dryRun: true });
    try {
      return await runCacheCommand(session, positionals.slice(1), { json: values.json ?? false, dryRun: values['dry-run'] ?? false, ...(values['max-size'] !== undefined ? { maxSize: values['max-size'] } : {}), ...(values.grace !== undefined ? { grace: values.grace } : {}) }, io);
    } finally {
      session.close();
    }
  }
  const command = positionals[0] === 'expire' || positionals[0] === 'catalog' ? positionals[0] : undefined;
  const queryFlags = ['site', 'instrument', 'from', 'to', 'filter', 'box', 'limit'] as const;
  for (const flag of queryFlags) {
    if (values[flag] !== undefined && !(command === 'catalog' && positionals[1] === 'query')) throw new UsageError(`--${flag} is an option of imgbuild catalog query`);
  }
  if (values.now !== undefined && command !== 'expire') throw new UsageError('--now is an option of imgbuild expire');
  if (command !== undefined) {
    const io = { print: (text: string) => void process.stdout.write(text), say: (line: string) => void process.stderr.write(`imgbuild: ${line}\n`) };
    const session = await BuildSession.open({ ...request, targets: ['all'], dryRun: false });
    try {
      await requireArchive(session, command);
      if (command === 'expire') return await runExpire(session, { ...(values.now !== undefined ? { now: values.now } : {}), dryRun: values['dry-run'] ?? false, json: values.json ?? false }, io);
      const queryArgs = queryFlags.flatMap((flag) => (values[flag] !== undefined ? [`--${flag}`, values[flag]!] : []));
      return await runCatalog(session, [...positionals.slice(1), ...queryArgs], values.json ?? false, io);
    } finally {
      session.close();
      await closeCatalogs();
    }
  }
  interrupt.listen();
  try {
    if (watching) {
      const hub = values.serve ? new EventHub() : undefined;
      const session = await BuildSession.open(hub ? { ...request, emit: (event) => (onEvent(event), hub.publish(event)) } : request);
      const server = hub ? await serveOn(session, hub) : undefined;
      try {
        await watchIncoming(session, {
          signal: interrupt.stop.signal,
          cancel: interrupt.cancel.signal,
          emit: hub ? (event) => (onEvent(event), hub.publish(event)) : onEvent,
          // A reviewer's approval (the page, or imgbuild approve elsewhere) is published by the next batch at once.
          decisions: new ReviewStore(session.settings.cache).file,
          ...(values.poll ? { poll: true } : {}),
          // Archive ingest expires what is due every few minutes on its own (imgbuild expire does it by hand).
          periodic: [
            // A remote incoming (s3://…) has no events: it is listed again every 30 s, and what is fetched into
            // its mirror arrives like any file.
            ...(session.settings.incomingSource !== undefined ? [{ everyMs: 30_000, run: () => session.syncIncoming(onEvent) }] : []),
            ...(session.rules.some((r) => r.name === 'archive-publish')
            ? [
                {
                  everyMs: session.settings.expiry.checkEveryMs,
                  run: async () => {
                    const expired = await expireNow(session, new Date(), false);
                    if (expired.length > 0) process.stderr.write(`imgbuild: expired ${expired.map((e) => e.id).join(', ')}\n`);
                  },
                },
              ]
            : []),
          ],
          onWatch: (event) => {
            if (values.json) {
              if (event.type !== 'batch-start') process.stdout.write(JSON.stringify({ watch: event }) + '\n');
              return;
            }
            const line = watchLine(event, cwd);
            if (line !== undefined) process.stderr.write(`imgbuild: ${line}\n`);
          },
        });
      } finally {
        await server?.close();
        session.close();
        await closeCatalogs();
      }
      return interrupt.status ?? 0;
    }
    const { summary } = await build(request).finally(() => closeCatalogs());
    if (interrupt.status !== undefined) return interrupt.status;
    if ((summary.problems ?? []).length > 0) return exitStatusOf('config');
    return summary.failed.length > 0 || summary.blocked.length > 0 ? 1 : 0;
  } finally {
    interrupt.unlisten();
  }
}

/** The rules `--preset` names (`wwt`, the default; `archive`): only for a config that names no rules itself. */
function presetRules(preset: string | undefined, config: PipelineConfig, configFile: string | undefined): Rule[] | ((settings: Settings) => Rule[]) {
  if (preset === undefined || preset === 'wwt') {
    if (preset !== undefined && config.rules !== undefined) throw new UsageError(`--preset ${preset}: ${configFile} names its own rules; drop the flag, or the rules from the config`);
    // A feed (source_type, the config's source, --source-type) is read by the feed pipeline; else the incoming folder.
    return (settings) => {
      if (settings.source === undefined) return wwtStudyRules();
      feedSourceOf(settings.source);
      return wwtFeedRules();
    };
  }
  if (preset === 'archive') {
    if (config.rules !== undefined) throw new UsageError(`--preset archive: ${configFile} names its own rules; use archiveRules() in it instead of the flag`);
    return archiveRules();
  }
  throw new UsageError(`--preset ${JSON.stringify(preset)}: the presets are wwt (WWT study tiling, the default) and archive (observatory ingest)`);
}

/**
 * Ctrl-C once: start nothing new, let the running nodes finish (their outputs are kept). Twice: cancel the
 * running nodes too. SIGTERM (a service manager stopping us) cancels at once.
 */
class Interrupts {
  readonly stop = new AbortController();
  readonly cancel = new AbortController();
  status: number | undefined;
  private readonly onInt = (): void => this.interrupt(EXIT_INTERRUPTED);
  private readonly onTerm = (): void => this.interrupt(EXIT_TERMINATED);

  /** `watching`: a watcher waits for running nodes even on SIGTERM (a service stop), and says "stopping…" first. */
  constructor(
    private readonly say: (text: string) => void,
    private readonly watching = false,
  ) {}

  private readonly started = new Set<string>();

  /** Nodes running now: started and not finished (a rejected input fails without ever starting). */
  track(event: BuildEvent): void {
    if (event.type === 'node-start') this.started.add(event.node.id);
    if (event.type === 'node-done' || event.type === 'node-failed') this.started.delete(event.node.id);
  }

  private get running(): number {
    return this.started.size;
  }

  listen(): void {
    process.on('SIGINT', this.onInt);
    process.on('SIGTERM', this.onTerm);
  }

  unlisten(): void {
    process.off('SIGINT', this.onInt);
    process.off('SIGTERM', this.onTerm);
  }

  private interrupt(status: number): void {
    this.status ??= status;
    if (this.watching && !this.stop.signal.aborted) {
      this.say(
        this.running === 0
          ? '\nimgbuild: stopping…\n'
          : `\nimgbuild: stopping… waiting for ${plural(this.running, 'running job')} (${status === EXIT_TERMINATED ? 'SIGTERM' : 'Ctrl-C'} again to cancel them)\n`,
      );
      this.stop.abort();
      return;
    }
    if (status === EXIT_TERMINATED && !this.cancel.signal.aborted) {
      // A service manager stopping us is no person at a keyboard: cancel at once, and say why.
      this.say(`imgbuild: terminated (SIGTERM): cancelling ${plural(this.running, 'running job')}\n`);
      this.stop.abort();
      this.cancel.abort();
      setTimeout(() => process.exit(this.status), 2000).unref();
      return;
    }
    if (!this.stop.signal.aborted) {
      this.say(`\nstopping: waiting for ${plural(this.running, 'running job')} (Ctrl-C again to cancel them)\n`);
      this.stop.abort();
      return;
    }
    if (!this.cancel.signal.aborted) {
      this.say(`cancelling ${plural(this.running, 'running job')}\n`);
      this.cancel.abort();
      // A step that cannot be interrupted (libvips inside a tile pyramid) must not hold the exit: the staging
      // folders it leaves are cleared by the next run.
      setTimeout(() => process.exit(this.status), 2000).unref();
      return;
    }
    process.exit(this.status);
  }
}

/** Errors that are the user's to fix get one line and the exit status of their kind; anything else is a bug and keeps its stack. */
export function reportError(error: unknown, json: boolean): number {
  const expected = error instanceof ImgbuildError ? error : environmentErrorOf(error);
  if (expected !== undefined) {
    const message = redact(expected.message);
    process.stderr.write(`imgbuild: ${message}\n`);
    if (json) process.stdout.write(JSON.stringify({ error: message, kind: expected.kind }) + '\n');
    return exitStatusOf(expected.kind);
  }
  const text = redact((error as Error)?.stack ?? String(error));
  process.stderr.write(`imgbuild: ${text}\nThis is a bug in imgbuild: please report it with the lines above and the output of imgbuild --version.\n`);
  if (json) process.stdout.write(JSON.stringify({ error: redact(error instanceof Error ? error.message : String(error)), kind: 'bug' }) + '\n');
  return EXIT_BUG;
}

/** The old entry point's name (bin/imgbuild.js): main no longer throws, but keep the seam. */
export function exitCodeFor(error: unknown): number {
  return reportError(error, false);
}
