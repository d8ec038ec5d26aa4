// The hostile corpus: each case beside a good image, through the real CLI with --keep-going, asserting the
// outcome issue 8 states: the exit status, one error line naming the file (no stack trace), the good image
// published, nothing published for the bad one. Cases that today's code fails show up as not handled.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { FIXTURES, TempProject } from '../helpers/project.js';
import { writeBlankBilevelPng } from '../helpers/images.js';
import { writeFitsHeader } from '../helpers/fits.js';
import { PREFIX, row, type Row, runCli } from './harness-kit.js';

interface Case {
  readonly name: string;
  /** Make the hostile input in the project (the good image `incoming/good.jpg` is already there). */
  make(p: TempProject): Promise<void> | void;
  /** 'file': exit 1, an error naming `names`, good published, `id` not; 'config': exit 2 naming `names`, nothing published; 'ok': exit 0 and `id` published. */
  readonly expect: 'file' | 'config' | 'ok';
  readonly names: RegExp;
  readonly id?: string;
  readonly args?: string[];
  readonly env?: Record<string, string>;
  /** Extra check on the outcome. */
  readonly also?: (p: TempProject, stdout: string, stderr: string) => string | undefined;
}

const orionXmp = async (): Promise<string> => (await sharp(`${FIXTURES}/eso_eso1723a_320.jpg`).metadata()).xmp!.toString('utf8');
async function avmImage(p: TempProject, name: string, edit: (xmp: string) => string): Promise<void> {
  const xmp = edit(await orionXmp());
  fs.mkdirSync(p.path('incoming'), { recursive: true });
  await sharp(`${FIXTURES}/eso_eso1723a_320.jpg`).withXmp(xmp).jpeg().toFile(p.path(`incoming/${name}`));
}
const liPair = (tag: string, a: string, b: string) => (x: string): string =>
  x.replace(new RegExp(`(<avm:Spatial\\.${tag}>\\s*<rdf:Seq>\\s*<rdf:li>)[^<]*(</rdf:li>\\s*<rdf:li>)[^<]*`), `$1${a}$2${b}`);
const sidecar = (cards: Record<string, string | number>) => (p: TempProject): void => {
  p.copyFixture('eso_eso1723a_320.jpg', 'incoming/side.jpg');
  // Strip the AVM so the sidecar is what places the image.
  spawnSync(process.execPath, ['-e', `require('sharp')(${JSON.stringify(p.path('incoming/side.jpg'))}).jpeg().toBuffer().then(b=>require('fs').writeFileSync(${JSON.stringify(p.path('incoming/side.jpg'))},b))`], { cwd: FIXTURES + '/../..' });
  writeFitsHeader(p.path('incoming/side.wcs.fits'), { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRVAL1: 83.8, CRVAL2: -5.4, CRPIX1: 160.5, CRPIX2: 124.5, CD1_1: -1e-4, CD1_2: 0, CD2_1: 0, CD2_2: -1e-4, IMAGEW: 320, IMAGEH: 248, ...cards });
};

const CASES: Case[] = [
  { name: 'corrupt image', make: (p) => p.write('incoming/corrupt.jpg', Buffer.from('not a jpeg at all'.repeat(50))), expect: 'file', names: /corrupt\.jpg/, id: 'corrupt' },
  { name: 'truncated image', make: (p) => p.write('incoming/cut.jpg', fs.readFileSync(`${FIXTURES}/eso_eso1723a_320.jpg`).subarray(0, 3000)), expect: 'file', names: /cut\.jpg/, id: 'cut' },
  { name: 'decompression bomb', make: (p) => writeBlankBilevelPng(p.path('incoming/bomb.png'), 60_000, 60_000), expect: 'file', names: /bomb\.png/, id: 'bomb' },
  { name: 'traversal name', make: (p) => p.copyFixture('eso_eso1723a_320.jpg', 'incoming/x%2F..%2F..%2Fescape $(x).jpg'), expect: 'ok', names: /escape/, also: (p) => (fs.readdirSync(p.path('repo')).filter((n) => n !== 'good' && fs.existsSync(p.path(`repo/${n}/imgbuild.json`))).length !== 1 ? 'the renamed image was not published' : fs.existsSync(p.path('escape')) || fs.readdirSync(p.dir).some((n) => /escape/.test(n)) ? 'a file escaped the repository' : undefined) },
  {
    name: 'XML injection in AVM text',
    make: (p) => avmImage(p, 'inject.jpg', (x) => x.replace('The Orion Nebula and cluster from the VLT Survey Telescope', '&lt;/Name&gt;&lt;evil a="1"/&gt;&amp;amp;')),
    expect: 'ok', names: /inject/, id: 'inject',
    also: (p) => (/<evil/.test(fs.readFileSync(p.path('repo/inject/index.wtml'), 'utf8')) ? 'AVM text reached the WTML unescaped' : undefined),
  },
  { name: 'bad YAML in the repository config', make: (p) => p.write('repo/imgbuild-pipeline-config.yaml', 'params: [unclosed\n  : : :'), expect: 'config', names: /imgbuild-pipeline-config\.yaml/ },
  { name: 'AVM ReferenceDimension negative', make: (p) => avmImage(p, 'negdim.jpg', liPair('ReferenceDimension', '-16877.0', '-13107.0')), expect: 'file', names: /negdim\.jpg.*ReferenceDimension|ReferenceDimension.*negdim\.jpg/, id: 'negdim' },
  { name: 'AVM Dec 95', make: (p) => avmImage(p, 'dec95.jpg', liPair('ReferenceValue', '83.78', '95')), expect: 'file', names: /dec95\.jpg/, id: 'dec95' },
  { name: 'sidecar CRVAL2 95', make: sidecar({ CRVAL2: 95 }), expect: 'file', names: /side(\.wcs\.fits|\.jpg)/, id: 'side' },
  { name: 'sidecar IMAGEW negative', make: sidecar({ IMAGEW: -320, IMAGEH: -248 }), expect: 'file', names: /side(\.wcs\.fits|\.jpg)/, id: 'side' },
  { name: 'sidecar CD1_2 NaN', make: sidecar({ CD1_2: 'NaN' as unknown as number }), expect: 'file', names: /side(\.wcs\.fits|\.jpg)/, id: 'side' },
  { name: "sidecar CROTA2 'abc'", make: sidecar({ CROTA2: 'abc', CD1_1: 'x' as unknown as number }), expect: 'file', names: /side(\.wcs\.fits|\.jpg)/, id: 'side' },
  { name: 'symlink to itself (ELOOP)', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); fs.symlinkSync('loop.jpg', p.path('incoming/loop.jpg')); }, expect: 'file', names: /loop\.jpg/, id: 'loop' },
  { name: 'sidecar symlink to itself (ELOOP)', make: (p) => { p.copyFixture('eso_eso1723a_320.jpg', 'incoming/sl.jpg'); fs.symlinkSync('sl.wcs.fits', p.path('incoming/sl.wcs.fits')); }, expect: 'file', names: /sl\.wcs\.fits/, id: 'sl' },
  { name: 'dangling symlink', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); fs.symlinkSync('/nonexistent/x.jpg', p.path('incoming/dangling.jpg')); }, expect: 'file', names: /dangling\.jpg/, id: 'dangling' },
  { name: 'symlink to a folder', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); fs.symlinkSync('/tmp', p.path('incoming/folder.jpg')); }, expect: 'file', names: /folder\.jpg/, id: 'folder' },
  { name: 'symlink to /dev/zero', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); fs.symlinkSync('/dev/zero', p.path('incoming/zero.jpg')); }, expect: 'file', names: /zero\.jpg/, id: 'zero' },
  { name: 'FIFO', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); spawnSync('mkfifo', [p.path('incoming/fifo.jpg')]); }, expect: 'file', names: /fifo\.jpg/, id: 'fifo' },
  { name: 'non-UTF-8 name', make: (p) => { fs.mkdirSync(p.path('incoming'), { recursive: true }); fs.writeFileSync(Buffer.concat([Buffer.from(p.path('incoming/')), Buffer.from([0x62, 0xff, 0x2e, 0x6a, 0x70, 0x67])]), fs.readFileSync(`${FIXTURES}/eso_eso1723a_320.jpg`)); }, expect: 'file', names: /b.*\.jpg|UTF-8|not valid/i },
  { name: 'name index.wtml.jpg', make: (p) => p.copyFixture('eso_eso1723a_320.jpg', 'incoming/index.wtml.jpg'), expect: 'file', names: /index\.wtml\.jpg/, id: 'index.wtml', also: (p) => (fs.existsSync(p.path('repo/index.wtml')) && fs.statSync(p.path('repo/index.wtml')).isDirectory() ? 'repo/index.wtml became a folder' : undefined) },
  { name: 'name toasty-pipeline-config.yaml.jpg', make: (p) => p.copyFixture('eso_eso1723a_320.jpg', 'incoming/toasty-pipeline-config.yaml.jpg'), expect: 'file', names: /toasty-pipeline-config\.yaml\.jpg/, id: 'toasty-pipeline-config.yaml' },
  { name: 'newline in a name', make: (p) => p.copyFixture('eso_eso1723a_320.jpg', 'incoming/nl\nerror: forged.jpg'), expect: 'ok', names: /nl/, also: (_p, _o, stderr) => (/^error: forged/m.test(stderr) ? 'a name forged an error line' : undefined) },
  {
    name: 'quadratic XMP (160,000 unclosed tags)',
    make: async (p) => {
      fs.mkdirSync(p.path('incoming'), { recursive: true });
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } }).withXmp(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">${'<dc:title>'.repeat(160_000)}</rdf:Description></rdf:RDF></x:xmpmeta>`).png().toFile(p.path('incoming/xmp.png'));
    },
    // Parsed in linear time (no hang): the packet holds no AVM, so the image is tiled without placement, with the
    // usual warning; the harness's 20 s limit per case is what catches a quadratic parser.
    expect: 'ok', names: /xmp\.png/, id: 'xmp',
  },
  { name: 'config that throws null', make: (p) => p.write('pipeline.config.ts', 'throw null;\nexport default {};\n'), expect: 'config', names: /pipeline\.config\.ts/ },
  { name: 'bad rule parameters (pngCompression 99)', make: (p) => p.write('repo/imgbuild-pipeline-config.yaml', 'params:\n  tiles:\n    pngCompression: 99\n'), expect: 'config', names: /imgbuild-pipeline-config\.yaml.*pngCompression|pngCompression.*imgbuild-pipeline-config\.yaml/ },
  { name: 'bad rule parameters (thumbnail width 0)', make: (p) => p.write('repo/imgbuild-pipeline-config.yaml', 'params:\n  thumbnail:\n    width: 0\n'), expect: 'config', names: /imgbuild-pipeline-config\.yaml.*width|width.*imgbuild-pipeline-config\.yaml/ },
  {
    name: 'password in --s3-endpoint',
    make: () => undefined,
    args: ['--s3-bucket', 'b', '--s3-endpoint', 'http://user:SECRETPASS@127.0.0.1:9'],
    env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'us-east-1' },
    expect: 'ok', names: /./,
    also: (_p, stdout, stderr) => (`${stdout}${stderr}`.includes('SECRETPASS') ? 'the URL password was printed' : undefined),
  },
];

export async function hostileCorpus(): Promise<Row> {
  const out = row('hostile corpus');
  for (const c of CASES) {
    const p = new TempProject('imgbuild-reliability-hostile-');
    try {
      p.copyFixture('eso_eso1723a_320.jpg', 'incoming/good.jpg');
      await c.make(p);
      out.tried++;
      const started = Date.now();
      const r = await runCli(p.dir, ['all', '--keep-going', '--incoming', 'incoming', ...(c.args ?? ['--local', 'repo']), '--publish-url-prefix', PREFIX], c.env ?? {}, 60_000);
      const seconds = (Date.now() - started) / 1000;
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error') || l.startsWith('imgbuild:'));
      const wrong: string[] = [];
      const published = (id: string): boolean => fs.existsSync(p.path(`repo/${id}/imgbuild.json`));
      if (/\n\s+at [^\n]+:\d+:\d+/.test(r.stderr)) wrong.push('a stack trace');
      if (c.args === undefined && c.expect !== 'config' && !published('good')) wrong.push('the good image was not published');
      if (c.expect === 'file') {
        if (r.code !== 1) wrong.push(`exit ${r.code}, expected 1`);
        if (!errors.some((l) => c.names.test(l))) wrong.push(`no error line naming the file (${JSON.stringify((errors[0] ?? r.stderr.split('\n')[0] ?? '').slice(0, 120))})`);
        if (c.id && published(c.id)) wrong.push(`${c.id} was published`);
      } else if (c.expect === 'config') {
        if (r.code !== 2) wrong.push(`exit ${r.code}, expected 2`);
        if (r.stderr.trim().split('\n').length !== 1 || !c.names.test(errors[0] ?? '')) wrong.push(`not one error line naming the file (${JSON.stringify((errors[0] ?? r.stderr.split('\n')[0] ?? '').slice(0, 120))})`);
        if (published('good')) wrong.push('something was published');
      } else if (c.args === undefined) {
        if (r.code !== 0) wrong.push(`exit ${r.code}, expected 0: ${(errors[0] ?? '').slice(0, 120)}`);
        if (c.id && !published(c.id)) wrong.push(`${c.id} was not published`);
      }
      if (seconds > 20) wrong.push(`took ${seconds.toFixed(0)} s`);
      const extra = c.also?.(p, r.stdout, r.stderr);
      if (extra) wrong.push(extra);
      if (wrong.length === 0) out.handled++;
      else out.notes.push(`hostile "${c.name}": ${wrong.join('; ')}`);
    } catch (error) {
      out.notes.push(`hostile "${c.name}": harness error ${(error as Error).message.split('\n')[0]}`);
    } finally {
      p.remove();
    }
  }
  return out;
}
