import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsAnswerKey, genPcap, rogueAnswerKeys, spawnPanoptes, TruthFlow } from '@panoptes/testing';

type Truth = TruthFlow;

const lines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

describe('sensor-pcap -> enrich-dns on a gen-pcap capture (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-dns-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels TCP flows with the truth dname (>= 99%, none wrong) and alerts on exactly the rogue answers', async () => {
    const { pcap, truthPath: truthFile } = genPcap({ flows: 20000, 'rogue-share': 0.05 });
    const cfg = join(dir, 'dns.yaml');
    writeFileSync(
      cfg,
      [
        'bus: { type: embedded }',
        'api: { enabled: false }',
        'plugins:',
        '  - id: sensor',
        '    use: sensor-pcap',
        `    with: { file: ${JSON.stringify(pcap)} }`,
        '    outputs: { flows: flows.raw, dns: dns.answers }',
        '  - id: dns',
        '    use: enrich-dns',
        '    inputs: { flows: flows.raw, dns: dns.answers }',
        '    outputs: { flows: flows.enriched, alerts: alerts }',
        '    with: { allowedServers: [8.8.8.8, 1.1.1.1] }',
        '  - id: out',
        '    use: sink-file',
        '    input: flows.enriched',
        `    with: { path: ${JSON.stringify(join(dir, 'flows.jsonl'))} }`,
        '  - id: alerts',
        '    use: sink-file',
        '    input: alerts',
        `    with: { path: ${JSON.stringify(join(dir, 'alerts.jsonl'))} }`,
      ].join('\n') + '\n',
    );
    const p = spawnPanoptes(['run', '-c', cfg, '--until-done']);
    expect(await p.exited).toBe(0);

    const truth = lines<Truth>(truthFile);
    const records = lines<Record<string, unknown>>(join(dir, 'flows.jsonl'));
    const byKey = new Map<string, Record<string, unknown>[]>();
    for (const r of records) {
      const k = `${r.proto} ${r.saddr} ${r.sport} ${r.daddr} ${r.dport}`;
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
    }
    let want = 0;
    let right = 0;
    let unmatched = 0;
    const wrong: string[] = [];
    for (const t of truth.filter((x) => x.kind === 'tcp')) {
      const recs = byKey.get(`tcp ${t.saddr} ${t.sport} ${t.daddr} ${t.dport}`);
      if (!recs) {
        unmatched++;
        continue;
      }
      const names = new Set(recs.map((r) => r.dname));
      if (t.dname) {
        want++;
        if (names.size === 1 && names.has(t.dname)) right++;
      }
      for (const n of names)
        if (n !== undefined && n !== t.dname) wrong.push(`${t.saddr} -> ${t.daddr}: ${String(n)}, truth ${t.dname}`);
    }
    console.log(
      `enrich-dns e2e: ${right}/${want} TCP flows with a truth dname labelled exactly (${((100 * right) / want).toFixed(2)}%), ${wrong.length} wrong, ${unmatched} unmatched`,
    );
    expect(unmatched).toBe(0);
    expect(want).toBeGreaterThan(5000);
    expect(wrong).toEqual([]);
    expect(right / want).toBeGreaterThanOrEqual(0.99);

    const rogue = rogueAnswerKeys(truth);
    const alerts = lines<{ client: string; qname: string; time: number; server: string; type: string }>(
      join(dir, 'alerts.jsonl'),
    );
    expect(rogue.length).toBeGreaterThan(100);
    expect(alerts.map((a) => dnsAnswerKey(a.client, a.qname, a.time)).sort()).toEqual(rogue);
    expect(new Set(alerts.map((a) => `${a.type} ${a.server}`))).toEqual(new Set(['rogue-dns 203.0.113.107']));
  });
});
