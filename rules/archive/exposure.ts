// Rule `exposure`: the files an observatory writes for one exposure — `{site}-{instrument}-{YYYYMMDD}-{counter}`
// followed by `-{type}{reduction}.{ext}` — are one node. It makes what archiving them needs and nothing leaves
// the work folder: the thumbnail derived from a medium JPG (unless one was uploaded), the catalog row of a
// regular exposure (from the `.txt` header, else the FITS header, else the name), and the list of files with
// where each goes in the repository. A file whose name breaks the convention is its own error, told once.
import fs from 'node:fs';
import path from 'node:path';
import { exposureId, placementOf, repositoryPath } from '../../src/archive/archive-layout.js';
import { describeExposure, type ExposureFileName } from '../../src/archive/describe-exposure.js';
import { parseArchiveName } from '../../src/archive/archive-name.js';
import { defineRule } from '../../src/graph/rule.js';
import { sharpVersions } from '../../src/wwt/sharp-loader.js';
import type { ImageClass } from '../../src/archive/expiry-policy.js';

/** Where archive ingest looks, relative to the incoming folder (see archive-layout.ts). */
export const ARCHIVE_PATTERNS = ['{name}', 'data/{name}', 'info-images/{channel}/{name}', 'allsky/{name}'];

/** What the exposure node hands to publishing and the catalog (`exposure.json` in its output folder). */
export interface ExposurePlan {
  readonly id: string;
  readonly baseFilename: string;
  readonly imageClass: ImageClass;
  readonly site: string;
  readonly channel?: string;
  /** Each file to publish: from the incoming folder (`relative` to it) or made here (`derived`, in the output folder). */
  readonly files: ReadonlyArray<{ readonly name: string; readonly path: string } & ({ readonly relative: string } | { readonly derived: true })>;
  /** The catalog row (regular exposures only), without the repository's flags. */
  readonly row?: unknown;
}

export const EXPOSURE_PLAN = 'exposure.json';

export default defineRule({
  name: 'exposure',
  version: 1,
  description: "an exposure's files (Photon Ranch names): derived thumbnail, catalog row, where each file goes",
  forEach: {
    files: ARCHIVE_PATTERNS,
    group: ({ relative }) => {
      const where = placementOf(relative);
      const fileName = path.posix.basename(relative);
      if (!where.ok) return { problem: where.problem };
      const parsed = parseArchiveName(fileName);
      if (!parsed.ok) return { problem: parsed.reason.message };
      const { baseFilename, site } = parsed.name;
      return {
        id: exposureId(where.placement, baseFilename),
        wildcards: { base: baseFilename, site, imageClass: where.placement.imageClass, ...(where.placement.channel ? { channel: where.placement.channel } : {}) },
      };
    },
  },
  // The derived thumbnail's bytes are sharp's and libvips'.
  tools: sharpVersions,
  inputs: (n) => Object.fromEntries((n.files ?? []).map((file) => [path.relative(n.settings.incoming, file).split(path.sep).join('/'), file])),
  outputs: (n) => ({ out: `archive/${n.item}/` }),
  run: async (ctx) => {
    const imageClass = ctx.wildcards['imageClass'] as ImageClass;
    const channel = ctx.wildcards['channel'];
    const site = ctx.wildcards['site']!;
    const members: ExposureFileName[] = [];
    for (const [relative, file] of Object.entries(ctx.inputs)) {
      const parsed = parseArchiveName(path.posix.basename(relative));
      if (!parsed.ok || file === undefined) continue; // the group admitted only names that parse
      members.push({ file, relative, name: parsed.name });
    }
    const out = ctx.outputs['out']!;
    const described = await describeExposure(members, out, { catalogued: imageClass === 'data' });
    for (const warning of described.warnings) ctx.warn(warning);
    const placement = { imageClass, ...(channel !== undefined ? { channel } : {}) };
    const plan: ExposurePlan = {
      id: ctx.item,
      baseFilename: ctx.wildcards['base']!,
      imageClass,
      site,
      ...(channel !== undefined ? { channel } : {}),
      files: [
        ...members.map((m) => ({ name: path.posix.basename(m.relative), path: repositoryPath(placement, site, path.posix.basename(m.relative)), relative: m.relative })),
        ...described.derived.map((name) => ({ name, path: repositoryPath(placement, site, name), derived: true as const })),
      ],
      ...(described.row !== undefined ? { row: described.row } : {}),
    };
    fs.writeFileSync(path.join(out, EXPOSURE_PLAN), JSON.stringify(plan, null, 1));
  },
});
