import { FlowRecord } from '../flow.catalogue';
import { directionKnown, has, ianaNumber, ipVersion, toMillis } from './codec.util';

/**
 * Flow records as OCSF Network Activity events (class_uid 4001). A status
 * record is a Traffic activity whose `traffic` holds the record's deltas; a
 * final record is a Close (or Reset when the flow ended in a reset). When the
 * caller has seen every earlier record of the flow it passes the running
 * totals, which go in `cumulative_traffic`. docs/siem-mappings.md lists the
 * mapping field by field; tests validate against a JSON Schema derived from
 * the OCSF schema of OCSF_VERSION.
 */

export const OCSF_VERSION = '1.7.0';
export const OCSF_NETWORK_ACTIVITY_CLASS = 4001;
const CATEGORY_NETWORK = 4;

/** Network Activity activity_id values used here. */
export const OcsfActivity = { Close: 2, Reset: 3, Traffic: 6 } as const;

/** Running totals of one flow, from its first record through this one. */
export interface FlowTotals {
  readonly spkts: number;
  readonly dpkts: number;
  readonly sbytes: number;
  readonly dbytes: number;
}

export type OcsfEvent = Record<string, unknown>;

function activity(r: FlowRecord): number {
  if (r.rtype === 'status') return OcsfActivity.Traffic;
  return r.state === 'RST' ? OcsfActivity.Reset : OcsfActivity.Close;
}

/** OCSF hostname_t: letters, digits and hyphens in dot-separated labels. */
const HOSTNAME =
  /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;

function endpoint(r: FlowRecord, side: 's' | 'd'): Record<string, unknown> {
  const addr = side === 's' ? r.saddr : r.daddr;
  const o: Record<string, unknown> = {};
  if (ipVersion(addr)) {
    o.ip = addr;
    const mac = side === 's' ? r.smac : r.dmac;
    if (has(mac)) o.mac = mac;
  } else {
    // A non-IP flow (ARP, LLDP, ...) is keyed by MAC; OCSF wants a name or IP too.
    o.mac = addr;
    o.name = addr;
  }
  const port = side === 's' ? r.sport : r.dport;
  if (has(port)) o.port = port;
  const name = side === 's' ? r.sname : r.dname;
  if (has(name)) {
    const host = name.replace(/\.$/, '');
    if (HOSTNAME.test(host)) o.hostname = host;
  }
  const loc: Record<string, unknown> = {};
  const co = side === 's' ? r.sco : r.dco;
  const city = side === 's' ? r.scity : r.dcity;
  const lat = side === 's' ? r.slat : r.dlat;
  const lon = side === 's' ? r.slon : r.dlon;
  if (has(co)) loc.country = co;
  if (has(city)) loc.city = city;
  // OCSF wants a location to name a place (city, country, region or postal code), not just coordinates.
  if (Object.keys(loc).length && has(lat) && has(lon)) Object.assign(loc, { lat, long: lon });
  if (Object.keys(loc).length) o.location = loc;
  const asn = side === 's' ? r.sas : r.das;
  const org = side === 's' ? r.sasorg : r.dasorg;
  if (has(asn) || has(org)) {
    const as: Record<string, unknown> = {};
    if (has(asn)) as.number = asn;
    if (has(org)) as.name = org;
    o.autonomous_system = as;
  }
  return o;
}

function traffic(t: FlowTotals): Record<string, number> {
  return {
    bytes: t.sbytes + t.dbytes,
    bytes_out: t.sbytes,
    bytes_in: t.dbytes,
    packets: t.spkts + t.dpkts,
    packets_out: t.spkts,
    packets_in: t.dpkts,
  };
}

function connectionInfo(r: FlowRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { protocol_name: r.proto.toLowerCase() };
  const v = ipVersion(r.saddr);
  const num = v ? ianaNumber(r.proto) : undefined;
  if (num !== undefined) o.protocol_num = num;
  if (v) o.protocol_ver_id = v;
  if (has(r.cid)) o.community_uid = r.cid;
  // Direction relative to a network boundary is not known to the sensor.
  o.direction_id = 0;
  return o;
}

/** Argus fields OCSF has no attribute for. */
function unmapped(r: FlowRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { rtype: r.rtype, dir: r.dir };
  if (has(r.state)) o.state = r.state;
  if (has(r.flgs)) o.flgs = r.flgs;
  return o;
}

/**
 * One flow record as an OCSF Network Activity event. `totals` are the flow's
 * running totals including this record; leave them out when earlier records
 * of the flow were not seen (the cumulative figure would be wrong).
 */
export function encodeFlowOcsf(r: FlowRecord, totals?: FlowTotals): OcsfEvent {
  const act = activity(r);
  const ev: OcsfEvent = {
    activity_id: act,
    category_uid: CATEGORY_NETWORK,
    class_uid: OCSF_NETWORK_ACTIVITY_CLASS,
    type_uid: OCSF_NETWORK_ACTIVITY_CLASS * 100 + act,
    severity_id: 1,
    time: toMillis(r.ltime),
    start_time: toMillis(r.stime),
    end_time: toMillis(r.ltime),
    duration: Math.round(r.dur * 1000),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Panoptes', vendor_name: 'Panoptes' },
      uid: `${r.uid}:${r.seq}`,
      correlation_uid: r.uid,
      sequence: r.seq,
      log_name: r.sid,
    },
    src_endpoint: endpoint(r, 's'),
    dst_endpoint: endpoint(r, 'd'),
    is_src_dst_assignment_known: directionKnown(r.dir),
    connection_info: connectionInfo(r),
    traffic: traffic(r),
    unmapped: unmapped(r),
  };
  if (totals) ev.cumulative_traffic = traffic(totals);
  return ev;
}
