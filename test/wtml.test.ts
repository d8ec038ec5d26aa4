import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { absolutize, dataSetUrlPrefix, escapeXml, firstEntry, rootIndexWtml, studyWtml } from '../src/wwt/wtml.js';

const input = {
  name: 'Stars & <Dust> "quoted"',
  folderName: 'Stars & <Dust> "quoted"',
  tileLevels: 2,
  placement: undefined,
  metadata: { credit: 'A & B', description: 'x < y', referenceUrl: 'https://example.org/?a=1&b=2' },
};

test('text is escaped exactly once', () => {
  const xml = studyWtml(input, undefined);
  assert.ok(xml.includes('Name="Stars &amp; &lt;Dust&gt; &quot;quoted&quot;"'));
  assert.ok(xml.includes('<Credits>A &amp; B</Credits>'));
  assert.ok(xml.includes('<CreditsUrl>https://example.org/?a=1&amp;b=2</CreditsUrl>'));
  assert.not.ok(xml.includes('&amp;amp;'));
  assert.is(escapeXml('a\u0001b'), 'ab', 'control characters that XML cannot hold are dropped');
});

test('no placement: toasty’s defaults (BaseDegreesPerTile 1, ZoomLevel 1, centre 0,0)', () => {
  const xml = studyWtml(input, undefined);
  assert.match(xml, /BaseDegreesPerTile="1"/);
  assert.match(xml, /ZoomLevel="1"/);
  assert.match(xml, /CenterX="0" CenterY="0"/);
  assert.not.match(xml, /OffsetX/);
  assert.match(xml, /Url="\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
  assert.match(xml, /Sparse="True"/);
});

test('index.wtml: relative URLs joined under publish_url_prefix + id + "/", placeholders kept', () => {
  const prefix = dataSetUrlPrefix('https://data.example.org/feed', 'm 31');
  assert.is(prefix, 'https://data.example.org/feed/m%2031/');
  const xml = studyWtml(input, prefix);
  assert.match(xml, /Url="https:\/\/data\.example\.org\/feed\/m%2031\/\{1\}\/\{3\}\/\{3\}_\{2\}\.png"/);
  assert.match(xml, /<ThumbnailUrl>https:\/\/data\.example\.org\/feed\/m%2031\/thumb\.jpg<\/ThumbnailUrl>/);
  assert.is(absolutize('//cdn.example.org/x.png', prefix), '//cdn.example.org/x.png');
});

test('root index: first Place of each data set, newest first, timestamps in a declared namespace', () => {
  const place = (name: string): string => firstEntry(studyWtml({ ...input, name }, 'https://x/'))!;
  const xml = rootIndexWtml('My Folder', 'https://x/t.jpg', [
    { placeXml: place('old'), lastUpdated: '2026-01-01T00:00:00.000Z' },
    { placeXml: place('toasty-made'), lastUpdated: '' },
    { placeXml: place('new'), lastUpdated: '2026-06-01T00:00:00.000Z' },
  ]);
  const names = [...xml.matchAll(/<Place [^>]*?Name="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(names, ['new', 'old', 'toasty-made']);
  assert.match(xml, /<Folder xmlns:X="[^"]+" Browseable="True" Group="Explorer" Name="My Folder"/);
  assert.match(xml, /Thumbnail="https:\/\/x\/t\.jpg"/);
});

test.run();
