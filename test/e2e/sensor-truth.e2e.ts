/**
 * The sensor against ground truth: gen-pcap.py writes a capture and, for every
 * flow it generated, the exact packets, bytes and first/last times per
 * direction. Summing each uid's records (counters are deltas) must give those
 * numbers exactly, with the client as source, and no flow may appear that was
 * not generated. Records go through the JavaScript batch path (the plugin's path).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Capture, SensorRecord } from '@panoptes/capture';
import { genPcap, repoRoot, TruthFlow } from '@panoptes/testing';

interface Totals {
  first: SensorRecord;
  spkts: number;
  dpkts: number;
  sbytes: number;
  dbytes: number;
  stime: number;
  ltime: number;
  seqs: number[];
  finals: number;
}

async function flowsOf(file: string): Promise<Map<string, Totals>> {
  const cap = new Capture({ file, sid: 'truth' }).start();
  const byUid = new Map<string, Totals>();
  for await (const b of cap.batches()) {
    for (const r of b.records) {
      let t = byUid.get(r.uid);
      if (!t) {
        t = { first: r, spkts: 0, dpkts: 0, sbytes: 0, dbytes: 0, stime: r.stime, ltime: r.ltime, seqs: [], finals: 0 };
        byUid.set(r.uid, t);
      }
      t.spkts += r.spkts;
      t.dpkts += r.dpkts;
      t.sbytes += r.sbytes;
      t.dbytes += r.dbytes;
      t.stime = Math.min(t.stime, r.stime);
      t.ltime = Math.max(t.ltime, r.ltime);
      t.seqs.push(r.seq);
      if (r.rtype === 'final') t.finals++;
    }
  }
  return byUid;
}

const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp' };
const keyOf = (proto: string, saddr: string, sport: number | null, daddr: string, dport: number | null) =>
  `${proto} ${saddr}:${sport} ${daddr}:${dport}`;

async function checkAgainstTruth(pcap: string, truth: TruthFlow[]): Promise<void> {
  const flows = await flowsOf(pcap);
  const byKey = new Map<string, Totals>();
  for (const t of flows.values()) {
    const r = t.first;
    const k = keyOf(r.proto, r.saddr, r.sport, r.daddr, r.dport);
    expect(byKey.has(k)).toBe(false); // one flow per generated 5-tuple
    byKey.set(k, t);
  }
  const wrong: string[] = [];
  for (const g of truth) {
    const k = keyOf(PROTO[g.proto], g.saddr, g.sport, g.daddr, g.dport);
    const t = byKey.get(k);
    if (!t) {
      wrong.push(`missing (or reversed) ${k}`);
      continue;
    }
    const got = { spkts: t.spkts, dpkts: t.dpkts, sbytes: t.sbytes, dbytes: t.dbytes, stime: t.stime, ltime: t.ltime };
    const want = { spkts: g.spkts, dpkts: g.dpkts, sbytes: g.sbytes, dbytes: g.dbytes, stime: g.stime, ltime: g.ltime };
    if (JSON.stringify(got) !== JSON.stringify(want))
      wrong.push(`${k}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    // Direction: the initiator is the source, and the sensor says it is sure.
    if (!['->', '<->'].includes(t.first.dir)) wrong.push(`${k}: dir ${t.first.dir}`);
    // Records of a flow are numbered from 0 without gaps and exactly one is final.
    const seqs = [...t.seqs].sort((a, b) => a - b);
    if (seqs.some((s, i) => s !== i) || t.finals !== 1) wrong.push(`${k}: seqs ${seqs} finals ${t.finals}`);
  }
  expect(wrong.slice(0, 10)).toEqual([]);
  expect(flows.size).toBe(truth.length); // no extra flows
}

describe('sensor-pcap native meter against gen-pcap ground truth', () => {
  it('matches the committed 200-flow fixture (v4/v6, VLAN) exactly', async () => {
    const dir = join(repoRoot(), 'test', 'fixtures', 'pcaps');
    const truth = readFileSync(join(dir, 'gen-200.truth.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TruthFlow);
    await checkAgainstTruth(join(dir, 'gen-200.pcap'), truth);
  });

  it('matches 20000 generated flows exactly', async () => {
    const g = genPcap({ flows: 20000, seed: 11 });
    await checkAgainstTruth(g.pcap, g.truth());
  });

  it('matches 20000 generated flows with half IPv6 and 30% VLAN-tagged exactly', async () => {
    const g = genPcap({ flows: 20000, seed: 12, 'v6-share': 0.5, 'vlan-share': 0.3 });
    const truth = g.truth();
    expect(truth.filter((t) => t.ip === 6).length).toBeGreaterThan(1000);
    expect(truth.filter((t) => t.vlan !== null).length).toBeGreaterThan(1000);
    await checkAgainstTruth(g.pcap, truth);
  });
});
