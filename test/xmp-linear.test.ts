// Issue 8 item 10: XMP is read in linear time with a size limit. A packet of 160,000 unclosed `<dc:title>`
// tags (a 104 KB PNG) took 79 s with the old lazy-regex reader; the reader must visit a bounded number of
// characters per lookup whatever the packet holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAvm } from '../src/wwt/avm.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { MAX_XMP_CHARS, readXmp, xmpScanStats, xmpValues } from '../src/wwt/xmp.js';

const head =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:avm="http://www.communicatingastronomy.org/avm/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">';
const tail = '</rdf:Description></rdf:RDF></x:xmpmeta>';
const N = 160_000;

/** Characters the reader visits to parse the AVM fields of `xmp`. */
function visits(xmp: string): number {
  const before = xmpScanStats.visited;
  try {
    parseAvm(xmp);
  } catch {
    // a hostile packet may well be refused: what matters here is how much it cost
  }
  return xmpScanStats.visited - before;
}

const hostile: Record<string, string> = {
  'unclosed <dc:title>': head + '<dc:title>'.repeat(N) + tail,
  'unclosed <rdf:li> in a closed title': head + '<dc:title><rdf:Alt>' + '<rdf:li>'.repeat(N) + '</rdf:Alt></dc:title>' + tail,
  'open tags that never end': head + '<dc:title '.repeat(N) + tail,
  'unterminated attributes': head.replace('>', ' ') + ' avm:Type="'.repeat(N) + tail,
  'unterminated namespace declarations': head + ' xmlns:a="'.repeat(N) + tail,
};

for (const [name, xmp] of Object.entries(hostile)) {
  test(`${name}: the reader visits a number of characters linear in the packet's size`, () => {
    const benign = head + `<dc:title>${'x'.repeat(xmp.length - head.length - tail.length - 21)}</dc:title>` + tail;
    const cost = visits(xmp);
    const baseline = visits(benign);
    // The old reader visited ~N²/2 ≈ 10^10 characters here; linear means a small multiple of the length.
    assert.ok(cost < 60 * xmp.length, `${name}: visited ${cost} characters for a ${xmp.length}-character packet`);
    assert.ok(cost < 60 * Math.max(baseline, xmp.length), `${name}: ${cost} vs ${baseline} for a benign packet of the same size`);
  });
}

test('the hostile packet inside a real PNG: place finishes in a time comparable to a benign packet of the same size', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-xmp-'));
  try {
    const make = async (file: string, xmp: string): Promise<string> => {
      const target = path.join(dir, file);
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().withXmp(xmp).toFile(target);
      return target;
    };
    const evil = hostile['unclosed <dc:title>']!;
    const hostileFile = await make('hostile.png', evil);
    const benignFile = await make('benign.png', head + `<dc:title>${'x'.repeat(evil.length - head.length - tail.length - 21)}</dc:title>` + tail);
    const time = async (file: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await placeImage(file, undefined).catch(() => undefined);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await time(benignFile); // warm up sharp
    const benignMs = await time(benignFile);
    const hostileMs = await time(hostileFile);
    // Generous: the quadratic reader was ~10,000× slower; a linear one is within a small factor.
    assert.ok(hostileMs < 50 * benignMs + 500, `hostile ${hostileMs.toFixed(0)} ms vs benign ${benignMs.toFixed(0)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the linear reader reads what the regex reader read: attribute, element, Seq, Alt (x-default), first of many', () => {
  const packet = readXmp(
    head.replace('rdf:about=""', 'rdf:about="" avm:Type="Observation"') +
      '<dc:title><rdf:Alt><rdf:li xml:lang="de">Titel</rdf:li><rdf:li xml:lang="x-default">M 31 &amp; friends</rdf:li></rdf:Alt></dc:title>' +
      '<dc:creator><rdf:Seq><rdf:li>a</rdf:li><rdf:li >b</rdf:li></rdf:Seq></dc:creator>' +
      '<dc:description >plain <b>text</b></dc:description  ><dc:description>second</dc:description>' +
      '<dc:titles>not the title</dc:titles>' +
      tail,
  );
  const AVM = 'http://www.communicatingastronomy.org/avm/1.0/';
  const DC = 'http://purl.org/dc/elements/1.1/';
  assert.equal(xmpValues(packet, AVM, 'Type'), ['Observation']);
  assert.equal(xmpValues(packet, DC, 'title'), ['M 31 & friends']);
  assert.equal(xmpValues(packet, DC, 'creator'), ['a', 'b']);
  assert.equal(xmpValues(packet, DC, 'description'), ['plain <b>text</b>']);
  assert.is(xmpValues(packet, DC, 'rights'), undefined);
});

test('a packet over the size limit is refused with a clear message', () => {
  assert.throws(() => readXmp(' '.repeat(MAX_XMP_CHARS + 1)), /XMP packet holds \d+ characters, more than the \d+ imgbuild reads/);
});

test.run();
