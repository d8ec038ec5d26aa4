// A throwaway project folder for CLI tests: real files, the real CLI in a child process.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const BIN = path.join(REPO_ROOT, 'bin', 'imgbuild.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface JsonRun {
  id: string;
  rule: string;
  why: string;
  reason: string;
  error?: string;
}

export class TempProject {
  readonly dir: string;

  constructor(prefix = 'imgbuild-test-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  write(relative: string, content: string | Buffer): void {
    fs.mkdirSync(path.dirname(this.path(relative)), { recursive: true });
    fs.writeFileSync(this.path(relative), content);
  }

  copyFixture(name: string, relative: string): void {
    fs.mkdirSync(path.dirname(this.path(relative)), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, name), this.path(relative));
  }

  cli(args: string[], env: Record<string, string> = {}): CliResult {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Run with --json; returns the parsed report (throws with the output if it is not JSON). */
  json(args: string[]): { code: number; report: { run?: JsonRun[]; ran?: JsonRun[]; failed?: JsonRun[]; blocked?: JsonRun[]; skipped?: JsonRun[]; fresh: number; warnings?: Array<{ id: string; message: string }> }; stderr: string } {
    const result = this.cli([...args, '--json']);
    try {
      return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
    } catch {
      throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
  }

  /**
   * The CLI without blocking this process: needed when a server the CLI talks to (s3rver, the fault proxy)
   * runs inside the test process itself.
   */
  cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async jsonAsync(args: string[], env: Record<string, string> = {}): Promise<ReturnType<TempProject['json']>> {
    const result = await this.cliAsync([...args, '--json'], env);
    try {
      return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
    } catch {
      throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const ids = (runs: JsonRun[] | undefined): string[] => (runs ?? []).map((r) => r.id).sort();

/** Every file under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** Give every file and folder under `dir` (and `dir`) an mtime a minute ago, outside the 2 s racy window. */
export function ageFiles(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const old = new Date(Date.now() - 60_000);
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(d, entry.name));
      fs.utimesSync(path.join(d, entry.name), old, old);
    }
  };
  walk(dir);
  fs.utimesSync(dir, old, old);
}
