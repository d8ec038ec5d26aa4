// The root index's folder name: from the config or the repository's YAML; when none says it, the repository's
// own name, with a warning that says where to set it (never a silent "imgbuild").
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from './helpers/project.js';

const PREFIX = ['--publish-url-prefix', 'https://data.example.org/wwt/'];

test('no folder_name anywhere: the root index is named after the repository, and a warning says where to set it', () => {
  const p = new TempProject('imgbuild-folder-name-');
  try {
    p.copyFixture('eso_eso1723a_320.jpg', 'incoming/orion.jpg');
    const run = p.cli(['all', '--local', 'sky-survey', ...PREFIX]);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: index: no folder_name is set, so the root index is named after the repository \("sky-survey"\); set folder_name .*imgbuild-pipeline-config\.yaml/);
    assert.match(fs.readFileSync(p.path('sky-survey', 'index.wtml'), 'utf8'), /<Folder [^>]*Name="sky-survey"/);

    // Named in the repository's own settings: used, and no warning.
    p.write('sky-survey/imgbuild-pipeline-config.yaml', 'folder_name: Our Observatory\n');
    const named = p.cli(['reindex', '--local', 'sky-survey', ...PREFIX]);
    assert.is(named.code, 0, named.stderr);
    assert.not.match(named.stderr, /folder_name/);
    assert.match(fs.readFileSync(p.path('sky-survey', 'index.wtml'), 'utf8'), /<Folder [^>]*Name="Our Observatory"/);
  } finally {
    p.remove();
  }
});

test.run();
