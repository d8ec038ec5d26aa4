// `imgbuild init [DIR]` (toasty's `pipeline init`): a new project folder with `incoming/` and a commented
// `pipeline.config.ts`, and, when a repository is named, its `imgbuild-pipeline-config.yaml` (the settings every
// machine that builds for that repository shares). Nothing that exists is ever overwritten: every target is
// checked before anything is written, and the repository file is created with an exclusive create, so a file
// another machine wrote in the meantime is not replaced either.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ImgbuildError, UsageError } from '../errors.js';
import { IMGBUILD_REPOSITORY_CONFIG } from '../config/repository-config.js';
import { resolveRepository } from '../config/resolve-settings.js';
import { describeRepositorySpec } from '../config/folders-for-repository.js';
import { openRepository, type RepositorySpec } from '../repo/repository-spec.js';
import { publishUrlPrefixProblem } from '../../rules/wtml.js';
import { REPOSITORY_OPTIONS, repositoryOverrides } from './repository-flags.js';

export const INIT_HELP = `imgbuild init [DIR] — start a new imgbuild project in DIR (default: the current folder)

Creates DIR/incoming/ (put images there) and a commented DIR/pipeline.config.ts. Given a repository, also writes
its imgbuild-pipeline-config.yaml (publish_url_prefix, folder_name, rule parameters), which every machine that
builds for that repository reads. Refuses to overwrite anything.

Options:
  --local DIR                 the data repository is this folder (default in the config: repo)
  --azure-conn-env NAME, --azure-container C, --azure-path-prefix P
                              … or Azure Blob Storage (NAME is the environment variable holding the connection string)
  --s3-bucket B, --s3-prefix P, --s3-endpoint URL, --s3-region R
                              … or S3
  --publish-url-prefix URL    the URL the repository is served under
  --folder-name NAME          the root index's folder name (default: the repository's name)
  -h, --help                  this text
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...REPOSITORY_OPTIONS,
        'publish-url-prefix': { type: 'string' },
        'folder-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const first = (error as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(`init: ${first}: run imgbuild init --help for the options`);
  }
}

/** A TypeScript string literal. */
const ts = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A YAML scalar that never needs interpreting (JSON strings are valid YAML). */
const yaml = (text: string): string => JSON.stringify(text);

function repositoryLines(spec: RepositorySpec | undefined, projectDir: string): string[] {
  if (spec === undefined) {
    return [
      "  // The data repository: a local folder (toasty's --local), or azure: { connEnv, container, pathPrefix },",
      '  // or s3: { bucket, prefix, endpoint, region }. Flags (--local, --azure-…, --s3-…) override it.',
      "  local: 'repo',",
    ];
  }
  switch (spec.kind) {
    case 'local': {
      // Inside the project or beside it: relative, so the two can move together; farther (/srv/wwt-data): absolute.
      const relative = path.relative(projectDir, spec.dir);
      const shown = relative === '' ? '.' : relative.startsWith(`..${path.sep}..`) || relative === `..${path.sep}..` ? spec.dir : relative;
      return ["  // The data repository: a local folder (toasty's --local); a relative path starts at this file's folder.", `  local: ${ts(shown.split(path.sep).join('/'))},`];
    }
    case 'azure':
      return [
        '  // The data repository in Azure Blob Storage. connEnv NAMES the environment variable that holds the',
        '  // connection string: never put the string itself in this file.',
        `  azure: { connEnv: ${ts(spec.connEnv)}, container: ${ts(spec.container)}${spec.pathPrefix ? `, pathPrefix: ${ts(spec.pathPrefix)}` : ''} },`,
      ];
    case 's3': {
      const fields = [`bucket: ${ts(spec.bucket)}`];
      if (spec.prefix) fields.push(`prefix: ${ts(spec.prefix)}`);
      if (spec.endpoint) fields.push(`endpoint: ${ts(spec.endpoint)}`);
      if (spec.region) fields.push(`region: ${ts(spec.region)}`);
      return ["  // The data repository in S3 (credentials from the AWS SDK's chain: environment variables or a profile).", `  s3: { ${fields.join(', ')} },`];
    }
  }
}

function configText(spec: RepositorySpec | undefined, projectDir: string, publishUrlPrefix: string | undefined, folderName: string | undefined): string {
  return [
    '// imgbuild pipeline: `imgbuild all` builds every image in incoming/ into tiled, sky-placed WWT data sets and',
    '// publishes them to the data repository. `imgbuild all --dry-run` says what would run and why;',
    '// `imgbuild --help` lists every flag (flags override this file).',
    "import { defineConfig, wwtStudyRules } from 'imgbuild';",
    '',
    'export default defineConfig({',
    '  // New images (JPEG/PNG/TIFF with AVM metadata, or NAME.wcs.fits sidecars beside them).',
    "  incoming: 'incoming',",
    '  // Built outputs, laid out for review before publishing, and the build state.',
    "  work: 'work',",
    "  cache: 'cache',",
    ...repositoryLines(spec, projectDir),
    ...(spec !== undefined
      ? [
          `  // publish_url_prefix, folder_name and rule parameters live in the repository's ${IMGBUILD_REPOSITORY_CONFIG},`,
          '  // so every machine that builds for it makes the same data sets; a value here would override it.',
        ]
      : [
          '  // The URL the repository is served under: index.wtml holds absolute URLs beneath it.',
          publishUrlPrefix !== undefined ? `  publishUrlPrefix: ${ts(publishUrlPrefix)},` : "  // publishUrlPrefix: 'https://data.example.org/wwt/',",
          folderName !== undefined ? `  folderName: ${ts(folderName)},` : "  // folderName: 'Our Observatory',",
        ]),
    '  rules: wwtStudyRules(),',
    '  // Per-rule parameters, e.g. { tiles: { pngCompression: 9 }, thumbnail: { quality: 85 } }.',
    '  params: {},',
    '});',
    '',
  ].join('\n');
}

function repositoryConfigText(publishUrlPrefix: string | undefined, folderName: string | undefined): string {
  return [
    '# imgbuild settings for this data repository (toasty keeps toasty-pipeline-config.yaml beside it).',
    '# Every machine that builds for this repository reads them; pipeline.config.ts and flags override them.',
    publishUrlPrefix !== undefined ? `publish_url_prefix: ${yaml(publishUrlPrefix)}` : '# publish_url_prefix: "https://data.example.org/wwt/"',
    folderName !== undefined ? `folder_name: ${yaml(folderName)}` : '# folder_name: "Our Observatory"',
    '# folder_thumbnail_url: "https://data.example.org/wwt/folder.jpg"',
    '# params:            # rule parameters, as pipeline.config.ts params',
    '#   tiles:',
    '#     pngCompression: 9',
    '',
  ].join('\n');
}

/** Run `imgbuild init`: `say` gets the lines that tell what was made (stderr), `print` the help (stdout). */
export async function runInit(argv: string[], cwd: string, out: { say: (line: string) => void; print: (text: string) => void }): Promise<number> {
  const { say } = out;
  const { values, positionals } = parse(argv);
  if (values.help) {
    out.print(INIT_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`init takes one folder, not ${positionals.length}: imgbuild init [DIR]`);
  const prefix = values['publish-url-prefix'];
  if (prefix !== undefined && publishUrlPrefixProblem(prefix) !== undefined) {
    throw new UsageError(`--publish-url-prefix ${JSON.stringify(prefix)}: give an http(s) URL such as https://data.example.org/wwt/`);
  }
  const projectDir = path.resolve(cwd, positionals[0] ?? '.');
  const flags = repositoryOverrides(values);
  const named = Object.values(flags).some((v) => v !== undefined);
  const spec = named ? resolveRepository({}, projectDir, flags, cwd) : undefined;

  const shown = (file: string): string => {
    const relative = path.relative(cwd, file);
    return relative === '' ? '.' : relative.startsWith('..') ? file : relative;
  };
  const configPath = path.join(projectDir, 'pipeline.config.ts');
  const incoming = path.join(projectDir, 'incoming');
  const existing = [configPath].filter((file) => fs.existsSync(file));
  if (fs.existsSync(incoming) && !fs.statSync(incoming).isDirectory()) existing.push(incoming);
  const repository = spec !== undefined ? await openRepository(spec) : undefined;
  if (repository !== undefined && (await repository.get(IMGBUILD_REPOSITORY_CONFIG)) !== undefined) {
    existing.push(`${IMGBUILD_REPOSITORY_CONFIG} in ${describeRepositorySpec(spec!)}`);
  }
  if (existing.length > 0) {
    throw new ImgbuildError('usage', `init: ${existing.map((e) => (path.isAbsolute(e) ? shown(e) : e)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; imgbuild init never overwrites: choose another folder, or edit what is there`);
  }

  fs.mkdirSync(incoming, { recursive: true });
  // `wx`: if a config appeared since the check above, fail rather than replace it.
  fs.writeFileSync(configPath, configText(spec, projectDir, prefix, values['folder-name']), { flag: 'wx' });
  say(`created ${shown(incoming)}/ (put images here)`);
  say(`created ${shown(configPath)}`);
  if (repository !== undefined) {
    const created = await repository.createExclusive(IMGBUILD_REPOSITORY_CONFIG, Buffer.from(repositoryConfigText(prefix, values['folder-name'])));
    if (!created) throw new ImgbuildError('environment', `init: ${IMGBUILD_REPOSITORY_CONFIG} appeared in ${describeRepositorySpec(spec!)} meanwhile; it was left as it is`);
    say(`created ${IMGBUILD_REPOSITORY_CONFIG} in ${describeRepositorySpec(spec!)}`);
  }
  const into = shown(projectDir);
  say(`next: ${into !== '.' ? `cd ${into} && ` : ''}copy images into incoming/, then run imgbuild all${prefix === undefined ? ' --publish-url-prefix https://…/' : ''}`);
  return 0;
}
