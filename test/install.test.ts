// imgbuild as a tool people install: the tarball `npm pack` makes installs into an empty prefix and builds a
// folder of images with no config; `imgbuild init` starts a project and never overwrites; a build whose
// repository is not its config's gets work and cache folders of its own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listFiles, REPO_ROOT, TempProject } from './helpers/project.js';

const PREFIX = ['--publish-url-prefix', 'https://data.example.org/wwt/'];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env, timeout: 300_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

test('npm pack makes a small package that installs into an empty prefix and builds images in any folder', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imgbuild-install-'));
  try {
    // `npm pack` runs prepack (the shrinkwrap copy) and prepare (the build), as a user's would.
    const packed = run('npm', ['pack', '--pack-destination', scratch, '--json'], REPO_ROOT);
    assert.is(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    assert.ok(files.includes('dist/bundle/cli.js'), 'the CLI bundle is in the package');
    assert.ok(files.includes('npm-shrinkwrap.json'), 'dependency versions are locked for installs from the tarball');
    assert.ok(files.includes('dist/src/index.d.ts'), 'types for config files');
    for (const f of files) assert.not.match(f, /^(test|bench|example|src|rules|scripts)\//, `${f} does not belong in the package`);
    assert.not.ok(fs.existsSync(path.join(REPO_ROOT, 'npm-shrinkwrap.json')), 'postpack removed the copy');

    const prefix = path.join(scratch, 'prefix');
    // Offline-first from npm's cache (the suite's own `npm ci` filled it); the registry only for what is missing.
    const installed = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(scratch, info!.filename)], scratch);
    assert.is(installed.code, 0, installed.stderr);
    assert.not.match(installed.stderr, /EBADENGINE/, 'no dependency refuses this Node version');

    const images = path.join(scratch, 'my-images');
    fs.mkdirSync(path.join(images, 'incoming'), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'eso_eso1723a_320.jpg'), path.join(images, 'incoming', 'orion.jpg'));
    const bin = path.join(prefix, 'bin', 'imgbuild');
    const built = run(bin, ['all', ...PREFIX], images, { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env['PATH'] ?? ''}` });
    assert.is(built.code, 0, built.stderr + built.stdout);
    const repo = listFiles(path.join(images, 'repo'));
    assert.ok(repo.includes('index.wtml'), 'root index');
    assert.ok(repo.includes('orion/imgbuild.json') && repo.includes('orion/index.wtml') && repo.includes('orion/0/0/0_0.png'), repo.join(' '));
    assert.match(fs.readFileSync(path.join(images, 'repo', 'orion', 'index.wtml'), 'utf8'), /https:\/\/data\.example\.org\/wwt\/orion\//);
    // The installed copy is the one that ran, not the clone.
    const version = run(bin, ['--version'], images);
    assert.match(version.stdout, /imgbuild \d+\.\d+\.\d+/);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test('imgbuild init: incoming/, a config that builds, the repository settings file; never overwrites', () => {
  const p = new TempProject('imgbuild-init-');
  try {
    const first = p.cli(['init', 'site', '--local', 'site-repo', '--publish-url-prefix', 'https://data.example.org/wwt/', '--folder-name', 'Our "Observatory"']);
    assert.is(first.code, 0, first.stderr);
    assert.ok(fs.statSync(p.path('site', 'incoming')).isDirectory());
    const config = fs.readFileSync(p.path('site', 'pipeline.config.ts'), 'utf8');
    assert.match(config, /^\s*\/\/ /m, 'commented');
    assert.match(config, /local: '\.\.\/site-repo'/);
    const yaml = fs.readFileSync(p.path('site-repo', 'imgbuild-pipeline-config.yaml'), 'utf8');
    assert.match(yaml, /^publish_url_prefix: "https:\/\/data\.example\.org\/wwt\/"$/m);
    assert.match(yaml, /^folder_name: "Our \\"Observatory\\""$/m);

    // The project it made builds as it stands: the URL and folder name come from the repository's file.
    p.copyFixture('eso_eso1723a_320.jpg', 'site/incoming/orion.jpg');
    const built = p.cli(['all', '--config', 'site/pipeline.config.ts']);
    assert.is(built.code, 0, built.stderr);
    const root = fs.readFileSync(p.path('site-repo', 'index.wtml'), 'utf8');
    assert.match(root, /Name="Our &quot;Observatory&quot;"/);
    assert.match(fs.readFileSync(p.path('site-repo', 'orion', 'index.wtml'), 'utf8'), /https:\/\/data\.example\.org\/wwt\/orion\//);

    // Again: refused, one line naming both files, and nothing changed.
    fs.writeFileSync(p.path('site', 'pipeline.config.ts'), '// mine\n');
    const again = p.cli(['init', 'site', '--local', 'site-repo']);
    assert.is(again.code, 2);
    assert.is(again.stderr.trim().split('\n').length, 1, again.stderr);
    assert.match(again.stderr, /site\/pipeline\.config\.ts, imgbuild-pipeline-config\.yaml in .*site-repo already exist/);
    assert.is(fs.readFileSync(p.path('site', 'pipeline.config.ts'), 'utf8'), '// mine\n');
    assert.is(fs.readFileSync(p.path('site-repo', 'imgbuild-pipeline-config.yaml'), 'utf8'), yaml);

    // A repository file alone is enough to refuse, and the folder is left as it was.
    const other = p.cli(['init', 'other', '--local', 'site-repo']);
    assert.is(other.code, 2, other.stderr);
    assert.not.ok(fs.existsSync(p.path('other', 'pipeline.config.ts')));
  } finally {
    p.remove();
  }
});

test('a build whose --local is not the config\'s uses work and cache folders of its own, and says which', () => {
  const p = new TempProject('imgbuild-separate-');
  try {
    p.write('pipeline.config.ts', "import { defineConfig } from 'imgbuild';\nexport default defineConfig({ local: 'repo', publishUrlPrefix: 'https://a.example.org/' });\n");
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    const own = p.cli(['all']);
    assert.is(own.code, 0, own.stderr);
    assert.not.match(own.stderr, /using work folder/, 'the config\'s own repository needs no note');
    const cacheBefore = fs.readFileSync(p.path('cache', 'state.json'));

    const other = p.cli(['all', '--local', 'elsewhere']);
    assert.is(other.code, 0, other.stderr);
    const note = /using work folder (\S+) and cache folder (\S+)/.exec(other.stderr);
    assert.ok(note, other.stderr);
    assert.is.not(note![1], 'work');
    assert.ok(fs.existsSync(p.path(note![1]!, 'orion', 'index_rel.wtml')), 'built into its own work folder');
    assert.ok(fs.existsSync(p.path(note![2]!, 'state.json')), 'its own cache');
    assert.equal(fs.readFileSync(p.path('cache', 'state.json')), cacheBefore, "the config's cache is untouched");
    assert.ok(fs.existsSync(p.path('elsewhere', 'orion', 'imgbuild.json')));

    // Each stays a no-op on its own repeat: they no longer rebuild each other's index.
    assert.match(p.cli(['all']).stdout, /nothing to do/);
    assert.match(p.cli(['all', '--local', 'elsewhere']).stdout, /nothing to do/);
  } finally {
    p.remove();
  }
});

test.run();
