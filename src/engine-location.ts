// Where the running copy of imgbuild lives. It runs either as the compiled modules in dist/src (as the tests
// load it) or as the bundle in dist/bundle (as the CLI loads it: one module graph of three files starts
// ~25 ms faster than forty). This file sits directly in either folder, so the same relative URLs hold.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The package root (where package.json is). */
export const PACKAGE_ROOT = path.resolve(here, '../..');

/** What `import … from 'imgbuild'` must load so that config files share the engine's modules. */
export const PUBLIC_ENTRY = path.join(here, 'index.js');

/** imgbuild's version from its package.json. */
export function engineVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Every JavaScript file of the engine and the built-in rules: a change to any of them is a new engine. */
export function engineFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) files.push(full);
    }
  };
  walk(here);
  walk(path.resolve(here, '../rules'));
  return files.sort();
}
