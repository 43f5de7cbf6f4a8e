import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DnsAnswer, encodeFlowEcs, encodeFlowOcsf, FlowRecord, flowRecordProblem } from '@panoptes/flow';
import { validateConfig, formatIssue } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { ecsProblems, ocsfProblems } from '../../../test/e2e/siem-schemas';
import { oracle } from '../../../test/e2e/zeek-oracle';
import { ingestZeekPlugin, ZeekIngestConfig, ZeekSource } from './index';

const FIX = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'zeek');
const fix = (name: string) => join(FIX, name);

const sum = (xs: FlowRecord[], k: 'spkts' | 'dpkts' | 'sbytes' | 'dbytes') => xs.reduce((a, r) => a + r[k], 0);

describe('ingest-zeek config', () => {
  it('accepts a path with the documented defaults', () => {
    const r = validateConfig(ZeekIngestConfig, { path: '/x/conn.log' });
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject({ follow: false, pollIntervalMs: 500, sid: 'zeek', batchSize: 1000 });
  });

  it('reports every bad key at once', () => {
    const r = validateConfig(ZeekIngestConfig, { pollIntervalMs: 1, follow: 'yes', colour: 'red' });
    const msgs = r.issues.map(formatIssue).join('\n');
    expect(msgs).toMatch(/path: /);
    expect(msgs).toMatch(/pollIntervalMs: .*10/);
    expect(msgs).toMatch(/follow: .*boolean/);
    expect(msgs).toMatch(/unknown key "colour"/);
  });

  it('preflight names a missing path', async () => {
    const issues = await ingestZeekPlugin.preflight!({ ...new ZeekIngestConfig(), path: '/nonexistent/conn.log' });
    expect(issues).toEqual([{ path: 'path', message: 'file or directory not found: /nonexistent/conn.log' }]);
  });
});

describe('ingest-zeek conversion matches the source row for row', () => {
  const files = [
    'conn.log',
    'conncomma.log',
    'conntimelast.log',
    'conn-bare-header.log',
    'ppp-conn.log',
    'rita-conn.json.log',
    'truncated-conn.log',
  ];

  it.each(files)('%s: counts, packet and byte totals, and line-numbered errors', async (name) => {
    const o = oracle(fix(name));
    const run = await runPlugin(ingestZeekPlugin, { path: fix(name) });
    const flows = (run.outputs.flows ?? []) as FlowRecord[];
    const conn = o.rows.filter((r) => r.kind === 'conn');
    expect(flows.map((f) => f.uid)).toEqual(conn.map((r) => r.uid));
    expect(sum(flows, 'spkts')).toBe(conn.reduce((a, r) => a + r.origPkts, 0));
    expect(sum(flows, 'dpkts')).toBe(conn.reduce((a, r) => a + r.respPkts, 0));
    expect(sum(flows, 'sbytes')).toBe(conn.reduce((a, r) => a + r.origIpBytes, 0));
    expect(sum(flows, 'dbytes')).toBe(conn.reduce((a, r) => a + r.respIpBytes, 0));
    expect(run.rejected.map((r) => r.reason.match(/:(\d+): /)?.[1]).map(Number)).toEqual(o.badLines);
    expect(run.counters.bad_lines ?? 0).toBe(o.badLines.length);
    for (const f of flows) expect(flowRecordProblem(f)).toBeUndefined();
  });

  it('a log cut off mid-row reports the cut line with file and line number, after converting the rows before it', async () => {
    const lines = readFileSync(fix('truncated-conn.log'), 'utf8').split('\n');
    const run = await runPlugin(ingestZeekPlugin, { path: fix('truncated-conn.log') });
    expect(run.outputs.flows).toHaveLength(lines.filter((l) => l && !l.startsWith('#')).length - 1);
    expect(run.rejected).toHaveLength(1);
    const cut = lines[lines.length - 1].split('\t').length;
    expect(run.rejected[0].reason).toBe(
      `${fix('truncated-conn.log')}:${lines.length}: expected 20 fields, found ${cut} (truncated or not this log's format)`,
    );
  });

  it('maps orig to source, Zeek state and history to Argus state, direction and TCP flags', async () => {
    const run = await runPlugin(ingestZeekPlugin, { path: fix('conn.log'), sid: 'lab' });
    const f = (run.outputs.flows as FlowRecord[]).find((r) => r.uid === 'CXWv6p3arKYeMETxOg')!;
    expect(f).toMatchObject({
      sid: 'lab',
      rtype: 'final',
      seq: 0,
      proto: 'tcp',
      saddr: '141.142.220.235',
      sport: 50003,
      daddr: '199.233.217.249',
      dport: 21,
      spkts: 38,
      dpkts: 25,
      sbytes: 2164,
      dbytes: 4458,
      sappbytes: 180,
      dappbytes: 3146,
      state: 'FIN',
      dir: '<->',
      stcpflgs: 'FSA',
      dtcpflgs: 'FSA',
      stime: 1329843161.968492,
    });
    expect(f.ltime).toBeCloseTo(1329843161.968492 + 38.055625, 6);
  });

  it('ICMPv6 rows without a handshake become ipv6-icmp flows without ports, direction unsure', async () => {
    const run = await runPlugin(ingestZeekPlugin, { path: fix('ppp-conn.log') });
    const [icmp, , udp] = run.outputs.flows as FlowRecord[];
    expect(icmp).toMatchObject({ proto: 'ipv6-icmp', sport: null, dport: null, dir: '?>', state: 'NSO', saddr: '::' });
    expect(udp).toMatchObject({ proto: 'udp', sport: 42834, dport: 443, dir: '<->', state: 'CON' });
  });

  it('every converted flow encodes to ECS and OCSF that check against their schemas', async () => {
    for (const name of files) {
      const run = await runPlugin(ingestZeekPlugin, { path: fix(name) });
      for (const f of (run.outputs.flows ?? []) as FlowRecord[]) {
        expect(ecsProblems(encodeFlowEcs(f))).toEqual([]);
        expect(ocsfProblems(encodeFlowOcsf(f))).toEqual([]);
      }
    }
  });
});

describe('ingest-zeek dns.log', () => {
  it('emits one DNS answer per answered row on the dns port', async () => {
    const o = oracle(fix('rita-dns.json.log'));
    const run = await runPlugin(ingestZeekPlugin, { path: fix('rita-dns.json.log') });
    const answers = run.outputs.dns as DnsAnswer[];
    expect(answers).toHaveLength(o.rows.filter((r) => r.answered).length);
    expect(run.outputs.flows).toBeUndefined();
    expect(answers[0]).toMatchObject({
      client: '192.168.88.2',
      server: '165.227.88.15',
      qname: '6dde0175375169c68f.dnsc.r-1x.com',
      qtype: 'TXT',
      rcode: 'NOERROR',
    });
    expect(answers[0].answers).toEqual([
      { name: '6dde0175375169c68f.dnsc.r-1x.com', type: 'TXT', data: '302f017537c68f5169', ttl: 60 },
    ]);
  });
});

describe('ingest-zeek dns.log (TSV)', () => {
  it('types name answers by the query, counts unanswered queries, and reads nested JSON ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-dns-'));
    const file = join(dir, 'dns.log');
    const head = [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tdns',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode\trcode_name\tanswers\tTTLs',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tcount\tstring\tvector[string]\tvector[interval]',
    ];
    const rows = [
      '1300475168.7\tC1\t141.142.220.118\t40526\t141.142.2.2\t53\tudp\tupload.wikimedia.org\tA\t0\tNOERROR\tupload.pmtpa.wikimedia.org,208.80.152.3\t124.000000,2156.000000',
      '1300475168.8\tC2\t141.142.220.118\t40527\t141.142.2.2\t53\tudp\texample.org\tAAAA\t-\t-\t-\t-',
    ];
    writeFileSync(file, [...head, ...rows, ''].join('\n'));
    writeFileSync(
      join(dir, 'conn.json'),
      JSON.stringify({
        ts: 1.5,
        uid: 'J1',
        id: { orig_h: '10.0.0.1', orig_p: 5, resp_h: '10.0.0.2', resp_p: 53 },
        proto: 'udp',
        conn_state: 'S0',
        orig_pkts: 1,
        resp_pkts: 0,
        orig_ip_bytes: 60,
        resp_ip_bytes: 0,
      }) + '\n',
    );
    const run = await runPlugin(ingestZeekPlugin, { path: dir });
    expect(run.outputs.dns).toEqual([
      {
        time: 1300475168.7,
        sid: 'zeek',
        client: '141.142.220.118',
        server: '141.142.2.2',
        qname: 'upload.wikimedia.org',
        qtype: 'A',
        rcode: 'NOERROR',
        answers: [
          { name: 'upload.wikimedia.org', type: 'CNAME', data: 'upload.pmtpa.wikimedia.org', ttl: 124 },
          { name: 'upload.wikimedia.org', type: 'A', data: '208.80.152.3', ttl: 2156 },
        ],
      },
    ]);
    expect(run.counters.dns_unanswered).toBe(1);
    expect(run.outputs.flows).toEqual([
      expect.objectContaining({
        uid: 'J1',
        saddr: '10.0.0.1',
        dport: 53,
        proto: 'udp',
        state: 'INT',
        dir: '->',
        spkts: 1,
        sbytes: 60,
      }),
    ]);
  });
});

describe('ingest-zeek inputs', () => {
  it('reads the conn and dns logs of a directory and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-dir-'));
    copyFileSync(fix('conn.log'), join(dir, 'conn.log'));
    copyFileSync(fix('rita-dns.json.log'), join(dir, 'dns.log'));
    writeFileSync(join(dir, 'http.log'), 'this is not read\n');
    const run = await runPlugin(ingestZeekPlugin, { path: dir });
    expect(run.outputs.flows).toHaveLength(oracle(fix('conn.log')).rows.length);
    expect(run.outputs.dns).toHaveLength(oracle(fix('rita-dns.json.log')).rows.filter((r) => r.answered).length);
    expect(run.rejected).toEqual([]);
  });

  it('follows a growing file, holding a half-written row until its line ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-follow-'));
    const file = join(dir, 'conn.log');
    const lines = readFileSync(fix('conn.log'), 'utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const rows = lines.filter((l) => l && !l.startsWith('#'));
    writeFileSync(file, [...header, rows[0], ''].join('\n'));
    const run = await runPlugin(
      ingestZeekPlugin,
      { path: file, follow: true, pollIntervalMs: 20 },
      {
        afterStart: async (service) => {
          const src = service as ZeekSource;
          const until = async (n: number) => {
            while (src.stats().flows < n) await new Promise((r) => setTimeout(r, 10));
          };
          await until(1);
          appendFileSync(file, rows[1] + '\n' + rows[2].slice(0, 20));
          await until(2);
          appendFileSync(file, rows[2].slice(20) + '\n');
          await until(3);
        },
      },
    );
    expect((run.outputs.flows as FlowRecord[]).map((f) => f.uid)).toEqual(
      oracle(fix('conn.log'))
        .rows.slice(0, 3)
        .map((r) => r.uid),
    );
    expect(run.rejected).toEqual([]);
  });

  it('following a directory picks up a log that appears later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-follow-dir-'));
    copyFileSync(fix('conn.log'), join(dir, 'conn.log'));
    const first = oracle(fix('conn.log')).rows.length;
    const second = oracle(fix('ppp-conn.log')).rows.length;
    const run = await runPlugin(
      ingestZeekPlugin,
      { path: dir, follow: true, pollIntervalMs: 20 },
      {
        afterStart: async (service) => {
          const src = service as ZeekSource;
          while (src.stats().flows < first) await new Promise((r) => setTimeout(r, 10));
          copyFileSync(fix('ppp-conn.log'), join(dir, 'conn.2.log'));
          while (src.stats().flows < first + second) await new Promise((r) => setTimeout(r, 10));
        },
      },
    );
    expect(run.outputs.flows).toHaveLength(first + second);
    expect(run.counters.records).toBe(first + second);
  });

  it('reads gzipped (archived) logs the same as plain ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-gz-'));
    writeFileSync(join(dir, 'conn.00:00:00-01:00:00.log.gz'), gzipSync(readFileSync(fix('conn.log'))));
    const run = await runPlugin(ingestZeekPlugin, { path: dir });
    expect((run.outputs.flows as FlowRecord[]).map((f) => f.uid)).toEqual(
      oracle(fix('conn.log')).rows.map((r) => r.uid),
    );
    writeFileSync(join(dir, 'conn.broken.log.gz'), Buffer.from('not gzip at all'));
    await expect(runPlugin(ingestZeekPlugin, { path: join(dir, 'conn.broken.log.gz') })).rejects.toThrow(
      /cannot read .*conn\.broken\.log\.gz: /,
    );
  });

  it('a text file that is not a Zeek log is reported line by line, never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zeek-text-'));
    const file = join(dir, 'conn.log');
    writeFileSync(file, 'Lorem ipsum dolor sit amet\n\nconsectetur adipiscing elit\n');
    const run = await runPlugin(ingestZeekPlugin, { path: file });
    expect(run.outputs.flows).toBeUndefined();
    expect(run.rejected.map((r) => r.reason)).toEqual([
      `${file}:1: not a Zeek log row: no #fields header before it and not JSON`,
      `${file}:3: not a Zeek log row: no #fields header before it and not JSON`,
    ]);
  });
});
