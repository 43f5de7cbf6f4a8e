import { createSocket, Socket } from 'node:dgram';
import { validateConfig } from '@panoptes/plugin-sdk';
import { DnsEnrichConfig } from './dns.config';
import { DnsEnricher } from './dns.enricher';
import { PtrCache, systemReverseResolver } from './dns.ptr';

/**
 * A tiny DNS responder on 127.0.0.1: answers PTR questions for
 * d.c.b.a.in-addr.arpa with host-a-b-c-d.test, NXDOMAIN for 192.0.2.66.
 */
async function ptrResponder(): Promise<{ port: number; queries: string[]; close: () => Promise<void> }> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    let p = 12;
    const labels: string[] = [];
    while (msg[p] !== 0) {
      labels.push(msg.subarray(p + 1, p + 1 + msg[p]).toString());
      p += msg[p] + 1;
    }
    const qEnd = p + 5;
    const qname = labels.join('.');
    queries.push(qname);
    const ip = labels.slice(0, 4).reverse().join('.');
    const nx = ip === '192.0.2.66';
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(nx ? 0x8183 : 0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(nx ? 0 : 1, 6);
    const target = Buffer.concat([
      ...`host-${ip.replace(/\./g, '-')}.test`
        .split('.')
        .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
      Buffer.from([0]),
    ]);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(12, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(target.length, 10);
    const reply = Buffer.concat([header, msg.subarray(12, qEnd), ...(nx ? [] : [rr, target])]);
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, queries, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}

const flow = (uid: string, daddr: string) => ({
  uid,
  seq: 0,
  rtype: 'final',
  sid: 't',
  stime: 100,
  ltime: 101,
  saddr: '10.0.0.1',
  daddr,
  proto: 'tcp',
});

describe('PTR lookups', () => {
  it('PtrCache never waits: a miss starts one lookup, later peeks are answered from the cache', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = new PtrCache(
      async (a) => (calls++, await gate, a === '192.0.2.1' ? ['Host.Example.'] : []),
      10,
      60_000,
      1,
    );
    expect(c.peek('192.0.2.1')).toBeUndefined();
    expect(c.peek('192.0.2.1')).toBeUndefined();
    expect(c.peek('192.0.2.2')).toBeUndefined(); // over the in-flight bound: skipped, not queued
    expect(calls).toBe(1);
    release();
    await c.settled();
    expect(c.peek('192.0.2.1')).toBe('host.example');
    expect(c.figures).toEqual({ lookups: 1, hits: 1, failures: 0, skipped: 1 });
  });

  it('PtrCache caches failures too, and forgets after its TTL', async () => {
    let now = 0;
    let calls = 0;
    const c = new PtrCache(
      async () => (calls++, Promise.reject(new Error('SERVFAIL'))),
      10,
      1000,
      4,
      () => now,
    );
    c.peek('192.0.2.9');
    await c.settled();
    expect(c.peek('192.0.2.9')).toBeUndefined();
    expect(calls).toBe(1);
    now = 2000;
    c.peek('192.0.2.9');
    await c.settled();
    expect(calls).toBe(2);
    expect(c.figures.failures).toBe(2);
  });

  it('labels from a real resolver on 127.0.0.1, without holding up the flow that missed', async () => {
    const dns = await ptrResponder();
    try {
      const config = validateConfig(DnsEnrichConfig, {
        ptrLookups: true,
        ptrServers: [`127.0.0.1:${dns.port}`],
        alignWaitMs: 0,
      }).value!;
      const out: Record<string, unknown>[] = [];
      const ctx = {
        id: 'dns',
        inputs: {},
        outputs: {},
        log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
        emit: async (r: unknown[]) => void out.push(...(r as Record<string, unknown>[])),
        reject: async () => {},
        count: () => {},
        gauge: () => {},
      };
      const resolver = systemReverseResolver(config.ptrServers, config.ptrTimeoutMs);
      const e = new DnsEnricher(config, ctx, resolver);
      await e.start();
      await e.handle([flow('1', '198.51.100.23'), flow('2', '192.0.2.66')], 'flows');
      expect(out.map((f) => f.dname)).toEqual([undefined, undefined]);
      await (e as unknown as { ptr: PtrCache }).ptr.settled();
      await e.handle([flow('3', '198.51.100.23'), flow('4', '192.0.2.66')], 'flows');
      expect(out.map((f) => f.dname)).toEqual([undefined, undefined, 'host-198-51-100-23.test', undefined]);
      expect(out.map((f) => f.sname)).toEqual([undefined, undefined, 'host-10-0-0-1.test', 'host-10-0-0-1.test']);
      // One query per address, the repeated source included: the cache answered the rest.
      expect(dns.queries.sort()).toEqual([
        '1.0.0.10.in-addr.arpa',
        '23.100.51.198.in-addr.arpa',
        '66.2.0.192.in-addr.arpa',
      ]);
      await e.stop();
    } finally {
      await dns.close();
    }
  });
});
