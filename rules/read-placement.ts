// The placement the `place` rule wrote, as the downstream rules read it.
import fs from 'node:fs';
import type { RunContext } from '../src/graph/rule.js';
import type { PlacementRecord } from '../src/wwt/image-placement.js';

export function readPlacement(ctx: RunContext): PlacementRecord {
  const place = ctx.upstream('place')[0];
  if (!place) throw new Error(`rule ${ctx.rule} must depend on place`);
  return JSON.parse(fs.readFileSync(place.outputs['placement']!, 'utf8')) as PlacementRecord;
}
