/**
 * The sensor against Argus itself: Debian's argus 3.0.8 (`argus -r` + `ra`)
 * and our meter read the same real captures (../shared/data/pcaps/zeek-traces
 * and suricata-verify), and for every flow key argus reports, the per-flow
 * totals (packets and bytes each way) must agree. Where we differ on purpose,
 * the difference is listed below with its reason, and only those flows of
 * those captures are excused.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Capture } from '@panoptes/capture';
import { sharedData } from '@panoptes/testing';

/** Captures where we meter differently from argus on purpose: capture path (relative to pcaps/) → why. */
const DELIBERATE: Record<string, string> = {
  // Fragments: we carry a fragment to the flow its first fragment opened; argus reads
  // transport headers out of non-first fragments (ports that are payload bytes) or
  // refuses ports when the first fragment holds only part of the TCP header.
  'suricata-verify/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/frag-eth-vlan-ip-tcp-syn.pcap': 'fragments',
  'suricata-verify/defrag/bug-6887-defrag-eth-vlan-ipv6-tcp/frag-eth-vlan-ipv6-tcp.pcap': 'fragments',
  'suricata-verify/defrag/bug-6887-defrag-ppp-ipv6-tcp/frag-ppp-ipv6-tcp.pcap': 'fragments',
  'suricata-verify/exception-policy-defrag-01/ipv4frags.pcap': 'fragments',
  'zeek-traces/ipv4/fragmented-4.pcap': 'fragments',
  'zeek-traces/ipv6-fragmented-dns.pcap': 'fragments',
  // Argus's L2 flows of these put the frame's destination MAC as source or key on
  // inner tags we do not decode (E-tag, NSH, 802.1ah, too many VLAN layers);
  // we key non-IP frames by sender MAC, receiver MAC and ethertype.
  'suricata-verify/decode-etag-01/input.pcap': 'l2 direction',
  'suricata-verify/decode-nsh-type1/input.pcap': 'l2 direction',
  'suricata-verify/decode-too-many-layers/input.pcap': 'l2 layers',
  'suricata-verify/decode-erspan-typeII-01/input.pcap': 'l2 direction (CDP inside ERSPAN)',
  'zeek-traces/pbb.pcap': '802.1ah provider backbone bridging is not decoded',
  // PPPoE control (discovery, LCP): argus makes one "pppoe" flow per MAC pair; we
  // key them by ethertype (0x8863 discovery, 0x8864 session), so they split differently.
  'suricata-verify/pppoe/input.pcap': 'pppoe control flows',
  // A malformed ARP (protocol length 255): argus reads addresses past the header;
  // we meter it as a link-layer flow by MACs.
  'zeek-traces/arp-leak.pcap': 'malformed arp',
  // IGMP: argus prints the group as a masked address.
  'zeek-traces/dns/mdns.pcap': 'igmp addresses',
  // A broken IPv4 header: argus makes an "ip" link-layer flow; we count the packet
  // as undecodable (stats.undecodable.badIpHeader) rather than invent a flow.
  'zeek-traces/ip-bogus-header-len.pcap': 'bad ip header counted, not metered',
  // 802.11 (radiotap, monitor mode) link types are not decoded (counted as unsupportedLinktype).
  'zeek-traces/radiotap.pcap': '802.11 not decoded',
  'zeek-traces/wlanmon.pcap': '802.11 not decoded',
  // Argus misreads this PPP capture (flows of "unas"/"sm" between garbage addresses).
  'zeek-traces/ppp/quic-interop-retry.pcap': 'argus misdecodes ppp',
  // PPTP's enhanced GRE carrying compressed PPP: argus reports an ipnip flow.
  'zeek-traces/tunnels/gre-pptp.pcap': 'pptp',
};

type Dir4 = [number, number, number, number];

/** Flow key without direction, and whether (saddr, sport) is the key's first side. */
function key(
  proto: string,
  saddr: string,
  sport: number | null,
  daddr: string,
  dport: number | null,
): [string, boolean] {
  // Argus prints ICMP type/id where ports go and no SCTP ports; compare those by addresses.
  if (!['tcp', 'udp'].includes(proto)) sport = dport = null;
  // Argus names PPPoE control traffic "pppoe"; we name the ethertypes.
  if (proto === '0x8863' || proto === '0x8864') proto = 'pppoe';
  // Argus prints other ethertypes in decimal; the catalogue says 0xNNNN.
  if (/^\d+$/.test(proto)) proto = `0x${Number(proto).toString(16).padStart(4, '0')}`;
  const a = `${saddr}|${sport}`;
  const b = `${daddr}|${dport}`;
  return a <= b ? [`${proto} ${a} ${b}`, true] : [`${proto} ${b} ${a}`, false];
}

function add(m: Map<string, Dir4>, k: [string, boolean], v: Dir4): void {
  const t = m.get(k[0]) ?? [0, 0, 0, 0];
  const [sp, dp, sb, db] = k[1] ? v : [v[1], v[0], v[3], v[2]];
  m.set(k[0], [t[0] + sp, t[1] + dp, t[2] + sb, t[3] + db]);
}

const run = promisify(execFile);

async function argusFlows(pcap: string, out: string): Promise<Map<string, Dir4>> {
  rmSync(out, { force: true }); // argus -w appends
  // argus exits non-zero on some malformed captures after writing what it read.
  await run('argus', ['-r', pcap, '-w', out], { timeout: 60_000 }).catch(() => undefined);
  const m = new Map<string, Dir4>();
  if (!existsSync(out)) return m;
  const { stdout } = await run(
    'ra',
    [
      '-r',
      out,
      '-n',
      '-c',
      ',',
      '-s',
      'proto',
      'saddr',
      'sport',
      'daddr',
      'dport',
      'spkts',
      'dpkts',
      'sbytes',
      'dbytes',
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 << 20,
    },
  );
  for (const line of stdout.split('\n').slice(1)) {
    const p = line.split(',');
    if (p.length < 9 || p[0] === 'man') continue;
    const port = (s: string) => (s === '' ? null : Number(s));
    add(m, key(p[0], p[1], port(p[2]), p[3], port(p[4])), p.slice(5, 9).map(Number) as Dir4);
  }
  return m;
}

/** Runs argus over many captures at once: most of its time is a fixed pause at exit. */
async function argusAll(files: string[], dir: string): Promise<Map<string, Dir4>[]> {
  const results: Map<string, Dir4>[] = new Array(files.length);
  let next = 0;
  const worker = async (w: number) => {
    for (let i = next++; i < files.length; i = next++)
      results[i] = await argusFlows(files[i], join(dir, `w${w}.argus`));
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  return results;
}

async function ourFlows(pcap: string): Promise<Map<string, Dir4>> {
  const m = new Map<string, Dir4>();
  const cap = new Capture({ file: pcap, dns: false }).start();
  try {
    for await (const b of cap.batches()) {
      for (const r of b.records)
        add(m, key(r.proto, r.saddr, r.sport, r.daddr, r.dport), [r.spkts, r.dpkts, r.sbytes, r.dbytes]);
    }
  } catch {
    // A truncated capture: argus also stops at the bad record, compare what both read.
  }
  return m;
}

function captures(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng)$/.test(name)) out.push(p);
  }
  return out.sort();
}

const data = sharedData();
const haveArgus = (() => {
  try {
    execFileSync('ra', ['-h'], { stdio: 'ignore' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  return existsSync('/usr/sbin/argus') || existsSync('/usr/bin/argus');
})();
if (!data) console.log('sensor-argus.e2e: ../shared/data not found, argus comparison skipped');
else if (!haveArgus)
  console.log('sensor-argus.e2e: argus/ra not installed (apt argus-server argus-client), comparison skipped');

(data && haveArgus ? describe : describe.skip)('sensor totals agree with argus 3.0.8 on real captures', () => {
  const pcaps = data ? join(data, 'pcaps') : '';
  const tmp = mkdtempSync(join(tmpdir(), 'panoptes-argus-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const corpus of ['zeek-traces', 'suricata-verify']) {
    it(`agrees on every flow argus reports in ${corpus}`, async () => {
      const files = captures(join(pcaps, corpus));
      expect(files.length).toBeGreaterThan(50);
      let compared = 0;
      const disagreements: string[] = [];
      const excusedButAgreeing: string[] = [];
      const argus = await argusAll(files, tmp);
      for (const [i, f] of files.entries()) {
        const rel = relative(pcaps, f);
        const theirs = argus[i];
        const ours = await ourFlows(f);
        const diff = [...theirs].filter(([k, v]) => JSON.stringify(ours.get(k)) !== JSON.stringify(v));
        if (DELIBERATE[rel]) {
          if (diff.length === 0) excusedButAgreeing.push(rel);
          continue;
        }
        compared += theirs.size;
        for (const [k, v] of diff)
          disagreements.push(`${rel}: ${k}: argus ${JSON.stringify(v)} ours ${JSON.stringify(ours.get(k) ?? null)}`);
      }
      expect(disagreements).toEqual([]);
      // A listed difference that no longer differs must be removed from the list.
      expect(excusedButAgreeing).toEqual([]);
      expect(compared).toBeGreaterThan(100);
    });
  }
});
