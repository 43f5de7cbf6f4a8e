/**
 * The flow store through the REST API against ground truth: gen-pcap.py's
 * truth for 5000 generated flows becomes flow records (some flows split into
 * a status and a final record), source-jsonl replays them through the real
 * host into sink-store, and every listing, page, filter and aggregate the API
 * answers is compared with what the truth says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, spawnPanoptes, TruthFlow } from '@panoptes/testing';
import {
  ADMIN_KEY,
  cleanup,
  RunningHost,
  startHost,
  startReplayStore,
  tempDir,
  truthFlows,
  until,
} from './api-helpers';

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };
const uidOf = (i: number) => `g${String(i).padStart(7, '0')}`;
const bytesOf = (t: TruthFlow) => t.sbytes + t.dbytes;

/** Top groups of the truth by a key, ranked like the store: bytes descending, then key ascending. */
function truthTop(truth: TruthFlow[], key: (t: TruthFlow) => string, n: number) {
  const m = new Map<string, { bytes: number; pkts: number; count: number }>();
  for (const t of truth) {
    const k = key(t);
    const g = m.get(k) ?? { bytes: 0, pkts: 0, count: 0 };
    g.bytes += bytesOf(t);
    g.pkts += t.spkts + t.dpkts;
    g.count += 1;
    m.set(k, g);
  }
  return [...m.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([k, g]) => ({ k, ...g }));
}

describe('REST API over the flow store, against gen-pcap ground truth', () => {
  const dir = tempDir('panoptes-api-flows-');
  const { truth, records } = truthFlows({ flows: 5000, seed: 11 });
  let host: RunningHost;

  beforeAll(async () => {
    host = await startReplayStore(dir, records, truth.length, { batchSize: 700 });
  });
  afterAll(async () => {
    expect(await host?.stop()).toBe(0);
    cleanup(dir);
  });

  it('counts each flow once, and each record once with records=true', async () => {
    expect(records.length).toBeGreaterThan(truth.length); // some flows have two records
    const flows = await host.call('/api/v1/flows/aggregate?metrics=count,bytes,pkts,sbytes,dpkts');
    expect(flows.status).toBe(200);
    expect(flows.body.groups).toEqual([
      {
        key: {},
        count: truth.length,
        bytes: truth.reduce((a, t) => a + bytesOf(t), 0),
        pkts: truth.reduce((a, t) => a + t.spkts + t.dpkts, 0),
        sbytes: truth.reduce((a, t) => a + t.sbytes, 0),
        dpkts: truth.reduce((a, t) => a + t.dpkts, 0),
      },
    ]);
    const raw = await host.call('/api/v1/flows/aggregate?metrics=count&records=true');
    expect(raw.body.groups[0].count).toBe(records.length);
  });

  it('aggregates the top 20 sources by bytes exactly as the truth has them', async () => {
    const r = await host.call('/api/v1/flows/aggregate?by=saddr&metrics=bytes,pkts,count&top=20');
    expect(r.status).toBe(200);
    expect(r.body.groups.map((g: any) => ({ k: g.key.saddr, bytes: g.bytes, pkts: g.pkts, count: g.count }))).toEqual(
      truthTop(truth, (t) => t.saddr, 20),
    );
  });

  it('groups by address prefix and port (saddr/24, dport) over IPv4', async () => {
    const r = await host.call(`/api/v1/flows/aggregate?by=saddr/24,dport&top=15&filter=${encodeURIComponent('ipv4')}`);
    expect(r.status).toBe(200);
    const v4 = truth.filter((t) => t.ip === 4);
    const want = truthTop(v4, (t) => `${t.saddr.split('.').slice(0, 3).join('.')}.0/24|${t.dport}`, 15);
    // Ties in bytes are ranked by key in both; compare as sets of rows plus the ranking of bytes.
    const got = r.body.groups.map((g: any) => ({
      k: `${g.key['saddr/24']}|${g.key.dport}`,
      bytes: g.bytes,
      pkts: g.pkts,
      count: g.count,
    }));
    expect(got.map((g: any) => g.bytes)).toEqual(want.map((g) => g.bytes));
    expect(new Map(got.map((g: any) => [g.k, g]))).toEqual(new Map(want.map((g) => [g.k, g])));
  });

  it('filters with the ra language and pages through every match once, in order', async () => {
    const expr = 'tcp and dst port 443';
    const want = truth.map((t, i) => ({ t, i })).filter(({ t }) => PROTO[t.proto] === 'tcp' && t.dport === 443);
    expect(want.length).toBeGreaterThan(300);
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/v1/flows?filter=${encodeURIComponent(expr)}&limit=250&fields=uid,stime,saddr,dport,sbytes,dbytes,spkts,dpkts${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await host.call(q);
      expect(r.status).toBe(200);
      seen.push(...r.body.flows);
      cursor = r.body.next;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toHaveLength(want.length);
    expect(new Set(seen.map((f) => f.uid))).toEqual(new Set(want.map(({ i }) => uidOf(i))));
    for (let i = 1; i < seen.length; i++) expect(seen[i].stime >= seen[i - 1].stime).toBe(true);
    // Merged flows carry the flow's totals, also for flows split into two records.
    const byUid = new Map(seen.map((f) => [f.uid, f]));
    for (const { t, i } of want) {
      expect(byUid.get(uidOf(i))).toMatchObject({
        sbytes: t.sbytes,
        dbytes: t.dbytes,
        spkts: t.spkts,
        dpkts: t.dpkts,
        dport: 443,
      });
    }
  });

  it('sorts descending by a field, and lists raw records with records=true', async () => {
    const r = await host.call('/api/v1/flows?sort=-sbytes&limit=5&fields=uid,sbytes');
    expect(r.body.flows.map((f: any) => f.sbytes)).toEqual(
      truth
        .map((t) => t.sbytes)
        .sort((a, b) => b - a)
        .slice(0, 5),
    );
    const split = records.filter((x) => x.seq === 1).map((x) => x.uid);
    expect(split.length).toBeGreaterThan(20);
    const uid = split[0];
    const raw = await host.call(
      `/api/v1/flows?records=true&filter=${encodeURIComponent(`uid eq ${uid}`)}&fields=uid,seq,rtype,sbytes`,
    );
    expect(raw.body.flows).toEqual(
      records.filter((x) => x.uid === uid).map((x) => ({ uid, seq: x.seq, rtype: x.rtype, sbytes: x.sbytes })),
    );
  });

  it('restricts to a time range and bins a time series', async () => {
    const times = truth.map((t) => t.stime).sort((a, b) => a - b);
    const from = times[Math.floor(times.length / 3)];
    const to = times[Math.floor((2 * times.length) / 3)];
    const inRange = truth.filter((t) => t.ltime >= from && t.stime < to);
    const r = await host.call(`/api/v1/flows/aggregate?metrics=count,bytes&from=${from}&to=${to}`);
    expect(r.body.groups[0]).toEqual({
      key: {},
      count: inRange.length,
      bytes: inRange.reduce((a, t) => a + bytesOf(t), 0),
    });
    const iso = new Date(from * 1000).toISOString();
    const r2 = await host.call(`/api/v1/flows/aggregate?metrics=count&from=${iso}`);
    expect(r2.body.groups[0].count).toBe(truth.filter((t) => t.ltime >= Math.floor(from * 1000) / 1000).length);
    const s = await host.call('/api/v1/flows/aggregate?metrics=count&bin=10');
    const buckets = new Map<number, number>();
    for (const t of truth) {
      const b = Math.floor(t.stime / 10) * 10;
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
    }
    expect(s.body.groups).toHaveLength(1);
    expect(s.body.groups[0].series).toEqual(
      [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, count]) => ({ t, count })),
    );
    expect(s.body.groups[0].count).toBe(truth.length);
  });

  it('stores nothing twice when the same records are replayed', async () => {
    const before = (await host.call('/api/v1/plugins/store')).body.stats.stored;
    const r = await host.call('/api/v1/plugins/replay/start', { method: 'POST', key: ADMIN_KEY });
    expect(r.status).toBe(200);
    await until(
      async () => (await host.call('/api/v1/plugins/store')).body.stats.duplicates === records.length,
      'the replay to be handled',
    );
    expect((await host.call('/api/v1/plugins/store')).body.stats.stored).toBe(before);
    expect((await host.call('/api/v1/flows/aggregate?metrics=count')).body.groups[0].count).toBe(truth.length);
    expect((await host.call('/api/v1/flows/aggregate?metrics=count&records=true')).body.groups[0].count).toBe(
      records.length,
    );
  });
});

describe('the default config (npm start)', () => {
  it('validates, and serves the sample capture, enriched, with keys from the environment', async () => {
    const check = spawnPanoptes(['run', '--check', '-c', 'config/panoptes.yaml']);
    expect(await check.exited).toBe(0);
    expect(check.stdout()).toContain('config/panoptes.yaml: ok (5 plugin instances)');
    // The same file on a free port, with the store and alerts in a temp folder.
    const dir = tempDir('panoptes-api-default-');
    const text = readFileSync(join(repoRoot(), 'config', 'panoptes.yaml'), 'utf8')
      .replace('listen: 127.0.0.1:8080', 'listen: 127.0.0.1:0')
      .replace('path: var/panoptes.duckdb', `path: ${join(dir, 'panoptes.duckdb')}`)
      .replace('path: var/alerts.jsonl', `path: ${join(dir, 'alerts.jsonl')}`)
      .replace(/(test\/fixtures\/\S+)/g, (p) => join(repoRoot(), p));
    expect(text).toContain('127.0.0.1:0');
    // The sample capture's ground truth: every flow stored once, and the TCP
    // flows whose server was named by an earlier DNS answer carry that name.
    const truth = readFileSync(join(repoRoot(), 'test', 'fixtures', 'pcaps', 'gen-200.truth.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { dname: string | null });
    const named = truth.filter((t) => t.dname).length;
    expect(named).toBeGreaterThan(0);
    const host = await startHost(text, dir, { PANOPTES_ADMIN_KEY: 'local-admin', PANOPTES_READ_KEY: 'local-read' });
    try {
      const count = async (filter = '') =>
        (await host.call(`/api/v1/flows/aggregate?metrics=count${filter}`, { key: 'local-read' })).body.groups?.[0]
          ?.count;
      await until(async () => (await count()) === truth.length, 'the sample capture stored');
      expect(
        await count(`&filter=${encodeURIComponent('dname eq ' + truth.find((t) => t.dname)!.dname)}`),
      ).toBeGreaterThanOrEqual(1);
      expect((await host.call('/api/v1/plugins/sensor/stop', { method: 'POST', key: 'local-admin' })).status).toBe(200);
      expect((await host.call('/api/v1/flows', { key: null })).status).toBe(401);
    } finally {
      expect(await host.stop()).toBe(0);
      cleanup(dir);
    }
  });

  it('gives a loopback host with no keys a one-run admin key, printed at start', async () => {
    const dir = tempDir('panoptes-api-nokeys-');
    const cfg = join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      `api: { listen: "127.0.0.1:0" }\nplugins:\n  - { id: src, use: source-jsonl, with: { path: ${join(repoRoot(), 'test', 'fixtures', 'store', 'flows.jsonl')} } }\n  - { id: out, use: sink-file, input: flows.raw, with: { path: ${join(dir, 'o.jsonl')} } }\n`,
    );
    const p = spawnPanoptes(['run', '-c', cfg]);
    try {
      const key = (await p.waitFor(/admin key for this run: (\S+)/))[1];
      const url = await p.apiUrl();
      expect((await fetch(`${url}/api/v1/plugins`)).status).toBe(401);
      const ok = await fetch(`${url}/api/v1/plugins`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
    } finally {
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      cleanup(dir);
    }
  });
});
