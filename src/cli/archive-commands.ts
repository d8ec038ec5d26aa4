// `imgbuild expire` and `imgbuild catalog query|rebuild`: the archive's commands besides building. Each opens a
// build session for the settings, the repository and the cache lock, like a build does.
import { parseArgs } from 'node:util';
import { expireArchive, type ExpiredExposure } from '../archive/expire-archive.js';
import { rebuildCatalog } from '../archive/rebuild-catalog.js';
import { RECORDS_PREFIX } from '../archive/exposure-record.js';
import { catalogFor } from '../catalog/catalog-for.js';
import type { CatalogQuery } from '../catalog/catalog.js';
import { formatRowsJson, formatRowsTable } from '../catalog/format-rows.js';
import { UsageError } from '../errors.js';
import type { BuildSession } from '../run/build-session.js';
import { plural } from './plural.js';

export interface CommandIo {
  print(text: string): void;
  say(line: string): void;
}

/** `expire` and `catalog` belong to archive ingest: in a project without its rules they would only mislead. */
export async function requireArchive(session: BuildSession, command: string): Promise<void> {
  if (session.rules.some((r) => r.name === 'archive-publish')) return;
  // A project built with --preset archive but run here without it: its repository says what it is.
  for await (const _ of session.repository.list(RECORDS_PREFIX)) return;
  throw new UsageError(
    `imgbuild ${command} is for archive ingest, but this project's rules have none and ${session.repository.description} holds no archived exposures: add --preset archive, or use archiveRules() in pipeline.config.ts`,
  );
}

/** `--now` (ISO 8601) or the clock. */
function nowFrom(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime())) throw new UsageError(`--now ${JSON.stringify(text)}: give an ISO 8601 time such as 2026-12-03T12:00:00Z`);
  return at;
}

/** Expire what is due: repository files, catalog rows, then the cache's records and outputs of those items. */
export async function expireNow(session: BuildSession, now: Date, dryRun: boolean): Promise<ExpiredExposure[]> {
  const catalog = dryRun ? undefined : await catalogFor(session.settings.catalog);
  const expired = await expireArchive(session.repository, { now, dryRun, ...(catalog ? { catalog } : {}) });
  if (!dryRun) session.forgetItems(new Set(expired.map((e) => e.id)));
  return expired;
}

export async function runExpire(session: BuildSession, options: { now?: string; dryRun: boolean; json: boolean }, io: CommandIo): Promise<number> {
  const now = nowFrom(options.now);
  const expired = await expireNow(session, now, options.dryRun);
  if (options.json) {
    io.print(JSON.stringify({ now: now.toISOString(), dryRun: options.dryRun, expired }, null, 2) + '\n');
    return 0;
  }
  for (const e of expired) io.print(`${options.dryRun ? 'would expire' : 'expired'} ${e.id} (${e.imageClass}, due ${e.expires}): ${plural(e.files, 'file')}\n`);
  io.say(`${plural(expired.length, 'exposure')} ${options.dryRun ? 'would expire' : 'expired'} as of ${now.toISOString()}`);
  return 0;
}

/** `--box RA1,RA2,DEC1,DEC2` in degrees. */
function boxFrom(text: string | undefined): CatalogQuery['box'] {
  if (text === undefined) return undefined;
  const numbers = text.split(',').map((s) => Number(s.trim()));
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n))) throw new UsageError(`--box ${JSON.stringify(text)}: give RA1,RA2,DEC1,DEC2 in degrees, such as 180,190,40,50`);
  const [ra1, ra2, dec1, dec2] = numbers as [number, number, number, number];
  if ([ra1, ra2].some((ra) => ra < 0 || ra > 360) || [dec1, dec2].some((dec) => dec < -90 || dec > 90)) {
    throw new UsageError(`--box ${text}: RA runs 0…360 and Dec −90…90 (degrees)`);
  }
  return { ra1, ra2, dec1: Math.min(dec1, dec2), dec2: Math.max(dec1, dec2) };
}

function dateFrom(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: give a date (2022-06-29) or an ISO time (2022-06-29T03:00:00Z)`);
  }
  return text;
}

export async function runCatalog(session: BuildSession, argv: readonly string[], json: boolean, io: CommandIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'rebuild') {
    const catalog = await catalogFor(session.settings.catalog);
    const counts = await rebuildCatalog(session.repository, catalog, (warning) => io.say(`warning: ${warning}`));
    if (counts.rows === 0) io.say(`warning: ${session.repository.description} holds no archived exposures (no imgbuild/exposures/ records, nothing in data/): is it the right repository?`);
    if (json) io.print(JSON.stringify(counts) + '\n');
    else io.say(`catalog rebuilt from ${session.repository.description}: ${plural(counts.rows, 'exposure')} (${counts.fromRecords} from imgbuild's records, ${counts.fromFiles} from the files alone)`);
    return 0;
  }
  if (verb !== 'query') {
    const what = verb === undefined ? 'imgbuild catalog needs a command' : `imgbuild catalog ${JSON.stringify(verb)} is not a command`;
    throw new UsageError(`${what}: use 'catalog query [--site S] [--instrument I] [--from DATE] [--to DATE] [--filter F] [--box RA1,RA2,DEC1,DEC2]' or 'catalog rebuild'`);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: {
        site: { type: 'string' },
        instrument: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        filter: { type: 'string' },
        box: { type: 'string' },
        limit: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(`catalog query: ${(error as Error).message.split(/\.\s/)[0]}: its options are --site --instrument --from --to --filter --box --limit`);
  }
  const limit = parsed.limit === undefined ? undefined : Number(parsed.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit ${JSON.stringify(parsed.limit)}: give a whole number ≥ 1`);
  const box = boxFrom(parsed.box);
  const from = dateFrom('--from', parsed.from);
  const to = dateFrom('--to', parsed.to);
  const query: CatalogQuery = {
    ...(parsed.site !== undefined ? { site: parsed.site } : {}),
    ...(parsed.instrument !== undefined ? { instrument: parsed.instrument } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(parsed.filter !== undefined ? { filter: parsed.filter } : {}),
    ...(box !== undefined ? { box } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  const catalog = await catalogFor(session.settings.catalog);
  const rows = await catalog.query(query);
  io.print(json ? formatRowsJson(rows) : formatRowsTable(rows));
  // An empty catalog beside a repository full of exposures was lost or moved: say how to get it back.
  if (rows.length === 0 && (await catalog.query({ limit: 1 })).length === 0) {
    for await (const _ of session.repository.list(RECORDS_PREFIX)) {
      io.say(`the catalog (${catalog.description}) is empty, but ${session.repository.description} holds archived exposures: run imgbuild catalog rebuild`);
      break;
    }
  }
  return 0;
}
