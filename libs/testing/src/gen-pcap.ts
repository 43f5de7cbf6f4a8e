import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './cli';

/** One generated flow as gen-pcap.py's --truth writes it. */
export interface TruthFlow {
  kind: 'tcp' | 'dns' | 'icmp' | 'udp1';
  proto: number;
  saddr: string;
  sport: number | null;
  daddr: string;
  dport: number | null;
  vlan: number | null;
  ip: 4 | 6;
  spkts: number;
  sbytes: number;
  dpkts: number;
  dbytes: number;
  stime: number;
  ltime: number;
  dname: string | null;
  qname: string | null;
  rogue: boolean;
}

export interface GeneratedCapture {
  readonly pcap: string;
  readonly truthPath: string;
  truth(): TruthFlow[];
}

/** The traffic generator kept in the repository (test/tools/gen-pcap.py). */
export function genPcapScript(): string {
  return join(repoRoot(), 'test', 'tools', 'gen-pcap.py');
}

/**
 * Writes a deterministic capture with gen-pcap.py and its ground truth, once
 * per argument set (cached under the OS temp folder by arguments).
 */
export function genPcap(args: Record<string, string | number> = {}): GeneratedCapture {
  const flat = Object.entries({ flows: 2000, seed: 1, ...args }).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const name = flat.join('_').replace(/[^A-Za-z0-9_.-]/g, '');
  const dir = join(tmpdir(), 'panoptes-gen-pcap');
  mkdirSync(dir, { recursive: true });
  const pcap = join(dir, `${name}.pcap`);
  const truthPath = join(dir, `${name}.truth.jsonl`);
  if (!existsSync(pcap) || !existsSync(truthPath)) {
    // Written under this process's own temporary names, then renamed: two
    // test processes asking for the same capture never see a half-written one.
    const tmp = `.${process.pid}.tmp`;
    execFileSync('python3', [genPcapScript(), ...flat, '--out', pcap + tmp, '--truth', truthPath + tmp], {
      stdio: 'pipe',
    });
    renameSync(truthPath + tmp, truthPath);
    renameSync(pcap + tmp, pcap);
  }
  return {
    pcap,
    truthPath,
    truth: () =>
      readFileSync(truthPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TruthFlow),
  };
}
