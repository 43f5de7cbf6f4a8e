import { FlowRecord } from '../flow.catalogue';
import { has, ipVersion, toMillis } from './codec.util';

/**
 * Flow records as ArcSight CEF lines (CEF:0), for SIEMs that take nothing
 * else. Standard extension keys carry the flow key, times and byte counts;
 * packet counts and the Argus state use the custom number/string slots with
 * their labels. docs/siem-mappings.md lists the mapping.
 */

export const CEF_VENDOR = 'Panoptes';
export const CEF_PRODUCT = 'Panoptes';

/** Header fields escape backslash and pipe. */
function header(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** Extension values escape backslash and equals, and encode line breaks. */
function ext(s: string | number): string {
  return String(s).replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One flow record as one CEF line (no trailing newline). */
export function encodeFlowCef(r: FlowRecord, productVersion = '0'): string {
  const pairs: [string, string | number][] = [];
  const add = (k: string, v: string | number | null | undefined) => {
    if (has(v)) pairs.push([k, v]);
  };
  if (ipVersion(r.saddr) === 4) add('src', r.saddr);
  else if (ipVersion(r.saddr) === 6) add('c6a2', r.saddr);
  else add('smac', r.saddr);
  if (ipVersion(r.daddr) === 4) add('dst', r.daddr);
  else if (ipVersion(r.daddr) === 6) add('c6a3', r.daddr);
  else add('dmac', r.daddr);
  if (ipVersion(r.saddr) === 6) add('c6a2Label', 'sourceIPv6Address');
  if (ipVersion(r.daddr) === 6) add('c6a3Label', 'destinationIPv6Address');
  add('spt', r.sport);
  add('dpt', r.dport);
  add('proto', r.proto.toUpperCase());
  add('start', toMillis(r.stime));
  add('end', toMillis(r.ltime));
  add('out', r.sbytes);
  add('in', r.dbytes);
  add('cn1', r.spkts);
  add('cn1Label', 'srcPackets');
  add('cn2', r.dpkts);
  add('cn2Label', 'dstPackets');
  add('cs1', r.state);
  if (has(r.state)) add('cs1Label', 'flowState');
  add('cs2', r.dir);
  add('cs2Label', 'flowDir');
  add('cs3', r.cid);
  if (has(r.cid)) add('cs3Label', 'communityId');
  add('shost', r.sname);
  add('dhost', r.dname);
  add('dvchost', r.sid);
  add('externalId', `${r.uid}:${r.seq}`);
  const sig = r.rtype === 'final' ? 'flow-final' : 'flow-status';
  const name = r.rtype === 'final' ? 'Network flow ended' : 'Network flow status';
  const head = ['CEF:0', CEF_VENDOR, CEF_PRODUCT, productVersion, sig, name, '1'].map((h, i) => (i ? header(h) : h));
  return `${head.join('|')}|${pairs.map(([k, v]) => `${k}=${ext(v)}`).join(' ')}`;
}

/** Parses the extension part of a CEF line back into key/value pairs (for tests and consumers). */
export function parseCefExtension(line: string): Record<string, string> {
  let pipes = 0;
  let i = 0;
  for (; i < line.length && pipes < 7; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') pipes++;
  }
  const rest = line.slice(i);
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_]+)=((?:\\.|[^\\])*?)(?=\s+[A-Za-z0-9_]+=|$)/g;
  for (const m of rest.matchAll(re)) {
    out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\(.)/g, '$1');
  }
  return out;
}
