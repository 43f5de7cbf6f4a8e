/**
 * Flow records made from gen-pcap.py's ground truth (one JSON object per
 * generated flow), for specs and benchmarks that need realistic records
 * before or beside the native sensor. A flow long enough to span a status
 * interval can be split into a status record and a final one, counters as
 * deltas, the way a sensor reports a long flow.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowRecord, PROTO_BY_NUMBER } from '@panoptes/flow';

export interface TruthFlow {
  kind: string;
  proto: number;
  saddr: string;
  sport: number | null;
  daddr: string;
  dport: number | null;
  vlan: number | null;
  spkts: number;
  sbytes: number;
  dpkts: number;
  dbytes: number;
  stime: number;
  ltime: number;
  dname: string | null;
}

/** gen-pcap.py: shared/tools beside the repository (as CI lays it out), or PANOPTES_GEN_PCAP. */
export function genPcapPath(): string {
  const root = resolve(__dirname, '../../..');
  const candidates = [
    process.env.PANOPTES_GEN_PCAP,
    resolve(root, '../shared/tools/gen-pcap.py'),
    '/work/shared/tools/gen-pcap.py',
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error(`gen-pcap.py not found (looked in ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

/** Runs gen-pcap.py and returns its ground truth. */
export function generateTruth(dir: string, args: string[]): TruthFlow[] {
  const truth = resolve(dir, 'truth.jsonl');
  execFileSync('python3', [genPcapPath(), ...args, '--truth', truth, '--out', resolve(dir, 'capture.pcap')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return readFileSync(truth, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TruthFlow);
}

/**
 * The records a sensor would give for one truth flow. With `splitAt` (a
 * time inside the flow) the flow becomes a status record up to splitAt and a
 * final record after it, packets and bytes divided between them.
 */
export function truthRecords(f: TruthFlow, uid: string, splitAt?: number): FlowRecord[] {
  const base = {
    uid,
    sid: 'truth',
    proto: PROTO_BY_NUMBER.get(f.proto) ?? String(f.proto),
    saddr: f.saddr,
    sport: f.sport,
    dir: '->',
    daddr: f.daddr,
    dport: f.dport,
    vlan: f.vlan,
    dname: f.dname,
  };
  const whole: FlowRecord = {
    ...base,
    seq: 0,
    rtype: 'final',
    stime: f.stime,
    ltime: f.ltime,
    dur: round6(f.ltime - f.stime),
    spkts: f.spkts,
    dpkts: f.dpkts,
    sbytes: f.sbytes,
    dbytes: f.dbytes,
  };
  if (splitAt === undefined || !(splitAt > f.stime && splitAt < f.ltime)) return [whole];
  const sp = Math.floor(f.spkts / 2);
  const dp = Math.floor(f.dpkts / 2);
  const sb = Math.floor(f.sbytes / 2);
  const db = Math.floor(f.dbytes / 2);
  return [
    {
      ...whole,
      rtype: 'status',
      ltime: splitAt,
      dur: round6(splitAt - f.stime),
      spkts: sp,
      dpkts: dp,
      sbytes: sb,
      dbytes: db,
    },
    {
      ...whole,
      seq: 1,
      stime: splitAt,
      dur: round6(f.ltime - splitAt),
      spkts: f.spkts - sp,
      dpkts: f.dpkts - dp,
      sbytes: f.sbytes - sb,
      dbytes: f.dbytes - db,
    },
  ];
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
