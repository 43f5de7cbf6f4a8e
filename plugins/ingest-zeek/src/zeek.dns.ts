import { isIP } from 'node:net';
import { DnsAnswer, DnsRR } from '@panoptes/flow';
import { ZeekRow } from './zeek.parser';

/**
 * One Zeek dns.log row as a DnsAnswer. Zeek logs a query even when no
 * response was seen (rcode unset); such a row is not an answer and is counted
 * as `dns_unanswered` by the caller rather than emitted.
 */
export type DnsResult = { readonly answer: DnsAnswer } | { readonly unanswered: true } | { readonly problem: string };

/** Zeek writes answers as text: an address for A/AAAA, "TXT <len> <text>", else a name. */
function rrType(data: string, qtype: string): { type: string; data: string } {
  const v = isIP(data);
  if (v === 4) return { type: 'A', data };
  if (v === 6) return { type: 'AAAA', data };
  const txt = data.match(/^TXT \d+ (.*)$/s);
  if (txt) return { type: 'TXT', data: txt[1] };
  // A name answer to an A/AAAA query is a CNAME in the chain; otherwise it answers the query type (PTR, NS, MX, ...).
  return { type: qtype === 'A' || qtype === 'AAAA' ? 'CNAME' : qtype, data };
}

export function dnsToAnswer(row: ZeekRow, sid: string): DnsResult {
  const ts = row.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0)
    return { problem: `ts: not a time: ${JSON.stringify(ts)}` };
  const client = row['id.orig_h'];
  const server = row['id.resp_h'];
  if (typeof client !== 'string' || !isIP(client))
    return { problem: `id.orig_h: not an IP address: ${JSON.stringify(client)}` };
  if (typeof server !== 'string' || !isIP(server))
    return { problem: `id.resp_h: not an IP address: ${JSON.stringify(server)}` };
  const rcode = typeof row.rcode_name === 'string' && row.rcode_name ? row.rcode_name : null;
  if (rcode === null && (row.rcode === null || row.rcode === undefined)) return { unanswered: true };
  const qtype =
    typeof row.qtype_name === 'string' && row.qtype_name
      ? row.qtype_name
      : typeof row.qtype === 'number'
        ? `TYPE${row.qtype}`
        : '';
  const qname = typeof row.query === 'string' ? row.query : '';
  const answers = Array.isArray(row.answers) ? row.answers.map(String) : [];
  const ttls = Array.isArray(row.TTLs) ? row.TTLs.map(Number) : [];
  if (ttls.length && ttls.length !== answers.length)
    return { problem: `answers: ${answers.length} answers but ${ttls.length} TTLs` };
  const rrs: DnsRR[] = answers.map((a, i) => ({ name: qname, ...rrType(a, qtype), ttl: Math.round(ttls[i] ?? 0) }));
  return {
    answer: {
      time: ts,
      sid,
      client,
      server,
      qname,
      qtype,
      rcode: rcode ?? `RCODE${String(row.rcode)}`,
      answers: rrs,
    },
  };
}
