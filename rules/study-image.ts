// The picture a study's tiles and thumbnail are made from: the incoming image itself, or for a FITS file the
// 8-bit picture the fits-picture rule scaled from it (joined on the item; JPEG/PNG/TIFF items have none).
import type { InputSpec, NodeIdentity, RunContext } from '../src/graph/rule.js';
import { isFitsItem } from './place.js';

/**
 * The inputs of a rule that reads the study's picture: the incoming image, or nothing for a FITS item, whose
 * picture comes from upstream (its fits-picture node's key already covers the FITS file and the scaling).
 */
export function studyInputs(node: NodeIdentity): Record<string, InputSpec> {
  // A fetched image (a feed's) is an upstream output: its fetch node's key, through place's, covers it.
  return isFitsItem(node) || node.fileIsBuilt ? {} : { image: node.file! };
}

export function studyImage(ctx: RunContext): string {
  const picture = ctx.upstream('fits-picture')[0]?.outputs['picture'];
  const image = picture ?? ctx.inputs['image'] ?? (isFitsItem(ctx) ? undefined : ctx.file);
  if (image === undefined) throw new Error(`rule ${ctx.rule} has no picture for ${ctx.item}: a FITS item needs the fits-picture rule`);
  return image;
}
