import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root, found from this file (src or dist). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'jest.config.js'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the repository root');
    dir = up;
  }
  return dir;
}

/** ../shared/data beside the repository, or undefined when absent (a user's fresh clone). */
export function sharedData(): string | undefined {
  const d = resolve(repoRoot(), '..', 'shared', 'data');
  return existsSync(d) ? d : undefined;
}

export interface PanoptesProcess {
  readonly proc: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** Waits until stderr (or stdout) matches, or rejects after timeoutMs or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The API base URL once the host logged it. */
  apiUrl(timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Runs the built CLI (`npm run build` first) as a child process. */
export function spawnPanoptes(args: string[], env: Record<string, string> = {}): PanoptesProcess {
  const bin = join(repoRoot(), 'apps', 'panoptes', 'bin', 'panoptes.js');
  const proc = spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot(),
    env: { ...process.env, PANOPTES_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (d) => {
    out += d;
    listeners.forEach((l) => l());
  });
  proc.stderr!.on('data', (d) => {
    err += d;
    listeners.forEach((l) => l());
  });
  const exited = new Promise<number>((res) => proc.on('exit', (code, sig) => res(code ?? (sig ? 128 : 1))));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((res, rej) => {
      const check = () => {
        const m = err.match(pattern) ?? out.match(pattern);
        if (m) {
          done();
          res(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`timed out waiting for ${pattern}; stderr:\n${err.slice(-2000)}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        done();
        rej(new Error(`panoptes exited before ${pattern}; stderr:\n${err.slice(-2000)}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        proc.off('exit', onExit);
      };
      listeners.add(check);
      proc.on('exit', onExit);
      check();
    });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor,
    apiUrl: async (timeoutMs) => (await waitFor(/api listening url=(\S+)/, timeoutMs))[1],
    kill: (signal = 'SIGTERM') => void proc.kill(signal),
  };
}
