// Loading pipeline.config.ts. It is compiled once with esbuild (bundling the user's own rule files) into a
// cache beside node_modules, and reused while none of its source files changed, so a no-op build pays a few
// stats here, not a TypeScript compile. `imgbuild` imports resolve to this very copy of imgbuild, so the
// config's rules and the engine share one set of modules.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PUBLIC_ENTRY } from '../engine-location.js';
import { ConfigError, type PipelineConfig, validateConfig } from './pipeline-config.js';

interface CompiledStamp {
  /** [absolute path, size, mtimeMs] of every source file bundled into the compiled config. */
  readonly inputs: Array<[string, number, number]>;
  readonly output: string;
  readonly entry: string;
  readonly format?: number;
}

/** Bumped when compile() makes different code from the same sources (2: inline source maps). */
const COMPILE_FORMAT = 2;

function compiledConfigDir(configDir: string): string {
  const modules = path.join(configDir, 'node_modules');
  return fs.existsSync(modules) ? path.join(modules, '.cache', 'imgbuild') : path.join(os.tmpdir(), `imgbuild-config-${process.getuid?.() ?? 0}`);
}

function stampIsCurrent(stamp: CompiledStamp): boolean {
  for (const [file, size, mtimeMs] of stamp.inputs) {
    try {
      const stat = fs.statSync(file);
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return fs.existsSync(stamp.output) && stamp.entry === PUBLIC_ENTRY && stamp.format === COMPILE_FORMAT;
}

async function compile(file: string, outDir: string, stampPath: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild
    .build({
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      // A rule's bug is reported at its line in pipeline.config.ts or rules/*.ts, not in the compiled copy
      // (the CLI turns source maps on); paths resolve from the config's folder, wherever the copy lives.
      sourcemap: 'inline',
      sourcesContent: false,
      absWorkingDir: path.dirname(file),
      sourceRoot: `${pathToFileURL(path.dirname(file)).href}/`,
      logLevel: 'silent',
      plugins: [
        {
          name: 'imgbuild-imports',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path === 'imgbuild') return { path: pathToFileURL(PUBLIC_ENTRY).href, external: true };
              return { path: args.path, external: true };
            });
          },
        },
      ],
    })
    .catch((error: { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }) => {
      const first = error.errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
      throw new ConfigError(`${where}${first?.text ?? String(error)}`);
    });
  const code = result.outputFiles[0]!.text;
  const output = path.join(outDir, `config-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(output, code);
  const inputs: CompiledStamp['inputs'] = Object.keys(result.metafile.inputs).map((input) => {
    const absolute = path.resolve(path.dirname(file), input);
    const stat = fs.statSync(absolute);
    return [absolute, stat.size, stat.mtimeMs];
  });
  const stamp: CompiledStamp = { inputs, output, entry: PUBLIC_ENTRY, format: COMPILE_FORMAT };
  const temporary = `${stampPath}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(stamp));
  fs.renameSync(temporary, stampPath);
  return output;
}

/** A thrown non-Error value in a few words. */
function describeThrown(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return typeof value;
}

/** Load and validate a config file (.ts, .mts, .js, .mjs). */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  return (await loadConfigModule(file)).config;
}

/**
 * The config and its identity: for a TypeScript config, the compiled module, whose name is the hash of
 * everything bundled into it. A JavaScript config may import files nobody tracks, so it has none.
 */
export async function loadConfigModule(file: string): Promise<{ config: PipelineConfig; identity: string | undefined }> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new ConfigError(`config file ${file} does not exist`);
  let moduleFile = absolute;
  let identity: string | undefined;
  if (/\.m?ts$/.test(absolute)) {
    const outDir = compiledConfigDir(path.dirname(absolute));
    const stampPath = path.join(outDir, `${crypto.createHash('sha256').update(absolute).digest('hex').slice(0, 16)}.json`);
    let stamp: CompiledStamp | undefined;
    try {
      stamp = JSON.parse(fs.readFileSync(stampPath, 'utf8')) as CompiledStamp;
    } catch {
      stamp = undefined;
    }
    moduleFile = stamp && stampIsCurrent(stamp) ? stamp.output : await compile(absolute, outDir, stampPath);
    identity = moduleFile;
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(moduleFile).href)) as { default?: unknown };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // A config may throw anything (`throw null`, a string): it is the config's error either way, never a crash.
    const detail = error instanceof Error ? error.message.split('\n')[0] : `it threw ${describeThrown(error)} instead of an Error`;
    throw new ConfigError(`${file}: ${detail}; fix the config file`);
  }
  if (loaded.default === undefined) throw new ConfigError(`${file} has no default export; end it with export default defineConfig({...})`);
  return { config: validateConfig(loaded.default, file), identity };
}
