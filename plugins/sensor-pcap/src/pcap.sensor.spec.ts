import { join } from 'node:path';
import { validateConfig } from '@panoptes/plugin-sdk';
import { repoRoot, runPlugin } from '@panoptes/testing';
import { SensorRecord, DnsAnswerRecord } from '@panoptes/capture';
import { sensorPcapPlugin, PcapSensorConfig } from './index';

const fixture = (name: string) => join(repoRoot(), 'test', 'fixtures', 'pcaps', name);

describe('sensor-pcap config', () => {
  it('takes a file with Argus defaults', () => {
    const { value, issues } = validateConfig(PcapSensorConfig, { file: 'x.pcap' });
    expect(issues).toEqual([]);
    expect(value).toMatchObject({
      file: 'x.pcap',
      statusIntervalSec: 5,
      tcpTimeoutSec: 60,
      udpTimeoutSec: 30,
      icmpTimeoutSec: 5,
      dns: true,
    });
  });

  it('takes an interface', () => {
    expect(validateConfig(PcapSensorConfig, { interface: 'lo', bpf: 'tcp' }).issues).toEqual([]);
  });

  it('reports every problem at once', () => {
    const { issues } = validateConfig(PcapSensorConfig, { statusIntervalSec: -1, snaplen: 'big', colour: 'red' });
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath.interface).toMatch(/give either interface or file/);
    expect(byPath.statusIntervalSec).toMatch(/must not be less than 0/);
    expect(byPath.snaplen).toMatch(/integer/);
    expect(byPath.colour).toBe('unknown key "colour"');
  });

  it('preflight finds a missing file, both sources, and a filter that does not compile', async () => {
    const issues = await sensorPcapPlugin.preflight!({
      ...new PcapSensorConfig(),
      file: '/nonexistent.pcap',
      interface: 'lo',
      bpf: 'tcp port',
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['bpf', 'file', 'file']);
    expect(issues.find((i) => i.path === 'bpf')!.message).toMatch(/bad filter "tcp port"/);
  });
});

describe('sensor-pcap on files', () => {
  it('meters an HTTP exchange as Argus does (one flow, totals from argus 3.0.8, Community ID from Zeek)', async () => {
    const run = await runPlugin(sensorPcapPlugin, { file: fixture('http-get.pcap') });
    const recs = run.outputs.flows as SensorRecord[];
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({
      seq: 0,
      rtype: 'final',
      sid: 'sensor-pcap',
      proto: 'tcp',
      saddr: '141.142.228.5',
      sport: 59856,
      dir: '->',
      daddr: '192.150.187.43',
      dport: 80,
      spkts: 7,
      dpkts: 7,
      sbytes: 610,
      dbytes: 5477,
      state: 'FIN',
      cid: '1:yvyB8h+3dnggTZW0UEITWCst97w=',
    });
    expect(recs[0].stcpflgs).toContain('S');
    expect(recs[0].synack! + recs[0].ackdat!).toBeCloseTo(recs[0].tcprtt!, 6);
    expect(run.counters.records).toBe(1);
    expect(run.counters.packets).toBe(14);
  });

  it('gives a flow the same uid on every read of the same input (de-duplication key), another for another sid', async () => {
    const uids = async (sid: string) =>
      ((await runPlugin(sensorPcapPlugin, { file: fixture('gen-200.pcap'), sid })).outputs.flows as SensorRecord[]).map(
        (r) => `${r.uid}/${r.seq}`,
      );
    const [a, b, c] = [await uids('s1'), await uids('s1'), await uids('s2')];
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    expect(a.filter((x) => c.includes(x))).toEqual([]);
  });

  it('emits DNS answers on the dns output, from a multi-interface pcapng', async () => {
    const run = await runPlugin(sensorPcapPlugin, { file: fixture('pcapng-multi-interface.pcapng'), sid: 's1' });
    const dns = run.outputs.dns as DnsAnswerRecord[];
    expect(dns).toHaveLength(3);
    expect(dns[0]).toMatchObject({
      sid: 's1',
      client: '172.17.0.2',
      server: '1.1.1.1',
      qname: 'www.apple.com',
      qtype: 'A',
      rcode: 'NOERROR',
    });
    expect(dns[0].answers.at(-1)).toEqual({
      name: 'e6858.dsce9.akamaiedge.net',
      type: 'A',
      ttl: 9,
      data: '23.194.101.24',
    });
    expect((run.outputs.flows as SensorRecord[]).map((r) => r.dport)).toEqual([53, 53, 53]);
  });

  it('keys one ICMP echo session as one flow (Argus makes one per request)', async () => {
    const run = await runPlugin(sensorPcapPlugin, { file: fixture('5-pings.pcap') });
    const recs = run.outputs.flows as SensorRecord[];
    const sum = (k: 'spkts' | 'dpkts' | 'sbytes') => recs.reduce((s, r) => s + r[k], 0);
    expect(new Set(recs.map((r) => r.uid)).size).toBe(1);
    expect([sum('spkts'), sum('dpkts'), sum('sbytes')]).toEqual([5, 5, 490]);
    expect(recs[0]).toMatchObject({
      proto: 'icmp',
      saddr: '172.16.133.2',
      daddr: '172.217.11.78',
      sport: null,
      state: 'ECO',
    });
  });

  it('decodes QinQ (outer VLAN kept) and does not count Linux cooked headers as wire bytes', async () => {
    const q = (await runPlugin(sensorPcapPlugin, { file: fixture('q-in-q.pcap') })).outputs.flows as SensorRecord[];
    expect(q.map((r) => [r.proto, r.vlan, r.flgs])).toEqual([
      ['udp', 13, 'eq'],
      ['udp', 13, 'eq'],
      ['arp', 13, 'eq'],
    ]);
    const sll = (await runPlugin(sensorPcapPlugin, { file: fixture('linuxsll-arp.pcap') })).outputs
      .flows as SensorRecord[];
    expect(sll[0]).toMatchObject({
      proto: 'arp',
      saddr: '192.168.22.1',
      daddr: '192.168.22.160',
      spkts: 1,
      sbytes: 46,
    });
  });

  it('applies a BPF filter and counts what it rejected', async () => {
    const run = await runPlugin(sensorPcapPlugin, { file: fixture('gen-200.pcap'), bpf: 'icmp or icmp6' });
    const recs = run.outputs.flows as SensorRecord[];
    expect(recs.length).toBeGreaterThan(0);
    expect(new Set(recs.map((r) => r.proto))).toEqual(new Set(['icmp', 'ipv6-icmp']));
    expect(run.counters.filtered).toBeGreaterThan(2000);
    expect(run.counters.filtered + recs.reduce((s, r) => s + r.spkts + r.dpkts, 0)).toBe(run.counters.packets);
  });

  it('ends a truncated file with a counted read error after emitting its flows', async () => {
    const { copyFileSync, truncateSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(join(require('node:os').tmpdir(), 'sensor-spec-'));
    const cut = join(dir, 'cut.pcap');
    copyFileSync(fixture('gen-200.pcap'), cut);
    truncateSync(cut, 100_001);
    const run = await runPlugin(sensorPcapPlugin, { file: cut });
    expect(run.counters.read_errors).toBe(1);
    expect((run.outputs.flows as SensorRecord[]).length).toBeGreaterThan(50);
  });
});
