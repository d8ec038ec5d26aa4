// Two data repositories built differently (sharded and not) must hold the same files with the same bytes. Only
// publishing times differ, by nature: a manifest's publishedAt, and the root index's X:LastUpdated (which also
// orders its entries, newest first). Those are compared with the times taken out and the entries as a set.
import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { listFiles } from './project.js';

function placesOf(xml: string): { skeleton: string; places: string[] } {
  const places: string[] = [];
  const skeleton = xml.replace(/<Place\b[\s\S]*?<\/Place>/g, (place) => {
    places.push(place.replace(/ X:LastUpdated="[^"]*"/, ''));
    return '<Place/>';
  });
  return { skeleton, places: places.sort() };
}

export function assertSameRepository(a: string, b: string): void {
  const files = listFiles(a).filter((f) => !f.endsWith('.lock'));
  assert.equal(listFiles(b).filter((f) => !f.endsWith('.lock')), files, 'the same files');
  for (const file of files) {
    const x = fs.readFileSync(path.join(a, file));
    const y = fs.readFileSync(path.join(b, file));
    if (file.endsWith('imgbuild.json')) {
      const strip = (buffer: Buffer): unknown => {
        const { publishedAt: _, ...rest } = JSON.parse(buffer.toString('utf8')) as Record<string, unknown>;
        return rest;
      };
      assert.equal(strip(y), strip(x), `${file} differs (publishedAt aside)`);
    } else if (file === 'index.wtml') {
      assert.equal(placesOf(y.toString('utf8')), placesOf(x.toString('utf8')), 'the root index lists the same places');
    } else {
      assert.ok(x.equals(y), `${file} differs`);
    }
  }
}
