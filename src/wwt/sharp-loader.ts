// sharp (libvips) is loaded only by nodes that make pixels: loading it costs tens of milliseconds, which a
// no-op build must not pay. Its versions are read from package files, without loading the native module.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImgbuildError } from '../errors.js';
import type SharpType from 'sharp';
import { quoteName } from '../quote-name.js';

type Sharp = typeof SharpType;
let sharpModule: Promise<Sharp> | undefined;

export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => {
    const sharp = m.default;
    sharp.cache(false);
    // On glibc Linux sharp defaults to ONE libvips thread (to limit heap fragmentation), which leaves a
    // pyramid's PNG encoding on one core. Measured on 2 cores, 8192² PNG → pyramid: 1 thread 6.1 s,
    // 2 threads 4.3 s, 4 threads 3.8 s (peak RSS 168 → 202 MB). Two threads per core, then.
    sharp.concurrency(Math.min(16, 2 * os.availableParallelism()));
    return sharp;
  });
  return sharpModule;
}

let versions: Readonly<Record<string, string>> | undefined;

/**
 * The versions that decide the bytes sharp writes: sharp itself and the prebuilt libvips package it loads
 * (`@img/sharp-libvips-<platform>`), read from package.json files without loading the native module.
 */
export function sharpVersions(): Readonly<Record<string, string>> {
  if (!versions) {
    const require = createRequire(import.meta.url);
    const sharpDir = path.join(path.dirname(require.resolve('sharp')), '..');
    const sharpVersion = (JSON.parse(fs.readFileSync(path.join(sharpDir, 'package.json'), 'utf8')) as { version: string }).version;
    let libvips = 'system';
    const scope = path.join(sharpDir, '..', '@img');
    for (const name of fs.existsSync(scope) ? fs.readdirSync(scope).sort() : []) {
      if (!name.startsWith('sharp-libvips-')) continue;
      const manifest = JSON.parse(fs.readFileSync(path.join(scope, name, 'package.json'), 'utf8')) as { version: string };
      libvips = `${name}@${manifest.version}`;
    }
    versions = { sharp: sharpVersion, libvips };
  }
  return versions;
}

/** The one message for an image libvips cannot read. */
/** Whether the filesystem holding `dir` is (nearly) full: libvips' write failures do not always say so. */
function nearlyFull(dir: string | undefined): boolean {
  if (dir === undefined) return false;
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/** `writingTo`: the folder the failed call was writing into, so that a full disk is told as one. */
export function readableImageError(file: string, error: unknown, writingTo?: string): Error {
  const detail = (error as Error)?.message?.split('\n')[0] ?? String(error);
  if (/exceeds pixel limit/i.test(detail)) {
    return new Error(
      `${quoteName(path.basename(file))} has more pixels than the rule's maxPixels allows (a guard against decompression bombs); if the image is genuine, raise params.tiles.maxPixels and params.thumbnail.maxPixels in pipeline.config.ts`,
    );
  }
  // libvips reports a failed write (a full disk, a quota, a read-only folder) through the same call that read the
  // image: that is the machine's problem, not the image's, and the user must not be told to replace the image.
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || /write error|write failed|No space left|Disk quota exceeded|Read-only file system/i.test(detail) || nearlyFull(writingTo)) {
    return new ImgbuildError(
      'environment',
      `no space left (or no write access) in the work folder while writing the outputs of ${quoteName(path.basename(file))} (${detail}); free space there (or choose another with --work) and run again`,
    );
  }
  return new Error(
    `${quoteName(path.basename(file))} is not a readable image (${detail}); replace it with a complete JPEG/PNG/TIFF or move it out of the incoming folder`,
  );
}
