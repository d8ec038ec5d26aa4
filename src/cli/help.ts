// The text of `imgbuild --help`, and of `imgbuild COMMAND --help` for each command and rule.
import type { Rule } from '../graph/rule.js';
import { plural } from './plural.js';
import os from 'node:os';
export const HELP = `imgbuild — build WorldWide Telescope data sets from images, incrementally and in parallel

Usage: imgbuild [target…] [options]
       imgbuild init [DIR] [--local DIR | --azure-… | --s3-…] [--publish-url-prefix URL]   (a new project)
       imgbuild watch [target…] [options]      (follow the incoming folder; same as all --watch)
       imgbuild expire [--now ISO-TIME] [--dry-run]   (archive: remove what has expired)
       imgbuild catalog query [--site S] [--instrument I] [--from DATE] [--to DATE] [--filter F]
                              [--box RA1,RA2,DEC1,DEC2] [--limit N] [--json]   (box in degrees)
       imgbuild catalog rebuild                 (recreate the metadata catalog from the repository)
       imgbuild status [--json] [--failed] [ID…]   (the latest run of each node, from the cache alone)
       imgbuild log NODE-ID                     (that node's last log)
       imgbuild review [--json]                 (every data set's review state)
       imgbuild approve ID|GLOB…                (let it be published, as built now)
       imgbuild reject ID|GLOB… --why "…"       (never publish it, whatever is rebuilt)
       imgbuild unpublish ID|GLOB…              (take it out of the repository; marks it rejected)
       imgbuild serve [--port N] [--host H]     (the review page, in the WWT engine; default 127.0.0.1:8765)
       imgbuild submit slurm|k8s|aws-batch --tasks N [target…] [options]   (one build as N shards on a cluster)
       imgbuild cache stats|prune --max-size SIZE --remote-cache URL       (the shared cache of node outputs)

Targets are 'all' (the default), a stage, rule names, or rule:item (one node, e.g. tiles:orion);
a target builds what it needs first. 'imgbuild TARGET --help' tells what a target does.
  process    build everything into the work folder; upload nothing (for review)
  publish    upload what was built and not rejected (with --require-approval: only what was approved)
  reindex    rebuild the repository's root index.wtml from what it holds, from any machine
The built-in rules: place, tiles, thumbnail, wtml, review-index, publish, index; with a feed (source_type astropix or
djangoplicity) feed, fetch and feed-index too: 'imgbuild fetch' downloads a feed's new images, nothing else.

Options:
  --config FILE               pipeline config (default: pipeline.config.ts, if present)
  --repository URI            the data repository as CALDP names outputs: file:DIR or s3://bucket/prefix
  --local DIR                 the data repository: a local folder (default: repo), or
  --azure-conn-env NAME       … Azure Blob Storage: NAME is the environment variable holding the
                              connection string (never the string itself)
  --azure-container C           with the container
  --azure-path-prefix P         and an optional folder inside it
  --s3-bucket B               … S3 (credentials from the AWS SDK's chain: environment, profile)
  --s3-prefix P                 optional folder inside the bucket
  --s3-endpoint URL             an S3-compatible server (path-style addressing)
  --s3-region R                 region (default: AWS_REGION, else us-east-1)
  --incoming DIR|URI          folder of images to process (default: incoming); s3://bucket/prefix is
                              fetched into a local copy under the cache folder before each run
  --work DIR                  folder for built outputs before publishing (default: work)
  --publish-url-prefix URL    URL the repository is served under (for index.wtml)
  --cache DIR                 build state folder (default: cache)
  -j, --jobs N                nodes run in parallel (default: number of cores)
  --dry-run                   say what would run and why; change nothing
  --json                      print one JSON object (the plan with --dry-run, the outcome otherwise)
  --keep-going                after a failure, still build everything that does not depend on it
  --preset wwt|archive        built-in rules when the config names none: WWT study tiling (default) or
                              observatory archive ingest (exposures, thumbnails, catalog, expiry)
  --source-type T             build from a feed: astropix or djangoplicity (default: the repository's
                              source_type in toasty-pipeline-config.yaml, else the incoming folder)
  --source-url URL              the feed's json_query_url (astropix) or base_url (djangoplicity)
  --prune-removed             with a feed: withdraw data sets of items the feed no longer offers
  --catalog-url-env NAME      archive: the catalog is PostgreSQL, its postgres:// URL in variable NAME
                              (default: an SQLite file, cache/catalog.sqlite)
  --require-approval          publish only data sets a reviewer approved (or require_approval: true in the
                              repository's imgbuild-pipeline-config.yaml; requireApproval in the config)
  --why TEXT                  reject: the reason, kept and shown by imgbuild review
  --watch                     keep running: build what arrives in the incoming folder, in batches
  --serve                     with watch: serve the review page too, with the build's live progress
  --poll                      with watch: follow the folders by polling instead of inotify
  --remote-cache URL          a cache of node outputs shared with other machines: file:///shared/dir,
                              s3://bucket/prefix or azure://container/prefix (a hit is restored, not run)
  --remote-cache-conn-env NAME  an azure:// remote cache's connection string is in variable NAME
  --shard I/N | auto          build only shard I of N (items dealt by a hash of their id); auto: from
                              SLURM, AWS Batch or Kubernetes array variables (--shard-count N where needed);
                              the root index is left to a final 'imgbuild reindex'
  -v, --verbose               print every node's log lines
  -h, --help                  this text
  --version                   imgbuild's, Node's, sharp's and libvips' versions

Exit status: 0 built (or nothing to do), 1 a node failed or the environment is in the way (repository
unreachable, credentials missing, disk full, permission denied), 2 bad usage or configuration,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 70 a bug in imgbuild (please report it).
`;

/** The options every build command takes, with their defaults. */
const BUILD_OPTIONS = `Options (defaults in brackets; flags override pipeline.config.ts):
  --incoming DIR  images to process [incoming]      --work DIR  built outputs [work]
  --cache DIR     build state [cache]               --local DIR  the data repository [repo]
  --publish-url-prefix URL  URL the repository is served under [none]
  -j N  nodes at once [${os.availableParallelism()}]   --dry-run  --json  --keep-going  -v
  Azure (--azure-conn-env, --azure-container, --azure-path-prefix) and S3 (--s3-bucket, --s3-prefix,
  --s3-endpoint, --s3-region) repositories: see imgbuild --help.
`;

/** The review commands plan nothing and run nothing: their own usage line and options. */
const REVIEW_USAGE: Readonly<Record<string, string>> = {
  review: 'imgbuild review [--json] [options]',
  approve: 'imgbuild approve ID|GLOB… [options]',
  reject: 'imgbuild reject ID|GLOB… --why "…" [options]',
  unpublish: 'imgbuild unpublish ID|GLOB… [options]',
  serve: 'imgbuild serve [--port N] [--host H] [options]',
  submit: 'imgbuild submit slurm|k8s|aws-batch --tasks N [target…] [options]',
  cache: 'imgbuild cache stats|prune [--max-size SIZE] --remote-cache URL [options]',
};

const REVIEW_OPTIONS = `Options (flags override pipeline.config.ts; the same as for the build that made the data sets):
  --cache DIR     where the decisions are kept (cache/review.json) [cache]
  --work DIR      the work folder [work]         --incoming DIR  the images [incoming]
  --local DIR, --azure-…, --s3-…   the data repository (see imgbuild --help)
  --require-approval   as the repository's require_approval: true     --json  machine-readable outcome
`;

const STAGES: Readonly<Record<string, string>> = {
  all: 'build every rule, publish, and rewrite the root index (the default target)',
  process: 'build everything into the work folder and upload nothing, so a human can review it: work/<id>/ is laid\nout as it will be published and work/index_rel.wtml lists every data set (imgbuild serve shows them in WWT;\nimgbuild approve/reject ID decide; `imgbuild publish` then leaves out what was rejected)',
  publish: "upload what was built and not rejected: each data set's files, then <id>/imgbuild.json last;\nbuilds first whatever is missing",
  expire:
    'archive ingest: remove from the repository, the catalog and the cache every exposure whose time is up\n' +
    "(info images 48 h after arrival unless the config's archive.expire says otherwise); --now ISO-TIME asks\n" +
    'as of another time, --dry-run lists without removing. A watcher does it on its own (archive.expireEvery).',
  status:
    "the latest run of every node (or of the nodes, items or rules named), read from the cache folder alone:\n" +
    'state (done, failed, blocked, skipped, running), when, how long, and why it failed; then one line per rule.\n' +
    '--failed: only the failures. --json: { "nodes": [ { id, rule, state, startedAt, ms, cpuMs, maxRssBytes,\n' +
    'bytesRead, bytesWritten, steps, message } ] }. Works beside a running build.',
  log: "a node's last log (cache/logs/): its log lines, status steps, a program's stdout and stderr, the error.",
  catalog:
    "archive ingest: 'catalog query' prints the exposures that match (--json: { \"rows\": [ … ] } with\n" +
    "Photon Ranch's columns); 'catalog rebuild' recreates the catalog from the repository's files.",
  watch:
    'follow the incoming folder and build, publish and reindex what arrives, until Ctrl-C/SIGTERM:\n' +
    'a file is taken once it stops changing (*.part, *.tmp, *.crdownload and dot-files wait until renamed);\n' +
    'files arriving together are one batch and one reindex; a bad file is told once and retried when it\n' +
    'changes; an unreachable repository is retried with backoff; one line per batch. Ctrl-C (or SIGTERM)\n' +
    'lets running jobs finish (press again to cancel them); a restarted watcher redoes nothing done.',
  review: "every data set and its state: built, approved, rejected (with the reason), published, published-but-rejected,\nnot-built; why it was built; --json for machines. Decisions live in the cache folder (cache/review.json).",
  approve: 'let the named data sets (IDs or globs) be published as they are built now: a rebuilt one needs approving\nagain. With require_approval, publish and all publish only approved data sets.',
  reject: 'never publish the named data sets (IDs or globs) while the rejection stands: --why "…" is required.\nA published one stays published until imgbuild unpublish ID.',
  unpublish: 'take the named data sets out of the repository: root-index entry, then manifest, then files; marks them\nrejected so the next build does not publish them again (imgbuild approve undoes that).',
  serve: 'the review page on http://127.0.0.1:8765/ (--port N, --host H): the data sets with thumbnails, state and WTML\nvalues; a click shows one in the WWT engine (bundled: no internet needed) over the sky grid, with an opacity\nslider; Approve and Reject do what the commands do. imgbuild watch --serve adds the live build progress.',
  submit:
    'run one build as N shards on a cluster, then the reduce step (imgbuild reindex) once every shard succeeded:\n' +
    '  imgbuild submit slurm --tasks N [--cpus-per-task C] [--partition P] [--time T] [--sbatch-arg=--opt=V…] [--wait]\n' +
    '      writes cache/submit/<time>-slurm/{array,reduce}.sbatch and submits them (a job array, then a job with\n' +
    '      --dependency=afterok); --wait follows them and says each shard\'s outcome (exit 1 if one failed);\n' +
    '      --dry-run prints the scripts. Each task works in cache/shards/N/<task>/{work,cache}.\n' +
    '  imgbuild submit k8s --tasks N --image IMAGE [--secret NAME]   prints an Indexed Job and the reduce Job\n' +
    '  imgbuild submit aws-batch --tasks N --job-queue Q --job-definition D [--json]   prints the submit-job calls\n' +
    'Targets and the usual flags (repository, --remote-cache, --publish-url-prefix, …) are passed to every task;\n' +
    'credentials travel in the environment, never in the scripts.',
  cache:
    "the shared cache of node outputs (--remote-cache URL, or remoteCache in the config):\n" +
    '  imgbuild cache stats [--json]                 entries, files, bytes, least and most recent use\n' +
    '  imgbuild cache prune --max-size SIZE [--grace S] [--dry-run] [--json]\n' +
    '      keep the most recently used entries that fit in SIZE (50GB, 500MiB, bytes), remove the rest and\n' +
    '      their files; files no entry names yet are kept until --grace seconds old (default 3600).',
  reindex: "rebuild the repository's root index.wtml from what the repository holds (any machine can do it),\nwhatever is built locally",
};

/** `imgbuild TARGET --help`: what the target does, then the options with their defaults; undefined if unknown. */
export function targetHelp(target: string, rules: readonly Rule[]): string | undefined {
  const rule = rules.find((r) => r.name === target);
  const stage = STAGES[target];
  if (stage === undefined && rule === undefined) return undefined;
  const review = REVIEW_USAGE[target];
  const lines = [`Usage: ${review ?? `imgbuild ${target} [options]`}`, ''];
  if (stage !== undefined) lines.push(stage);
  if (rule !== undefined) {
    if (stage === undefined || target === 'publish') lines.push(`rule ${rule.name}: ${rule.description ?? '(no description)'}`);
    const over =
      typeof rule.forEach === 'object'
        ? `one node per ${rule.forEach.group ? 'group of files' : 'file'} ${[rule.forEach.files].flat().join(' or ')} in ${rule.forEach.in ?? 'incoming'}`
        : typeof rule.forEach === 'string'
          ? `one node per ${rules.find((r) => r.name === rule.forEach)?.produces === 'items' ? 'item listed by' : 'node of'} ${rule.forEach}`
          : rule.aggregate !== undefined
            ? `one node over every node of ${rule.aggregate}`
            : 'one node';
    lines.push(`Nodes: ${over}; 'imgbuild ${rule.name}:ITEM' builds one (and what it needs).`);
    const params = typeof rule.params === 'object' ? Object.entries(rule.params) : [];
    if (params.length > 0) {
      lines.push(`Parameters (${plural(params.length, 'default')}; override in config params.${rule.name}): ${params.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
    }
  }
  lines.push('', review !== undefined ? REVIEW_OPTIONS : BUILD_OPTIONS);
  return lines.join('\n');
}
