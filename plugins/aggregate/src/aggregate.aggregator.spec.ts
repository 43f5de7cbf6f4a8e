import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowRecord, seededRandom } from '@panoptes/flow';
import { Aggregator, AggregatorOptions } from './aggregate.aggregator';
import { AggregateRecord } from './aggregate.record';
import { generateTruth, TruthFlow, truthRecords } from '@panoptes/testing';

const BIN = 60;
const LATENESS = 30;

function run(
  records: readonly FlowRecord[],
  o: Partial<AggregatorOptions> = {},
): { out: AggregateRecord[]; agg: Aggregator } {
  const agg = new Aggregator({
    keys: ['saddr/24', 'dport'],
    binSec: BIN,
    allowedLatenessSec: LATENESS,
    maxGroups: 1e6,
    ...o,
  });
  const out: AggregateRecord[] = [];
  const results = new Set(records.map((r) => agg.add(r as unknown as Record<string, unknown>, out)));
  expect([...results]).toEqual(['ok']);
  agg.flush(out);
  return { out, agg };
}

/** The /24 of an IPv4 address by text alone, and the /24 of the IPv6 addresses gen-pcap makes (2001:db8::/32). */
function slash24(a: string): string {
  if (a.includes('.')) return a.split('.').slice(0, 3).join('.') + '.0/24';
  if (a.startsWith('2001:db8:')) return '2001:d00::/24';
  throw new Error(`unexpected address ${a}`);
}

describe('Aggregator over gen-pcap ground truth (20000 flows)', () => {
  let dir: string;
  let truth: TruthFlow[];
  let records: FlowRecord[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-agg-'));
    truth = generateTruth({ flows: 20000, seed: 7, rate: 100 });
    // Flows that last a while report a status record then a final one, within the same window.
    records = truth.flatMap((f, i) => {
      const mid = (f.stime + f.ltime) / 2;
      const sameBin = Math.floor(mid / BIN) === Math.floor(f.stime / BIN);
      return truthRecords(f, `f${i}`, f.ltime - f.stime > 0.5 && sameBin ? mid : undefined);
    });
    records.sort((a, b) => a.stime - b.stime || (a.uid < b.uid ? -1 : 1));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('equals a straightforward recomputation by window and key', () => {
    expect(records.length).toBeGreaterThan(truth.length); // some flows were split into status + final
    const expected = new Map<
      string,
      {
        trans: number;
        flows: number;
        spkts: number;
        dpkts: number;
        sbytes: number;
        dbytes: number;
        daddrs: Set<string>;
      }
    >();
    const proto: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };
    for (const f of truth) {
      const win = Math.floor(f.stime / BIN) * BIN;
      const key = `${win} ${slash24(f.saddr)} ${proto[f.proto]} ${f.dport}`;
      let e = expected.get(key);
      if (!e)
        expected.set(key, (e = { trans: 0, flows: 0, spkts: 0, dpkts: 0, sbytes: 0, dbytes: 0, daddrs: new Set() }));
      e.flows++;
      e.spkts += f.spkts;
      e.dpkts += f.dpkts;
      e.sbytes += f.sbytes;
      e.dbytes += f.dbytes;
      e.daddrs.add(f.daddr);
    }
    for (const r of records) {
      const key = `${Math.floor(r.stime / BIN) * BIN} ${slash24(r.saddr)} ${r.proto} ${r.dport ?? null}`;
      expected.get(key)!.trans++;
    }

    const { out, agg } = run(records, { distinct: ['daddr'] });
    expect(agg.counters.late).toBe(0);
    expect(agg.counters.records).toBe(records.length);
    expect(out.length).toBe(expected.size);
    for (const a of out) {
      const e = expected.get(`${a.stime} ${a.saddr} ${a.proto} ${a.dport}`);
      expect(e).toBeDefined();
      expect([a.trans, a.flows, a.spkts, a.dpkts, a.sbytes, a.dbytes]).toEqual([
        e!.trans,
        e!.flows,
        e!.spkts,
        e!.dpkts,
        e!.sbytes,
        e!.dbytes,
      ]);
      expect(a.pkts).toBe(e!.spkts + e!.dpkts);
      expect(a.ltime - a.stime).toBe(BIN);
      const n = e!.daddrs.size;
      const est = a.distinct!.daddr;
      if (n <= 128) expect(est).toBe(n);
      else expect(Math.abs(est - n) / n).toBeLessThan(0.05);
    }
    const totalFlows = out.reduce((s, a) => s + a.flows, 0);
    expect(totalFlows).toBe(truth.length);
  });

  it('gives identical output for input shuffled within the lateness bound', () => {
    const ordered = run(records, { distinct: ['daddr', 'sport'] }).out;
    const rand = seededRandom(42);
    const shuffled = records
      .map((r) => ({ r, t: r.stime + rand() * LATENESS }))
      .sort((a, b) => a.t - b.t)
      .map((x) => x.r);
    expect(shuffled.map((r) => r.uid + r.seq)).not.toEqual(records.map((r) => r.uid + r.seq));
    const { out, agg } = run(shuffled, { distinct: ['daddr', 'sport'] });
    expect(agg.counters.late).toBe(0);
    expect(out).toEqual(ordered);
  });

  it('emits windows as the watermark passes them, not only at the end', () => {
    const agg = new Aggregator({ keys: ['proto'], binSec: BIN, allowedLatenessSec: LATENESS, maxGroups: 100 });
    const out: AggregateRecord[] = [];
    const half = Math.floor(records.length / 2);
    for (const r of records.slice(0, half)) agg.add(r as unknown as Record<string, unknown>, out);
    const early = out.length;
    expect(early).toBeGreaterThan(0);
    const wm = records[half - 1].stime - LATENESS;
    for (const a of out) expect(a.ltime).toBeLessThanOrEqual(wm);
  });
});
