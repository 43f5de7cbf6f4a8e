import { DnsAnswer } from '@panoptes/flow';
import { dnsAnswerKey, genPcap, rogueAnswerKeys, runPlugin, TruthFlow } from '@panoptes/testing';
import { enrichDnsPlugin } from './index';

type Truth = TruthFlow;

/**
 * Builds the DNS answers and flow records a sensor would produce from
 * gen-pcap's ground truth (the pcap end-to-end test does the same through
 * the real sensor), feeds them in capture order, and compares.
 */
describe('enrich-dns against gen-pcap ground truth', () => {
  let truth: Truth[];
  beforeAll(() => {
    truth = genPcap({ flows: 20000, 'rogue-share': 0.05 }).truth();
  });

  it('labels >= 99% of TCP flows whose truth has a dname with exactly it, none wrong, and alerts on exactly the rogue answers', async () => {
    // gen-pcap gives every server address one name; learn name -> address from the labelled flows.
    const addrOf = new Map<string, string>();
    for (const t of truth) if (t.kind === 'tcp' && t.dname) addrOf.set(t.dname, t.daddr);
    const answers: DnsAnswer[] = truth
      .filter((t) => t.kind === 'dns')
      .map((t) => ({
        time: t.ltime,
        sid: 'gen',
        client: t.saddr,
        server: t.daddr,
        qname: t.qname!,
        qtype: 'A',
        rcode: 'NOERROR',
        answers: addrOf.has(t.qname!) ? [{ name: t.qname!, type: 'A', ttl: 300, data: addrOf.get(t.qname!)! }] : [],
      }));
    const tcp = truth.filter((t) => t.kind === 'tcp');
    const flows = tcp.map((t, i) => ({
      uid: `f${i}`,
      seq: 0,
      rtype: 'final',
      sid: 'gen',
      stime: t.stime,
      ltime: t.ltime,
      saddr: t.saddr,
      daddr: t.daddr,
      sport: t.sport,
      dport: t.dport,
      proto: 'tcp',
    }));
    // Capture order: an answer when its response is seen, a flow when it ends; batches of 500 per port.
    const events = [
      ...answers.map((a) => ({ t: a.time, port: 'dns', r: a as unknown })),
      ...flows.map((f) => ({ t: f.ltime, port: 'flows', r: f as unknown })),
    ].sort((a, b) => a.t - b.t);
    const input: Record<string, unknown[][]> = { dns: [], flows: [] };
    for (let i = 0; i < events.length; i += 1000) {
      const chunk = events.slice(i, i + 1000);
      for (const port of ['dns', 'flows']) {
        const part = chunk.filter((e) => e.port === port).map((e) => e.r);
        if (part.length) input[port].push(part);
      }
    }
    // runPlugin feeds one port after the other: all answers first is the easy order;
    // the alignment is exercised by the unit spec and the pcap end-to-end test.
    const run = await runPlugin(enrichDnsPlugin, { allowedServers: ['8.8.8.8', '1.1.1.1'], alignWaitMs: 0 }, { input });
    const out = new Map((run.outputs.flows as Record<string, unknown>[]).map((f) => [f.uid as string, f]));
    let want = 0;
    let right = 0;
    const wrong: string[] = [];
    tcp.forEach((t, i) => {
      const got = out.get(`f${i}`)?.dname;
      if (t.dname) {
        want++;
        if (got === t.dname) right++;
        else if (got !== undefined) wrong.push(`${t.daddr}: ${String(got)} != ${t.dname}`);
      } else if (got !== undefined) wrong.push(`${t.daddr}: ${String(got)} where truth has none`);
    });
    expect(want).toBeGreaterThan(5000);
    expect(wrong).toEqual([]);
    expect(right / want).toBeGreaterThanOrEqual(0.99);
    const rogue = rogueAnswerKeys(truth);
    const alerts = ((run.outputs.alerts ?? []) as { client: string; qname: string; time: number; server: string }[])
      .map((a) => dnsAnswerKey(a.client, a.qname, a.time))
      .sort();
    expect(rogue.length).toBeGreaterThan(100);
    expect(alerts).toEqual(rogue);
  });
});
