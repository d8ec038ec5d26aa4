#!/usr/bin/env node
// Entry point. The TypeScript sources are compiled to dist/ and bundled into dist/bundle by `npm install` (the prepare script).
import { exitCodeFor, main } from '../dist/bundle/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.exitCode = exitCodeFor(error);
  },
);
