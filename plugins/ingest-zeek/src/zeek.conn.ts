import { isIP } from 'node:net';
import { FlowRecord } from '@panoptes/flow';
import { ZeekRow } from './zeek.parser';

/**
 * One Zeek conn.log row as one final flow record, the way Argus's ra tools
 * name things: the originator is the source (orig → s*, resp → d*), Zeek's
 * IP-level byte counts are the byte counters (Zeek sees no link header) and
 * its payload counts the application byte counters, conn_state and history
 * give the Argus state, TCP flags, direction certainty and flags.
 * docs/siem-mappings.md has the table.
 */

export type ConnResult = { readonly record: FlowRecord } | { readonly problem: string };

/** Zeek conn_state → Argus TCP state. */
const TCP_STATE: Readonly<Record<string, string>> = {
  S0: 'REQ', // SYN seen, no reply
  S1: 'CON', // established, not terminated
  SF: 'FIN', // established and closed normally
  REJ: 'RST', // SYN answered by a reset
  S2: 'FIN', // established, originator's close seen, no reply
  S3: 'FIN', // established, responder's close seen, no reply
  RSTO: 'RST',
  RSTR: 'RST',
  RSTOS0: 'RST',
  RSTRH: 'RST',
  SH: 'FIN', // SYN then FIN from the originator, no SYN-ACK
  SHR: 'FIN', // SYN-ACK then FIN from the responder, no SYN
  OTH: 'CON', // no SYN seen: mid-stream traffic
};

/** ICMP type (Zeek puts it in orig_p) → Argus state for ICMP flows. */
const ICMP4_STATE: Readonly<Record<number, string>> = {
  0: 'ECR',
  3: 'UR',
  4: 'SRC',
  5: 'RED',
  8: 'ECO',
  9: 'RTA',
  10: 'RTS',
  11: 'TXD',
  12: 'PAR',
  13: 'TST',
  14: 'TSR',
};
const ICMP6_STATE: Readonly<Record<number, string>> = {
  1: 'URH',
  2: 'PTB',
  3: 'TXD',
  4: 'PAR',
  128: 'ECO',
  129: 'ECR',
  133: 'RTS',
  134: 'RTA',
  135: 'NSO',
  136: 'NAD',
  137: 'RED',
};

/** ICMPv4 destination unreachable: the code (Zeek's resp_p) says what was unreachable. */
const ICMP4_UNREACH: Readonly<Record<number, string>> = { 0: 'URN', 1: 'URH', 2: 'URO', 3: 'URP', 4: 'URF', 5: 'URS' };

/** IANA protocol number (Zeek's ip_proto) → Argus protocol name, for unknown_transport rows. */
const PROTO_NAME: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'ipv6-icmp',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

/** History letters: upper case from the originator, lower case from the responder. */
function tcpFlags(history: string, originator: boolean): string {
  let f = '';
  const add = (c: string) => {
    if (!f.includes(c)) f += c;
  };
  for (const ch of history) {
    const mine = originator ? ch >= 'A' && ch <= 'Z' : ch >= 'a' && ch <= 'z';
    if (!mine) continue;
    switch (ch.toLowerCase()) {
      case 's':
        add('S');
        break;
      case 'h':
        add('S');
        add('A');
        break;
      case 'a':
      case 'd':
        add('A');
        break;
      case 'f':
        add('F');
        break;
      case 'r':
        add('R');
        break;
    }
  }
  // Argus prints TCP flags in FSRPAUEC order.
  return [...'FSRPAUEC'].filter((c) => f.includes(c)).join('');
}

/**
 * Argus flgs columns used here: column 1 '*' retransmissions both ways, 's'
 * source only, 'd' destination only (Zeek's t/T history letters); column 2
 * 'g' when Zeek saw a content gap (g/G) or missed bytes.
 */
function flags(history: string, missed: number): string {
  const sr = history.includes('T');
  const dr = history.includes('t');
  const c1 = sr && dr ? '*' : sr ? 's' : dr ? 'd' : ' ';
  const c2 = /[gG]/.test(history) || missed > 0 ? 'g' : ' ';
  return `${c1}${c2}`;
}

function int(row: ZeekRow, name: string, required: boolean): number | null | { problem: string } {
  const v = row[name];
  if (v === null || v === undefined) return required ? { problem: `${name}: unset` } : null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    return { problem: `${name}: not a count: ${JSON.stringify(v)}` };
  return v;
}

function bad(x: unknown): x is { problem: string } {
  return typeof x === 'object' && x !== null && 'problem' in x;
}

/** Maps one conn.log row; `sid` names the input. */
export function connToFlow(row: ZeekRow, sid: string): ConnResult {
  const ts = row.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0)
    return { problem: `ts: not a time: ${JSON.stringify(ts)}` };
  const uid = row.uid;
  if (typeof uid !== 'string' || uid === '') return { problem: 'uid: missing' };
  const saddr = row['id.orig_h'];
  const daddr = row['id.resp_h'];
  if (typeof saddr !== 'string' || !isIP(saddr))
    return { problem: `id.orig_h: not an IP address: ${JSON.stringify(saddr)}` };
  if (typeof daddr !== 'string' || !isIP(daddr))
    return { problem: `id.resp_h: not an IP address: ${JSON.stringify(daddr)}` };
  const ports: number[] = [];
  for (const p of ['id.orig_p', 'id.resp_p']) {
    const v = row[p];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
      return { problem: `${p}: port out of range: ${JSON.stringify(v)}` };
    ports.push(v);
  }
  const counters: Record<string, number | null> = {};
  for (const [name, required] of [
    ['orig_pkts', true],
    ['resp_pkts', true],
    ['orig_ip_bytes', true],
    ['resp_ip_bytes', true],
    ['orig_bytes', false],
    ['resp_bytes', false],
    ['missed_bytes', false],
  ] as const) {
    const v = int(row, name, required);
    if (bad(v)) return v;
    counters[name] = v;
  }
  const durRaw = row.duration;
  if (durRaw !== null && durRaw !== undefined && (typeof durRaw !== 'number' || !(durRaw >= 0))) {
    return { problem: `duration: not an interval: ${JSON.stringify(durRaw)}` };
  }
  const dur = typeof durRaw === 'number' ? durRaw : 0;
  const zproto = typeof row.proto === 'string' ? row.proto : '';
  const ipProto = typeof row.ip_proto === 'number' ? row.ip_proto : undefined;
  const v6 = isIP(saddr) === 6;
  let proto: string;
  if (zproto === 'tcp' || zproto === 'udp') proto = zproto;
  else if (zproto === 'icmp') proto = v6 || ipProto === 58 ? 'ipv6-icmp' : 'icmp';
  else if (ipProto !== undefined) proto = PROTO_NAME[ipProto] ?? String(ipProto);
  else return { problem: `proto: unknown transport and no ip_proto: ${JSON.stringify(row.proto)}` };

  const history = typeof row.history === 'string' ? row.history : '';
  const connState = typeof row.conn_state === 'string' ? row.conn_state : '';
  const spkts = counters.orig_pkts!;
  const dpkts = counters.resp_pkts!;
  const hasPorts = proto === 'tcp' || proto === 'udp' || proto === 'sctp';
  const isIcmp = proto === 'icmp' || proto === 'ipv6-icmp';

  let state: string | null;
  if (proto === 'tcp') state = TCP_STATE[connState] ?? null;
  else if (proto === 'icmp' && ports[0] === 3) state = ICMP4_UNREACH[ports[1]] ?? 'UR';
  else if (isIcmp) state = (proto === 'icmp' ? ICMP4_STATE : ICMP6_STATE)[ports[0]] ?? null;
  else state = dpkts > 0 ? 'CON' : 'INT';

  // Zeek knows who started a TCP flow when it saw the originator's SYN; a '^' means it flipped the
  // endpoints by port heuristics, and OTH means it saw no handshake at all.
  let sure = !history.includes('^') && connState !== 'OTH';
  if (proto === 'tcp') sure = sure && history.includes('S');
  const both = dpkts > 0 && spkts > 0;
  const dir = sure ? (both ? '<->' : spkts > 0 ? '->' : '<-') : both ? '<?>' : spkts > 0 ? '?>' : '<?';

  const stime = ts;
  const ltime = Math.round((ts + dur) * 1e6) / 1e6;
  const record: FlowRecord = {
    uid,
    seq: 0,
    rtype: 'final',
    sid,
    stime,
    ltime,
    dur: Math.round(dur * 1e6) / 1e6,
    proto,
    saddr,
    sport: hasPorts ? ports[0] : null,
    dir,
    daddr,
    dport: hasPorts ? ports[1] : null,
    spkts,
    dpkts,
    sbytes: counters.orig_ip_bytes!,
    dbytes: counters.resp_ip_bytes!,
    sappbytes: counters.orig_bytes,
    dappbytes: counters.resp_bytes,
    state,
    flgs: flags(history, counters.missed_bytes ?? 0),
  };
  if (proto === 'tcp' && history) {
    record.stcpflgs = tcpFlags(history, true) || null;
    record.dtcpflgs = tcpFlags(history, false) || null;
  }
  if (typeof row.community_id === 'string' && row.community_id) record.cid = row.community_id;
  if (typeof row.vlan === 'number' && Number.isInteger(row.vlan)) record.vlan = row.vlan;
  if (typeof row.orig_l2_addr === 'string' && row.orig_l2_addr) record.smac = row.orig_l2_addr;
  if (typeof row.resp_l2_addr === 'string' && row.resp_l2_addr) record.dmac = row.resp_l2_addr;
  return { record };
}
