#!/usr/bin/env node
// Entry point. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { exitCodeFor, main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.exitCode = exitCodeFor(error);
  },
);
