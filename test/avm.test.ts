import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AvmError, avmToWcs, parseAvm } from '../src/wwt/avm.js';
import { placeImage } from '../src/wwt/image-placement.js';
import { FIXTURES } from './helpers/project.js';

const packet = (body: string, attrs = ''): string =>
  `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
  `<rdf:Description rdf:about="" xmlns:avm="http://www.communicatingastronomy.org/avm/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ${attrs}>${body}</rdf:Description></rdf:RDF></x:xmpmeta>`;

const seq = (...values: Array<string | number>): string => `<rdf:Seq>${values.map((v) => `<rdf:li>${v}</rdf:li>`).join('')}</rdf:Seq>`;

test('element, rdf:Seq, rdf:Alt and attribute forms all parse', () => {
  const avm = parseAvm(
    packet(
      `<avm:Spatial.ReferenceValue>${seq(10, 20)}</avm:Spatial.ReferenceValue>` +
        `<avm:Spatial.ReferencePixel>${seq(5.5, 6.5)}</avm:Spatial.ReferencePixel>` +
        `<avm:Spatial.Scale>${seq(-0.1, 0.1)}</avm:Spatial.Scale>` +
        `<dc:title><rdf:Alt><rdf:li xml:lang="de">Titel</rdf:li><rdf:li xml:lang="x-default">M 31 &amp; friends</rdf:li></rdf:Alt></dc:title>`,
      'avm:Spatial.Rotation="12.5" avm:Spatial.CoordinateFrame="ICRS"',
    ),
  )!;
  assert.equal(avm.spatial?.referenceValue, [10, 20]);
  assert.equal(avm.spatial?.referencePixel, [5.5, 6.5]);
  assert.is(avm.spatial?.rotation, 12.5);
  assert.is(avm.spatial?.coordinateFrame, 'ICRS');
  assert.is(avm.metadata.title, 'M 31 & friends', 'entities decoded once, x-default preferred');
});

test('a number field that is not a number is an AvmError naming the field', () => {
  assert.throws(
    () => parseAvm(packet(`<avm:Spatial.ReferenceValue>${seq('ten', 20)}</avm:Spatial.ReferenceValue>`)),
    (e: unknown) => e instanceof AvmError && /Spatial\.ReferenceValue/.test((e as Error).message),
  );
});

test('an AVM Type outside the vocabulary is a warning naming the field (toasty sample badavm-type.png)', async () => {
  const xmp = (await sharp(path.join(FIXTURES, 'badavm-type.png')).metadata()).xmp!.toString();
  const avm = parseAvm(xmp)!;
  assert.ok(avm.warnings.some((w) => /Type/.test(w) && /Rickroll/.test(w)), avm.warnings.join('; '));
});

test('badavm-type.png: its AVM describes a 3600×2627 image, so placing the 16×16 file is a clear error', async () => {
  try {
    await placeImage(path.join(FIXTURES, 'badavm-type.png'), undefined);
    assert.unreachable('should have thrown');
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /badavm-type\.png/);
    assert.match(message, /ReferenceDimension is 3600×2627/);
  }
});

test('a galactic AVM frame cannot be placed as a study', () => {
  const avm = parseAvm(
    packet(
      `<avm:Spatial.CoordinateFrame>GAL</avm:Spatial.CoordinateFrame><avm:Spatial.ReferenceValue>${seq(1, 2)}</avm:Spatial.ReferenceValue>` +
        `<avm:Spatial.ReferencePixel>${seq(1, 1)}</avm:Spatial.ReferencePixel><avm:Spatial.Scale>${seq(-1, 1)}</avm:Spatial.Scale>`,
    ),
  )!;
  assert.throws(() => avmToWcs(avm.spatial!, 10, 10), /GAL/);
});

test('an image without AVM or sidecar is placed nowhere, with a warning', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-avm-'));
  const file = path.join(dir, 'plain.png');
  await sharp({ create: { width: 20, height: 10, channels: 3, background: '#123456' } }).png().toFile(file);
  const placement = await placeImage(file, undefined);
  assert.is(placement.source, 'none');
  assert.is(placement.study, undefined);
  assert.ok(placement.warnings.some((w) => /no placement/.test(w)));
  fs.rmSync(dir, { recursive: true });
});

test.run();
