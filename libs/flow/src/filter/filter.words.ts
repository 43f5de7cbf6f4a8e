/**
 * The vocabulary of the filter language: which words name protocols,
 * directional field families, TCP flag and state primitives, and services.
 */
import { CmpOp, FilterNode } from './filter.ast';

/** IP protocol numbers to the names flow records carry in `proto`. */
export const PROTO_BY_NUMBER: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipnip'],
  [6, 'tcp'],
  [17, 'udp'],
  [41, 'ipv6'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [132, 'sctp'],
]);

const NUMBER_BY_PROTO = new Map([...PROTO_BY_NUMBER].map(([n, p]) => [p, n]));

/** Words that stand alone as a protocol primitive, with the `proto` names they match. */
export const PROTO_WORDS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ...[...PROTO_BY_NUMBER.values()].filter((p) => p !== 'ipv6').map((p): [string, string[]] => [p, protoValues(p)]),
  ['icmp6', protoValues('ipv6-icmp')],
  ['icmpv6', protoValues('ipv6-icmp')],
  ['arp', ['arp']],
  ['rarp', ['rarp']],
]);

/** A protocol's name and its number as text, the two forms a record's `proto` may take. */
export function protoValues(name: string): string[] {
  const n = NUMBER_BY_PROTO.get(name);
  return n === undefined ? [name] : [name, String(n)];
}

/**
 * Directional field families: the ra type word, then the source-side and
 * destination-side field. Without a direction qualifier a comparison is true
 * when it holds on either side, as ra does (`bytes gt 1000` is
 * `sbytes > 1000 or dbytes > 1000`); `src and dst bytes gt 1000` needs both.
 */
export const FAMILIES: ReadonlyMap<string, { readonly src: string; readonly dst: string; readonly str?: boolean }> =
  new Map([
    ['pkts', { src: 'spkts', dst: 'dpkts' }],
    ['bytes', { src: 'sbytes', dst: 'dbytes' }],
    ['appbytes', { src: 'sappbytes', dst: 'dappbytes' }],
    ['ttl', { src: 'sttl', dst: 'dttl' }],
    ['tos', { src: 'stos', dst: 'dtos' }],
    ['rate', { src: 'srate', dst: 'drate' }],
    ['load', { src: 'sload', dst: 'dload' }],
    ['loss', { src: 'sloss', dst: 'dloss' }],
    ['win', { src: 'swin', dst: 'dwin' }],
    ['jit', { src: 'sjit', dst: 'djit' }],
    ['intpkt', { src: 'sintpkt', dst: 'dintpkt' }],
    ['meansz', { src: 'smeansz', dst: 'dmeansz' }],
    ['co', { src: 'sco', dst: 'dco', str: true }],
    ['as', { src: 'sas', dst: 'das' }],
    ['vid', { src: 'vlan', dst: 'vlan' }],
    ['mid', { src: 'mpls', dst: 'mpls' }],
  ]);

/** A node for one side of a directional primitive. */
export type SideBuilder = (field: string) => FilterNode;

/**
 * TCP flag primitives: the flags field and letter on each side. `syn` is the
 * initiator's SYN and `synack` the responder's; `fin`, `reset`, `ecn` hold on
 * either side unless qualified with src or dst; `finack` needs a FIN from
 * both sides (the close was answered).
 */
export const FLAG_WORDS: ReadonlyMap<string, (dir: 'src' | 'dst' | 'either' | 'both') => FilterNode> = new Map<
  string,
  (dir: 'src' | 'dst' | 'either' | 'both') => FilterNode
>([
  ['syn', (d) => sided(d === 'either' ? 'src' : d, (f) => flag(f, 'S'), 'stcpflgs', 'dtcpflgs')],
  ['synack', () => flag('dtcpflgs', 'S')],
  ['fin', (d) => sided(d, (f) => flag(f, 'F'), 'stcpflgs', 'dtcpflgs')],
  ['finack', () => sided('both', (f) => flag(f, 'F'), 'stcpflgs', 'dtcpflgs')],
  ['reset', (d) => sided(d, (f) => flag(f, 'R'), 'stcpflgs', 'dtcpflgs')],
  ['rst', (d) => sided(d, (f) => flag(f, 'R'), 'stcpflgs', 'dtcpflgs')],
  ['ecn', (d) => sided(d, (f) => ({ type: 'or', left: flag(f, 'E'), right: flag(f, 'C') }), 'stcpflgs', 'dtcpflgs')],
  ['retrans', (d) => sided(d, (f) => cmp(f, 'gt', 0), 'sretrans', 'dretrans')],
  ['outoforder', (d) => sided(d, (f) => cmp(f, 'gt', 0), 'soo', 'doo')],
  ['winshut', (d) => sided(d, (f) => cmp(f, 'eq', 0), 'swin', 'dwin')],
]);

/**
 * Flow state primitives over the `state` field. `con` and `est`: the flow
 * was answered (a state other than REQ, INT, TIM); `timeout`: TIM; the ICMP
 * words match the states Argus gives those exchanges.
 */
export const STATE_WORDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['con', ['ACC', 'CON', 'FIN', 'CLO', 'RST', 'ECO', 'ECR', 'RPL']],
  ['est', ['ACC', 'CON', 'FIN', 'CLO', 'RST', 'ECO', 'ECR', 'RPL']],
  ['timeout', ['TIM']],
  ['echo', ['ECO', 'ECR']],
  ['unreach', ['URN', 'URH', 'URP', 'URF', 'URS', 'URNU', 'URHU', 'URNPRO', 'URHPRO', 'URFIL', 'UR']],
  ['redirect', ['RED']],
  ['timexed', ['TXD']],
]);

/** ra primitives Panoptes records carry no data for; named so the error can say so. */
export const UNSUPPORTED_WORDS = new Set([
  'normal',
  'wait',
  'frag',
  'fragonly',
  'multipath',
  'tcpopt',
  'mss',
  'wscale',
  'selackok',
  'selack',
  'tcpecho',
  'tcpechoreply',
  'tcptimestamp',
  'tcpcc',
  'tcpccnew',
  'tcpccecho',
  'secn',
  'decn',
  'encaps',
  'gateway',
  'pcr',
  'data',
  'vpri',
  'ploss',
  'seq',
]);

/** Service names accepted after `port` (no /etc/services lookup: compiling does no I/O). */
export const SERVICES: ReadonlyMap<string, number> = new Map([
  ['ftp-data', 20],
  ['ftp', 21],
  ['ssh', 22],
  ['telnet', 23],
  ['smtp', 25],
  ['domain', 53],
  ['dns', 53],
  ['bootps', 67],
  ['bootpc', 68],
  ['tftp', 69],
  ['http', 80],
  ['www', 80],
  ['kerberos', 88],
  ['pop3', 110],
  ['ntp', 123],
  ['netbios-ns', 137],
  ['imap', 143],
  ['snmp', 161],
  ['snmptrap', 162],
  ['bgp', 179],
  ['ldap', 389],
  ['https', 443],
  ['smb', 445],
  ['syslog', 514],
  ['submission', 587],
  ['ldaps', 636],
  ['imaps', 993],
  ['pop3s', 995],
  ['mssql', 1433],
  ['openvpn', 1194],
  ['radius', 1812],
  ['nfs', 2049],
  ['mysql', 3306],
  ['rdp', 3389],
  ['sip', 5060],
  ['postgresql', 5432],
  ['redis', 6379],
  ['http-alt', 8080],
  ['kafka', 9092],
]);

export const OP_WORDS: ReadonlyMap<string, CmpOp> = new Map([
  ['gt', 'gt'],
  ['gte', 'ge'],
  ['ge', 'ge'],
  ['lt', 'lt'],
  ['lte', 'le'],
  ['le', 'le'],
  ['eq', 'eq'],
  ['ne', 'ne'],
  ['>', 'gt'],
  ['>=', 'ge'],
  ['<', 'lt'],
  ['<=', 'le'],
  ['=', 'eq'],
  ['==', 'eq'],
  ['!=', 'ne'],
]);

export function flag(field: string, letter: string): FilterNode {
  return { type: 'flag', field, letter };
}

export function cmp(field: string, op: CmpOp, value: number | string): FilterNode {
  return { type: 'cmp', field, op, value };
}

/** Applies a direction to a primitive that exists on both sides. */
export function sided(
  dir: 'src' | 'dst' | 'either' | 'both',
  build: SideBuilder,
  srcField: string,
  dstField: string,
): FilterNode {
  if (dir === 'src' || srcField === dstField) return build(srcField);
  if (dir === 'dst') return build(dstField);
  return {
    type: dir === 'both' ? 'and' : 'or',
    left: build(srcField),
    right: build(dstField),
  };
}
