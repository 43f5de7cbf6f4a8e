import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureToFile } from '@panoptes/capture';
import { Aggregator } from './aggregate.aggregator';
import { AggregateRecord } from './aggregate.record';
import { genPcap, TruthFlow } from '@panoptes/testing';

const BIN = 60;
const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

/** The /24 by text alone, and the /24 of gen-pcap's IPv6 addresses (all in 2001:db8::/32). */
function slash24(a: string): string {
  if (a.includes('.')) return a.split('.').slice(0, 3).join('.') + '.0/24';
  if (a.startsWith('2001:db8:')) return '2001:d00::/24';
  throw new Error(`unexpected address ${a}`);
}

async function meter(pcap: string, out: string, statusIntervalSec: number): Promise<Record<string, unknown>[]> {
  const { error } = await captureToFile({
    file: pcap,
    outputPath: out,
    outputFormat: 'json',
    statusIntervalSec,
    dns: false,
  });
  if (error) throw error;
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function rollup(records: Record<string, unknown>[]): { out: AggregateRecord[]; late: number } {
  const agg = new Aggregator({ keys: ['saddr/24', 'dport'], binSec: BIN, allowedLatenessSec: 120, maxGroups: 1e6 });
  const out: AggregateRecord[] = [];
  for (const r of records) agg.add(r, out);
  agg.flush(out);
  return { out, late: agg.counters.late };
}

describe('aggregate over the native sensor’s records of a gen-pcap capture', () => {
  let dir: string;
  let truth: TruthFlow[];
  let pcap: string;
  const expected = new Map<string, { flows: number; spkts: number; dpkts: number; sbytes: number; dbytes: number }>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-agg-pcap-'));
    const cap = genPcap({ flows: 20000, seed: 3, rate: 100 });
    pcap = cap.pcap;
    truth = cap.truth();
    for (const f of truth) {
      const key = `${Math.floor(f.stime / BIN) * BIN} ${slash24(f.saddr)} ${PROTO[f.proto]} ${f.dport}`;
      let e = expected.get(key);
      if (!e) expected.set(key, (e = { flows: 0, spkts: 0, dpkts: 0, sbytes: 0, dbytes: 0 }));
      e.flows++;
      e.spkts += f.spkts;
      e.dpkts += f.dpkts;
      e.sbytes += f.sbytes;
      e.dbytes += f.dbytes;
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('final records only: equals the ground truth by window and key', async () => {
    const records = await meter(pcap, join(dir, 'final.jsonl'), 0);
    expect(records.length).toBe(truth.length);
    const { out, late } = rollup(records);
    expect(late).toBe(0);
    const got = new Map(out.map((a) => [`${a.stime} ${a.saddr} ${a.proto} ${a.dport}`, a]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected) {
      const a = got.get(key)!;
      expect([key, a.flows, a.trans, a.spkts, a.dpkts, a.sbytes, a.dbytes]).toEqual([
        key,
        e.flows,
        e.flows,
        e.spkts,
        e.dpkts,
        e.sbytes,
        e.dbytes,
      ]);
    }
  });

  it('with 1 s status records: every flow counted once, in the window it started, and every byte counted', async () => {
    const records = await meter(pcap, join(dir, 'status.jsonl'), 1);
    expect(records.filter((r) => r.rtype === 'status').length).toBeGreaterThan(0);
    const { out, late } = rollup(records);
    expect(late).toBe(0);
    const flows = new Map<string, number>();
    const totals = new Map<string, number[]>();
    for (const a of out) {
      const key = `${a.saddr} ${a.proto} ${a.dport}`;
      if (a.flows) flows.set(`${a.stime} ${key}`, a.flows);
      const t = totals.get(key) ?? [0, 0, 0, 0];
      totals.set(key, [t[0] + a.spkts, t[1] + a.dpkts, t[2] + a.sbytes, t[3] + a.dbytes]);
    }
    const wantTotals = new Map<string, number[]>();
    for (const [key, e] of expected) {
      expect([key, flows.get(key)]).toEqual([key, e.flows]);
      const k = key.slice(key.indexOf(' ') + 1);
      const t = wantTotals.get(k) ?? [0, 0, 0, 0];
      wantTotals.set(k, [t[0] + e.spkts, t[1] + e.dpkts, t[2] + e.sbytes, t[3] + e.dbytes]);
    }
    expect(flows.size).toBe(expected.size);
    expect(totals).toEqual(wantTotals);
  });
});
