import { DnsAnswer } from '@panoptes/flow';
import { validateConfig } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { DnsEnrichConfig, enrichDnsPlugin } from './index';

const answer = (
  client: string,
  qname: string,
  addrs: string[],
  time: number,
  server = '8.8.8.8',
  ttl = 300,
): DnsAnswer => ({
  time,
  sid: 't',
  client,
  server,
  qname,
  qtype: 'A',
  rcode: 'NOERROR',
  answers: addrs.map((data) => ({ name: qname, type: data.includes(':') ? 'AAAA' : 'A', ttl, data })),
});

const flow = (uid: string, saddr: string, daddr: string, stime: number, rtype = 'final') => ({
  uid,
  seq: 0,
  rtype,
  sid: 't',
  stime,
  ltime: stime + 1,
  saddr,
  daddr,
  proto: 'tcp',
});

describe('enrich-dns config', () => {
  it('validates the default config', () => {
    const r = validateConfig(DnsEnrichConfig, {});
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject({
      ttlGraceSec: 300,
      maxEntries: 1_000_000,
      allowedServers: [],
      ptrLookups: false,
      alignWaitMs: 250,
    });
  });

  it('refuses bad values, each with its key', () => {
    const r = validateConfig(DnsEnrichConfig, {
      allowedServers: ['8.8.8.8', 'resolver'],
      maxEntries: 0,
      ptrServers: ['bad host'],
      x: 1,
    });
    expect(r.issues.map((i) => i.path).sort()).toEqual(['allowedServers', 'maxEntries', 'ptrServers', 'x']);
  });
});

describe('enrich-dns labels', () => {
  it('labels dname with the name the client resolved, sname when the other side resolved the source', async () => {
    const run = await runPlugin(
      enrichDnsPlugin,
      { alignWaitMs: 0 },
      {
        input: {
          dns: [
            [
              answer('10.0.0.1', 'WWW.Example.com.', ['198.51.100.7', '198.51.100.8'], 100),
              answer('198.51.100.9', 'client.example.org', ['10.0.0.5'], 100),
            ],
          ],
          flows: [
            [
              flow('a', '10.0.0.1', '198.51.100.8', 101),
              flow('b', '10.0.0.5', '198.51.100.9', 101),
              flow('c', '10.0.0.1', '203.0.113.1', 101),
            ],
          ],
        },
      },
    );
    const out = run.outputs.flows as Record<string, unknown>[];
    expect(out.map((f) => [f.uid, f.sname, f.dname])).toEqual([
      ['a', undefined, 'www.example.com'],
      ['b', 'client.example.org', undefined],
      ['c', undefined, undefined],
    ]);
    expect(run.counters.labels_added).toBe(2);
    expect(run.counters.dns_records).toBe(3);
  });

  it('keeps every record of one flow on the name of its start, past the TTL', async () => {
    const run = await runPlugin(
      enrichDnsPlugin,
      { ttlGraceSec: 0, alignWaitMs: 0 },
      {
        input: {
          dns: [[answer('10.0.0.1', 'a.example.com', ['198.51.100.7'], 100, '8.8.8.8', 30)]],
          flows: [
            [flow('long', '10.0.0.1', '198.51.100.7', 101, 'status')],
            [{ ...flow('long', '10.0.0.1', '198.51.100.7', 500), seq: 1 }],
            [flow('other', '10.0.0.1', '198.51.100.7', 500)],
          ],
        },
      },
    );
    expect((run.outputs.flows as Record<string, unknown>[]).map((f) => f.dname)).toEqual([
      'a.example.com',
      'a.example.com',
      undefined,
    ]);
  });

  it('waits briefly for a DNS answer that arrives after the flow it names', async () => {
    const e = enrichDnsPlugin.create(validateConfig(DnsEnrichConfig, { alignWaitMs: 5000 }).value!, {
      id: 'dns',
      inputs: {},
      outputs: {},
      log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
      emit: async (records: unknown[]) => void out.push(...(records as Record<string, unknown>[])),
      reject: async () => {},
      count: () => {},
      gauge: () => {},
    });
    const out: Record<string, unknown>[] = [];
    await e.start();
    const pending = e.handle([flow('a', '10.0.0.1', '198.51.100.7', 101)], 'flows');
    await new Promise((r) => setImmediate(r));
    expect(out).toHaveLength(0);
    await e.handle(
      [
        answer('10.0.0.1', 'a.example.com', ['198.51.100.7'], 100.5),
        answer('10.0.0.2', 'b.example.com', ['192.0.2.1'], 102),
      ],
      'dns',
    );
    await pending;
    expect(out.map((f) => f.dname)).toEqual(['a.example.com']);
    await e.stop();
  });

  it('ignores NXDOMAIN and non-address records, dead-letters malformed input and goes on', async () => {
    const nx = { ...answer('10.0.0.1', 'gone.example.com', ['198.51.100.7'], 100), rcode: 'NXDOMAIN' };
    const cname = {
      ...answer('10.0.0.1', 'alias.example.com', [], 100),
      answers: [{ name: 'alias.example.com', type: 'CNAME', ttl: 60, data: 'x.example.net' }],
    };
    const run = await runPlugin(
      enrichDnsPlugin,
      { alignWaitMs: 0 },
      {
        input: {
          dns: [[nx, cname, { time: 'soon' }, null]],
          flows: [[flow('a', '10.0.0.1', '198.51.100.7', 101), { uid: 'broken' }]],
        },
      },
    );
    expect((run.outputs.flows as Record<string, unknown>[]).map((f) => f.dname)).toEqual([undefined]);
    expect(run.rejected.map((r) => r.reason)).toEqual([
      'bad dns answer: client must be a string',
      'bad dns answer: not a DNS answer record',
      'not a flow record: saddr, daddr and stime are required',
    ]);
    expect(run.counters.bad_answers).toBe(2);
    expect(run.counters.bad_records).toBe(1);
  });
});

describe('enrich-dns rogue DNS alerts', () => {
  it('alerts on every answer from a server not on the allow-list, and only those', async () => {
    const run = await runPlugin(
      enrichDnsPlugin,
      { allowedServers: ['8.8.8.8', '1.1.1.1'], alignWaitMs: 0 },
      {
        input: {
          dns: [
            [
              answer('10.0.0.1', 'a.example.com', ['198.51.100.7'], 100),
              answer('10.0.0.2', 'b.example.com', ['198.51.100.8'], 101, '203.0.113.107'),
              answer('10.0.0.3', 'c.example.com', ['198.51.100.9'], 102, '1.1.1.1'),
              answer('10.0.0.4', 'd.example.com', ['198.51.100.10'], 103, '203.0.113.107'),
            ],
          ],
        },
      },
    );
    expect(run.outputs.alerts).toEqual([
      expect.objectContaining({
        type: 'rogue-dns',
        server: '203.0.113.107',
        client: '10.0.0.2',
        qname: 'b.example.com',
        time: 101,
        answers: ['198.51.100.8'],
      }),
      expect.objectContaining({
        type: 'rogue-dns',
        server: '203.0.113.107',
        client: '10.0.0.4',
        qname: 'd.example.com',
        time: 103,
        answers: ['198.51.100.10'],
      }),
    ]);
    expect(run.counters.alerts).toBe(2);
    expect(run.counters.dns_servers).toBe(3);
  });

  it('raises no alert when no allow-list is configured', async () => {
    const run = await runPlugin(
      enrichDnsPlugin,
      {},
      { input: { dns: [[answer('10.0.0.2', 'b.example.com', ['198.51.100.8'], 101, '203.0.113.107')]] } },
    );
    expect(run.outputs.alerts).toBeUndefined();
    expect(run.counters.alerts).toBeUndefined();
  });
});
