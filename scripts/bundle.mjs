// Bundles the compiled engine (dist/src, dist/rules) into dist/bundle: the public API (index.js) and the CLI
// (cli.js) with their shared code in one chunk. Node loads three modules instead of about forty, which is a
// quarter of a no-op build's time. npm packages stay external; config files import index.js, so they share
// the CLI's modules.
import fs from 'node:fs';
import { build } from 'esbuild';

fs.rmSync('dist/bundle', { recursive: true, force: true });

// The WWT engine for the review page (imgbuild serve), served from the package so the page needs no internet.
// Kept outside dist/bundle and dist/src: those are hashed as the engine's identity on every build.
fs.mkdirSync('dist/serve-assets', { recursive: true });
fs.copyFileSync('node_modules/@wwtelescope/engine/src/index.js', 'dist/serve-assets/wwtlib.js');

await build({
  entryPoints: { index: 'dist/src/index.js', cli: 'dist/src/cli/main.js', 'pyramid-worker': 'dist/src/wwt/pyramid-worker.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'shared-[hash]',
  logLevel: 'warning',
});
