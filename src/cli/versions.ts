// `imgbuild --version`: what a bug report needs. sharp's and libvips' versions come from their package files,
// so the native module is not loaded just to print them.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { engineVersion } from '../engine-location.js';
import { sharpVersions } from '../wwt/sharp-loader.js';

/**
 * libvips' own version: the prebuilt package's version (what sharpVersions keys the tiles on) is its build
 * number, while the library it ships is named in its `./binary` export (libvips-cpp.so.8.18.7).
 */
function libvipsVersion(prebuilt: string): string {
  const match = /^(@img\/sharp-libvips-[^@]+)@(.+)$/.exec(prebuilt.startsWith('@') ? prebuilt : `@img/${prebuilt}`);
  if (!match) return prebuilt;
  try {
    const require = createRequire(import.meta.url);
    const sharpDir = path.join(path.dirname(require.resolve('sharp')), '..');
    const manifest = JSON.parse(fs.readFileSync(path.join(sharpDir, '..', match[1]!, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
    const library = /(\d+\.\d+\.\d+)$/.exec(manifest.exports?.['./binary'] ?? '');
    return library ? `${library[1]} (${match[1]} ${match[2]})` : prebuilt;
  } catch {
    return prebuilt;
  }
}

export function versionText(): string {
  const lines = [`imgbuild ${engineVersion()}`, `node ${process.versions.node}`];
  try {
    const { sharp, libvips } = sharpVersions();
    lines.push(`sharp ${sharp ?? 'unknown'}`, `libvips ${libvips === undefined ? 'unknown' : libvipsVersion(libvips)}`);
  } catch (error) {
    lines.push(`sharp: not found (${(error as Error).message.split('\n')[0]})`);
  }
  return lines.join('\n') + '\n';
}
