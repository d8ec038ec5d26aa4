// Rule `archive-publish`: put an exposure's files in the repository under Photon Ranch's prefixes, then its
// record (imgbuild/exposures/<id>.json) last, so that a record saying "published" is never ahead of its files.
// An info image takes its channel: under the channel's lock, a newer exposure replaces the one there (its files
// are removed and its record says so); an older one arriving late is recorded as replaced and not published.
// Expired and replaced exposures keep their records, so the files still in incoming are not published again.
import fs from 'node:fs';
import path from 'node:path';
import { channelFolder, channelRecordPath } from '../../src/archive/archive-layout.js';
import { lifetimeOf } from '../../src/archive/expiry-policy.js';
import { type ExposureFile, type ExposureRecord, readExposureRecord, writeExposureRecord } from '../../src/archive/exposure-record.js';
import { hashFileContents } from '../../src/cache/file-hasher.js';
import { defineRule, type RunContext } from '../../src/graph/rule.js';
import { contentTypeOf, type Repository } from '../../src/repo/repository.js';
import { withRepositoryLock } from '../../src/repo/repository-lock.js';
import { EXPOSURE_PLAN, type ExposurePlan } from './exposure.js';

/** The channel's current exposure: `imgbuild/channels/<site>-<channel>.json`. */
interface ChannelOccupant {
  readonly id: string;
  readonly baseFilename: string;
}

const channelRecord = channelRecordPath;

export function readPlan(ctx: RunContext): ExposurePlan {
  const folder = ctx.upstream('exposure')[0]?.outputs['out'];
  if (folder === undefined) throw new Error('the exposure node has not run');
  return JSON.parse(fs.readFileSync(path.join(folder, EXPOSURE_PLAN), 'utf8')) as ExposurePlan;
}

export default defineRule({
  name: 'archive-publish',
  version: 1,
  description: "put an exposure's files in the repository (data/, info-images/<site>/<channel>/, allsky/), record last",
  forEach: 'exposure',
  publishes: true,
  // It acts on the repository: nothing of it can come from a remote cache.
  cache: false,
  checkReadsOnlyRepository: true,
  check: async (ctx) => {
    const record = await readExposureRecord(ctx.repository, ctx.item);
    if (record === undefined) return `not in the repository (${ctx.repository.description})`;
    // An expired or replaced exposure is finished with; `skip` keeps it so when its files change.
    if (record.state === 'published' && record.key !== ctx.key) return 'the repository holds another version';
    return undefined;
  },
  skip: async (ctx) => {
    const record = await readExposureRecord(ctx.repository, ctx.item);
    if (record?.state === 'expired') return `expired at ${record.endedAt} (imgbuild expire); it is not published again`;
    if (record?.state === 'replaced') return `replaced in its channel by ${record.replacedBy}`;
    return undefined;
  },
  run: async (ctx) => {
    const plan = readPlan(ctx);
    const folder = ctx.upstream('exposure')[0]!.outputs['out']!;
    const local = plan.files.map((f) => ({ ...f, source: 'derived' in f ? path.join(folder, f.name) : path.join(ctx.settings.incoming, f.relative) }));
    const publish = async (): Promise<void> => {
      const before = await readExposureRecord(ctx.repository, plan.id);
      const files: ExposureFile[] = [];
      let uploaded = 0;
      for (const file of local) {
        const sha256 = hashFileContents(file.source);
        const size = fs.statSync(file.source).size;
        files.push({ path: file.path, size, sha256 });
        const same = before?.state === 'published' && before.files.some((f) => f.path === file.path && f.sha256 === sha256);
        if (same) continue;
        ctx.signal.throwIfAborted();
        await ctx.repository.putFile(file.path, file.source, { contentType: contentTypeOf(file.path), cacheControl: 'public, max-age=86400' });
        uploaded++;
      }
      const arrived = before?.state === 'published' ? before.arrived : new Date().toISOString();
      const lifetime = lifetimeOf(ctx.settings.expiry, plan.site, plan.imageClass);
      const record: ExposureRecord = {
        format: 1,
        id: plan.id,
        baseFilename: plan.baseFilename,
        imageClass: plan.imageClass,
        site: plan.site,
        ...(plan.channel !== undefined ? { channel: plan.channel } : {}),
        key: ctx.key,
        files,
        arrived,
        ...(lifetime !== undefined ? { expires: new Date(Date.parse(arrived) + lifetime).toISOString() } : {}),
        state: 'published',
        ...(plan.row !== undefined ? { row: plan.row } : {}),
      };
      await writeExposureRecord(ctx.repository, record);
      // Files the exposure no longer has go only after the record that no longer lists them.
      for (const old of before?.files ?? []) if (!files.some((f) => f.path === old.path)) await ctx.repository.delete(old.path);
      ctx.log(`${uploaded} of ${files.length} files uploaded${lifetime !== undefined ? `; expires ${record.expires}` : ''}`);
    };
    if (plan.imageClass !== 'info-images' || plan.channel === undefined) return publish();
    const channel = plan.channel;
    // Several info images of one channel in one run take turns (whichever order they come in, the newest stays).
    await withRepositoryLock(ctx.repository, `imgbuild/channels/${plan.site}-${channel}.lock`, `publishing to info channel ${channel}`, async () => {
      const occupant = await readOccupant(ctx.repository, plan.site, channel);
      if (occupant !== undefined && occupant.id !== plan.id && occupant.baseFilename > plan.baseFilename) {
        await replaced(ctx.repository, plan.id, occupant.id, ctx.key, plan);
        ctx.log(`not published: channel ${channel} already shows the newer ${occupant.baseFilename}`);
        return;
      }
      await publish();
      await ctx.repository.put(channelRecord(plan.site, channel), Buffer.from(JSON.stringify({ id: plan.id, baseFilename: plan.baseFilename } satisfies ChannelOccupant)), {
        contentType: 'application/json',
        cacheControl: 'no-cache',
      });
      if (occupant !== undefined && occupant.id !== plan.id) {
        const removed = await replaced(ctx.repository, occupant.id, plan.id, undefined, undefined);
        ctx.log(`replaced ${occupant.baseFilename} in channel ${channel} (${removed} files removed)`);
      }
      // Anything else in the channel's folder (left by another tool) is not the channel's one image either.
      for await (const entry of ctx.repository.list(channelFolder(plan.site, channel))) {
        if (!local.some((f) => f.path === entry.path)) await ctx.repository.delete(entry.path);
      }
    }, { waitMs: 120_000 });
  },
});

async function readOccupant(repository: Repository, site: string, channel: string): Promise<ChannelOccupant | undefined> {
  const body = await repository.get(channelRecord(site, channel));
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as ChannelOccupant;
  } catch {
    return undefined;
  }
}

/** Mark `id` replaced by `by` (its record first, then its files go); returns how many files were removed. */
async function replaced(repository: Repository, id: string, by: string, key: string | undefined, plan: ExposurePlan | undefined): Promise<number> {
  const before = await readExposureRecord(repository, id);
  const record: ExposureRecord = {
    format: 1,
    id,
    baseFilename: before?.baseFilename ?? plan?.baseFilename ?? id,
    imageClass: 'info-images',
    site: before?.site ?? plan?.site ?? '',
    ...((before?.channel ?? plan?.channel) !== undefined ? { channel: (before?.channel ?? plan?.channel)! } : {}),
    key: key ?? before?.key ?? '',
    // Still listed: a kill before they are all gone leaves the record saying which files to remove.
    files: before?.files ?? [],
    arrived: before?.arrived ?? new Date().toISOString(),
    state: 'replaced',
    endedAt: new Date().toISOString(),
    replacedBy: by,
  };
  await writeExposureRecord(repository, record);
  for (const file of before?.files ?? []) await repository.delete(file.path);
  return before?.files.length ?? 0;
}
