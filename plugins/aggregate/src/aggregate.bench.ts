/**
 * The aggregation benchmark: records/s of a rollup on one core, beside
 * racluster on the same records. The records are argus's own (read back with
 * `ra`), so both tools see exactly the same flows; argus's management
 * records (proto man) are left out, and ICMP type/code, which argus keeps in
 * the port fields, become null ports as in Panoptes records.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { FlowRecord } from '@panoptes/flow';
import { Aggregator, AggregatorOptions } from './aggregate.aggregator';
import { AggregateRecord } from './aggregate.record';

const RA_FIELDS = ['stime', 'ltime', 'dur', 'proto', 'saddr', 'sport', 'dir', 'daddr', 'dport'];
const RA_COUNTERS = ['spkts', 'dpkts', 'sbytes', 'dbytes', 'sttl', 'dttl', 'stos', 'dtos'];

/** Reads an argus file with `ra` into flow records. */
export function argusRecords(argusFile: string): FlowRecord[] {
  const text = execFileSync(
    'ra',
    ['-r', argusFile, '-u', '-n', '-c', ',', '-s', ...RA_FIELDS, ...RA_COUNTERS, 'state'],
    {
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    },
  );
  const out: FlowRecord[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].split(',');
    if (c.length < 18 || c[3] === 'man') continue;
    const proto = c[3] === 'ipv6-*' ? 'ipv6-icmp' : c[3];
    const port = (s: string): number | null =>
      /^\d+$/.test(s) && (proto === 'tcp' || proto === 'udp') ? Number(s) : null;
    const n = (s: string): number | null => (s.trim() === '' ? null : Number(s));
    out.push({
      uid: `argus-${i}`,
      seq: 0,
      rtype: 'final',
      sid: 'argus',
      stime: Number(c[0]),
      ltime: Number(c[1]),
      dur: Number(c[2]),
      proto,
      saddr: c[4],
      sport: port(c[5]),
      dir: c[6].trim(),
      daddr: c[7],
      dport: port(c[8]),
      spkts: Number(c[9]),
      dpkts: Number(c[10]),
      sbytes: Number(c[11]),
      dbytes: Number(c[12]),
      sttl: n(c[13]),
      dttl: n(c[14]),
      stos: n(c[15]),
      dtos: n(c[16]),
      state: c[17].trim(),
    });
  }
  return out;
}

export interface RunTiming {
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly groups: number;
}

/** Best of `runs` timed passes of a fresh Aggregator over records already in memory (after one warm-up pass). */
export function timeAggregation(records: readonly FlowRecord[], options: AggregatorOptions, runs: number): RunTiming {
  let best = Infinity;
  let groups = 0;
  for (let i = 0; i <= runs; i++) {
    const t0 = process.hrtime.bigint();
    const agg = new Aggregator(options);
    const out: AggregateRecord[] = [];
    for (let j = 0; j < records.length; j++) agg.add(records[j] as unknown as Record<string, unknown>, out);
    agg.flush(out);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (i > 0 && s < best) best = s;
    groups = out.length;
  }
  return { seconds: round3(best), recordsPerSec: Math.round(records.length / best), groups };
}

/** Best of `runs` wall times of `racluster -r FILE -m KEYS -w /dev/null`, and its output rows. */
export function timeRacluster(argusFile: string, keys: readonly string[], records: number, runs: number): RunTiming {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('racluster', ['-r', argusFile, '-m', ...keys, '-w', '/dev/null'], { stdio: 'ignore' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`racluster failed with exit code ${r.status}`);
    if (s < best) best = s;
  }
  const listed = execFileSync('racluster', ['-r', argusFile, '-m', ...keys, '-n', '-s', 'saddr'], {
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const groups = listed.split('\n').filter((l) => l.trim()).length - 1;
  return { seconds: round3(best), recordsPerSec: Math.round(records / best), groups };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
