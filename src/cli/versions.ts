// `imgbuild --version`: what a bug report needs. sharp's and libvips' versions come from their package files,
// so the native module is not loaded just to print them.
import { engineVersion } from '../engine-location.js';
import { sharpVersions } from '../wwt/sharp-loader.js';

export function versionText(): string {
  const lines = [`imgbuild ${engineVersion()}`, `node ${process.versions.node}`];
  try {
    for (const [name, version] of Object.entries(sharpVersions())) lines.push(`${name} ${version}`);
  } catch (error) {
    lines.push(`sharp: not found (${(error as Error).message.split('\n')[0]})`);
  }
  return lines.join('\n') + '\n';
}
