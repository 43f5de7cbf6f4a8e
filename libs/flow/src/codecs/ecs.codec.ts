import { FlowRecord } from '../flow.catalogue';
import { has, ianaNumber, ipVersion, toIso } from './codec.util';

/**
 * Flow records as Elastic Common Schema documents. Every field emitted is an
 * ECS field with its ECS type (checked in tests against Elastic's field
 * definitions); what ECS has no field for (Argus state, flags, direction
 * certainty, the record type) goes in `labels`, ECS's keyword map for
 * custom values. docs/siem-mappings.md lists the mapping field by field.
 */

/** The ECS version the documents declare in `ecs.version`. */
export const ECS_VERSION = '8.17.0';

/** An ECS document: nested objects, as Elasticsearch ingests them. */
export type EcsDocument = Record<string, unknown>;

type Side = 's' | 'd';

function endpoint(r: FlowRecord, side: Side): Record<string, unknown> {
  const addr = side === 's' ? r.saddr : r.daddr;
  const port = side === 's' ? r.sport : r.dport;
  const mac = side === 's' ? r.smac : r.dmac;
  const o: Record<string, unknown> = { address: addr };
  if (ipVersion(addr)) {
    o.ip = addr;
    if (has(mac)) o.mac = ecsMac(mac);
  } else {
    o.mac = ecsMac(addr);
  }
  if (has(port)) o.port = port;
  o.bytes = side === 's' ? r.sbytes : r.dbytes;
  o.packets = side === 's' ? r.spkts : r.dpkts;
  const name = side === 's' ? r.sname : r.dname;
  if (has(name)) o.domain = name;
  const geo: Record<string, unknown> = {};
  const co = side === 's' ? r.sco : r.dco;
  const city = side === 's' ? r.scity : r.dcity;
  const lat = side === 's' ? r.slat : r.dlat;
  const lon = side === 's' ? r.slon : r.dlon;
  if (has(co)) geo.country_iso_code = co;
  if (has(city)) geo.city_name = city;
  if (has(lat) && has(lon)) geo.location = { lat, lon };
  if (Object.keys(geo).length) o.geo = geo;
  const asn = side === 's' ? r.sas : r.das;
  const org = side === 's' ? r.sasorg : r.dasorg;
  if (has(asn) || has(org)) {
    const as: Record<string, unknown> = {};
    if (has(asn)) as.number = asn;
    if (has(org)) as.organization = { name: org };
    o.as = as;
  }
  return o;
}

/** ECS asks for MACs as upper-case hex pairs separated by hyphens. */
function ecsMac(mac: string): string {
  return /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(mac) ? mac.replace(/:/g, '-').toUpperCase() : mac;
}

function network(r: FlowRecord): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const v = ipVersion(r.saddr);
  const iana = ianaNumber(r.proto);
  if (v) {
    o.type = v === 4 ? 'ipv4' : 'ipv6';
    o.transport = r.proto.toLowerCase();
    if (iana !== undefined) o.iana_number = String(iana);
  } else {
    o.type = r.proto.toLowerCase();
  }
  o.bytes = r.sbytes + r.dbytes;
  o.packets = r.spkts + r.dpkts;
  if (has(r.cid)) o.community_id = r.cid;
  if (has(r.vlan)) o.vlan = { id: String(r.vlan) };
  return o;
}

function labels(r: FlowRecord): Record<string, string> {
  const o: Record<string, string> = { flow_uid: r.uid, record_type: r.rtype, flow_dir: r.dir };
  if (has(r.state)) o.flow_state = r.state;
  if (has(r.flgs)) o.flow_flags = r.flgs;
  return o;
}

/** One flow record as an ECS document. */
export function encodeFlowEcs(r: FlowRecord): EcsDocument {
  const related = [r.saddr, r.daddr].filter((a, i, all) => ipVersion(a) && all.indexOf(a) === i);
  const doc: EcsDocument = {
    '@timestamp': toIso(r.stime),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      category: ['network'],
      type: r.rtype === 'final' ? ['connection', 'end'] : ['connection', 'info'],
      action: r.rtype === 'final' ? 'flow-final' : 'flow-status',
      dataset: 'panoptes.flow',
      module: 'panoptes',
      id: `${r.uid}:${r.seq}`,
      sequence: r.seq,
      start: toIso(r.stime),
      end: toIso(r.ltime),
      duration: Math.round(r.dur * 1e9),
    },
    observer: { name: r.sid },
    source: endpoint(r, 's'),
    destination: endpoint(r, 'd'),
    network: network(r),
    labels: labels(r),
  };
  if (related.length) doc.related = { ip: related };
  return doc;
}
