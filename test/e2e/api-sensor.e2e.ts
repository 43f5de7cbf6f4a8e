/**
 * A real capture through the real pipeline: sensor-pcap reads a pcap, its
 * records go to sink-store (and, beside it, sink-file as a witness), and the
 * REST API's answers are checked against gen-pcap.py's ground truth, and for
 * a capture from ../shared/data against the records the sensor wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData, TruthFlow } from '@panoptes/testing';
import { apiSection, cleanup, RunningHost, startHost, tempDir, truthFlows, until } from './api-helpers';

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

async function runCapture(pcap: string, dir: string): Promise<RunningHost> {
  const host = await startHost(
    `${apiSection()}
plugins:
  - { id: sensor, use: sensor-pcap, outputs: { flows: flows.raw }, with: { file: ${pcap}, statusIntervalSec: 1 } }
  - { id: store, use: sink-store, input: flows.raw, with: { path: \${dir}/flows.duckdb } }
  - { id: witness, use: sink-file, input: flows.raw, with: { path: \${dir}/records.jsonl } }
`,
    dir,
  );
  await host.proc.waitFor(/source finished plugin=sensor/);
  await until(async () => {
    const t = (await host.call('/api/v1/pipeline')).body.topics.find((x: any) => x.name === 'flows.raw');
    return (
      t.groups.every((g: any) => g.depth === 0) &&
      t.groups[0].delivered === t.groups[1].delivered &&
      t.groups[0].delivered > 0
    );
  }, 'the pipeline to drain');
  return host;
}

function sumsBy<T>(rows: T[], key: (r: T) => string, bytes: (r: T) => number, pkts: (r: T) => number) {
  const m = new Map<string, { bytes: number; pkts: number }>();
  for (const r of rows) {
    const g = m.get(key(r)) ?? { bytes: 0, pkts: 0 };
    g.bytes += bytes(r);
    g.pkts += pkts(r);
    m.set(key(r), g);
  }
  return m;
}

describe('sensor-pcap → sink-store → REST API', () => {
  it('answers as the gen-pcap ground truth says', async () => {
    const dir = tempDir('panoptes-api-sensor-');
    const { truth, pcap } = truthFlows({ flows: 3000, seed: 4 });
    const host = await runCapture(pcap, dir);
    try {
      const total = await host.call('/api/v1/flows/aggregate?metrics=count,bytes,pkts');
      expect(total.body.groups[0]).toEqual({
        key: {},
        count: truth.length,
        bytes: truth.reduce((a, t) => a + t.sbytes + t.dbytes, 0),
        pkts: truth.reduce((a, t) => a + t.spkts + t.dpkts, 0),
      });
      // The sensor wrote status records for the longer flows: stored one by one, counted once.
      const records = readFileSync(join(dir, 'records.jsonl'), 'utf8').trim().split('\n');
      expect(records.length).toBeGreaterThan(truth.length);
      expect((await host.call('/api/v1/flows/aggregate?metrics=count&records=true')).body.groups[0].count).toBe(
        records.length,
      );
      // Top 20 sources by bytes.
      const want = [
        ...sumsBy(
          truth,
          (t) => t.saddr,
          (t) => t.sbytes + t.dbytes,
          (t) => t.spkts + t.dpkts,
        ).entries(),
      ]
        .sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))
        .slice(0, 20)
        .map(([k, g]) => ({ k, ...g }));
      const top = await host.call('/api/v1/flows/aggregate?by=saddr&metrics=bytes,pkts&top=20');
      expect(top.body.groups.map((g: any) => ({ k: g.key.saddr, bytes: g.bytes, pkts: g.pkts }))).toEqual(want);
      // A filtered listing: every TCP flow to port 80, with the flow's totals.
      const web = truth.filter((t: TruthFlow) => PROTO[t.proto] === 'tcp' && t.dport === 80);
      expect(web.length).toBeGreaterThan(50);
      const got: any[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await host.call(
          `/api/v1/flows?filter=${encodeURIComponent('tcp and dst port 80')}&limit=100&fields=saddr,sport,daddr,sbytes,dbytes,spkts,dpkts${cursor ? `&cursor=${cursor}` : ''}`,
        );
        got.push(...r.body.flows);
        cursor = r.body.next;
      } while (cursor);
      const key = (x: { saddr: string; sport: number | null; daddr: string }) => `${x.saddr}:${x.sport} ${x.daddr}`;
      expect(new Map(got.map((f) => [key(f), [f.sbytes, f.dbytes, f.spkts, f.dpkts]]))).toEqual(
        new Map(web.map((t) => [key(t), [t.sbytes, t.dbytes, t.spkts, t.dpkts]])),
      );
    } finally {
      expect(await host.stop()).toBe(0);
      cleanup(dir);
    }
  });

  const shared = sharedData();
  const real = shared && join(shared, 'pcaps', 'zeek-traces', 'http', 'bro.org.pcap');
  (real && existsSync(real) ? it : it.skip)(
    'answers as the records the sensor wrote for a real capture (../shared/data)',
    async () => {
      const dir = tempDir('panoptes-api-sensor-real-');
      const host = await runCapture(real!, dir);
      try {
        const records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const uids = new Set(records.map((r) => r.uid));
        const total = await host.call('/api/v1/flows/aggregate?metrics=count,sbytes,dbytes,spkts,dpkts');
        expect(total.body.groups[0]).toEqual({
          key: {},
          count: uids.size,
          sbytes: records.reduce((a, r) => a + r.sbytes, 0),
          dbytes: records.reduce((a, r) => a + r.dbytes, 0),
          spkts: records.reduce((a, r) => a + r.spkts, 0),
          dpkts: records.reduce((a, r) => a + r.dpkts, 0),
        });
        const byProto = sumsBy(
          records,
          (r) => r.proto,
          (r) => r.sbytes + r.dbytes,
          () => 1,
        );
        const agg = await host.call('/api/v1/flows/aggregate?by=proto&metrics=bytes&records=true&top=100');
        expect(new Map(agg.body.groups.map((g: any) => [g.key.proto, g.bytes]))).toEqual(
          new Map([...byProto].map(([k, g]) => [k, g.bytes])),
        );
      } finally {
        expect(await host.stop()).toBe(0);
        cleanup(dir);
      }
    },
  );
});
