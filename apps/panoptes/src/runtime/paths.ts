import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The repository root (the folder of the top package.json), found from this file whether run from src or dist. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'panoptes') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the panoptes package.json above ${__dirname}`);
    dir = up;
  }
}

export function panoptesVersion(): string {
  return JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version;
}

/** The team's traffic generator, kept in the repository for tests and benchmarks. */
export function genPcapScript(): string {
  return join(repoRoot(), 'test', 'tools', 'gen-pcap.py');
}
