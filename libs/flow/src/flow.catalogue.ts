/**
 * The field catalogue: the one place a flow record field is defined. Names are
 * Argus's (`ra -s` names) wherever Argus has the field; the JSON Schema, the
 * DuckDB table and the OpenAPI types are generated from this list.
 */

export type FieldType =
  /** Epoch seconds with microseconds. */
  | 'time'
  /** Signed or unsigned whole number. */
  | 'int'
  /** Floating point number. */
  | 'float'
  /** Free text or an enumerated word. */
  | 'string'
  /** An IPv4 or IPv6 address in text form, or a MAC for non-IP flows. */
  | 'addr';

export type FieldGroup = 'meta' | 'key' | 'time' | 'counter' | 'metric' | 'enrich';

export interface FieldDef<N extends string = string, T extends FieldType = FieldType> {
  readonly name: N;
  readonly type: T;
  readonly unit: string;
  readonly group: FieldGroup;
  /** Counters are deltas since the previous record of the same flow: summing gives totals. */
  readonly counter?: boolean;
  /** The field is always present (never null) on a sensor record. */
  readonly required?: boolean;
  readonly description: string;
}

interface Req {
  readonly required: true;
}

function f<N extends string, T extends FieldType>(
  name: N,
  type: T,
  unit: string,
  group: FieldGroup,
  description: string,
): FieldDef<N, T>;
function f<N extends string, T extends FieldType, E extends Partial<Pick<FieldDef, 'counter' | 'required'>>>(
  name: N,
  type: T,
  unit: string,
  group: FieldGroup,
  description: string,
  extra: E,
): FieldDef<N, T> & E;
function f(
  name: string,
  type: FieldType,
  unit: string,
  group: FieldGroup,
  description: string,
  extra: Partial<Pick<FieldDef, 'counter' | 'required'>> = {},
): FieldDef {
  return { name, type, unit, group, description, ...extra };
}

export const FIELDS = [
  // identity of the record
  f('uid', 'string', '', 'meta', 'flow identity, the same on every record of one flow', { required: true }),
  f('seq', 'int', '', 'meta', 'number of this record within its flow, from 0', { required: true }),
  f('rtype', 'string', '', 'meta', 'record type: status (interim, flow still active) or final (last record)', {
    required: true,
  }),
  f('sid', 'string', '', 'meta', 'sensor or input that produced the record', { required: true }),
  // time
  f('stime', 'time', 's', 'time', 'time of the first packet this record covers', { required: true }),
  f('ltime', 'time', 's', 'time', 'time of the last packet this record covers', { required: true }),
  f('dur', 'float', 's', 'time', 'ltime - stime', { required: true }),
  // flow key
  f('proto', 'string', '', 'key', 'protocol name (tcp, udp, icmp, ipv6-icmp, arp, ...) or ethertype as 0xNNNN', {
    required: true,
  }),
  f('saddr', 'addr', '', 'key', 'source (initiator) address; MAC for non-IP flows', { required: true }),
  f('sport', 'int', '', 'key', 'source port (TCP, UDP, SCTP); null when the protocol has none'),
  f('dir', 'string', '', 'key', 'direction and how sure the sensor is: -> <-> <- ?> <?> <?', { required: true }),
  f('daddr', 'addr', '', 'key', 'destination (responder) address; MAC for non-IP flows', { required: true }),
  f('dport', 'int', '', 'key', 'destination port (TCP, UDP, SCTP); null when the protocol has none'),
  // counters (deltas)
  f('spkts', 'int', 'packets', 'counter', 'packets from source to destination', { counter: true, required: true }),
  f('dpkts', 'int', 'packets', 'counter', 'packets from destination to source', { counter: true, required: true }),
  f('sbytes', 'int', 'bytes', 'counter', 'wire bytes from source, link header included', {
    counter: true,
    required: true,
  }),
  f('dbytes', 'int', 'bytes', 'counter', 'wire bytes from destination, link header included', {
    counter: true,
    required: true,
  }),
  f('sappbytes', 'int', 'bytes', 'counter', 'application payload bytes from source', { counter: true }),
  f('dappbytes', 'int', 'bytes', 'counter', 'application payload bytes from destination', { counter: true }),
  // state
  f('state', 'string', '', 'metric', 'flow state as Argus names it (REQ ACC CON FIN CLO RST INT ECO ...)'),
  f('flgs', 'string', '', 'metric', 'flow flags as Argus prints them (e ethernet, q vlan, * retransmits ...)'),
  f('stcpflgs', 'string', '', 'metric', 'TCP flags seen from source (FSRPAUEC letters)'),
  f('dtcpflgs', 'string', '', 'metric', 'TCP flags seen from destination (FSRPAUEC letters)'),
  f('sttl', 'int', 'hops', 'metric', 'IP TTL / hop limit of the last source packet'),
  f('dttl', 'int', 'hops', 'metric', 'IP TTL / hop limit of the last destination packet'),
  f('stos', 'int', '', 'metric', 'IP TOS / traffic class from source'),
  f('dtos', 'int', '', 'metric', 'IP TOS / traffic class from destination'),
  f('smac', 'addr', '', 'metric', 'source MAC address'),
  f('dmac', 'addr', '', 'metric', 'destination MAC address'),
  f('vlan', 'int', '', 'metric', 'outer 802.1Q VLAN id'),
  f('mpls', 'int', '', 'metric', 'outer MPLS label'),
  f('swin', 'int', 'bytes', 'metric', 'last TCP window advertised by source'),
  f('dwin', 'int', 'bytes', 'metric', 'last TCP window advertised by destination'),
  f('tcprtt', 'float', 's', 'metric', 'TCP connection setup round trip: synack + ackdat'),
  f('synack', 'float', 's', 'metric', 'time from SYN to SYN-ACK'),
  f('ackdat', 'float', 's', 'metric', 'time from SYN-ACK to the ACK that completes the handshake'),
  f('sloss', 'int', 'packets', 'counter', 'source packets inferred lost (sequence gaps)', { counter: true }),
  f('dloss', 'int', 'packets', 'counter', 'destination packets inferred lost (sequence gaps)', { counter: true }),
  f('sretrans', 'int', 'packets', 'counter', 'source packets retransmitted', { counter: true }),
  f('dretrans', 'int', 'packets', 'counter', 'destination packets retransmitted', { counter: true }),
  f('soo', 'int', 'packets', 'counter', 'source packets out of order', { counter: true }),
  f('doo', 'int', 'packets', 'counter', 'destination packets out of order', { counter: true }),
  f('sintpkt', 'float', 'ms', 'metric', 'mean time between source packets'),
  f('dintpkt', 'float', 'ms', 'metric', 'mean time between destination packets'),
  f('sintdev', 'float', 'ms', 'metric', 'standard deviation of time between source packets'),
  f('dintdev', 'float', 'ms', 'metric', 'standard deviation of time between destination packets'),
  f('sjit', 'float', 'ms', 'metric', 'source jitter (mean deviation of inter-packet time, RFC 3550 style)'),
  f('djit', 'float', 'ms', 'metric', 'destination jitter (mean deviation of inter-packet time, RFC 3550 style)'),
  f('smeansz', 'float', 'bytes', 'metric', 'mean wire size of source packets'),
  f('dmeansz', 'float', 'bytes', 'metric', 'mean wire size of destination packets'),
  f('sminsz', 'int', 'bytes', 'metric', 'smallest source packet'),
  f('smaxsz', 'int', 'bytes', 'metric', 'largest source packet'),
  f('dminsz', 'int', 'bytes', 'metric', 'smallest destination packet'),
  f('dmaxsz', 'int', 'bytes', 'metric', 'largest destination packet'),
  f('cid', 'string', '', 'metric', 'Community ID v1 of the flow (seed 0)'),
  // enrichment
  f('sco', 'string', '', 'enrich', 'source country, ISO 3166 code'),
  f('dco', 'string', '', 'enrich', 'destination country, ISO 3166 code'),
  f('scity', 'string', '', 'enrich', 'source city name'),
  f('dcity', 'string', '', 'enrich', 'destination city name'),
  f('slat', 'float', 'deg', 'enrich', 'source latitude'),
  f('slon', 'float', 'deg', 'enrich', 'source longitude'),
  f('dlat', 'float', 'deg', 'enrich', 'destination latitude'),
  f('dlon', 'float', 'deg', 'enrich', 'destination longitude'),
  f('sas', 'int', '', 'enrich', 'source autonomous system number'),
  f('das', 'int', '', 'enrich', 'destination autonomous system number'),
  f('sasorg', 'string', '', 'enrich', 'source AS organisation'),
  f('dasorg', 'string', '', 'enrich', 'destination AS organisation'),
  f('snet', 'string', '', 'enrich', 'label of a special source range (private, loopback, link-local, multicast, ...)'),
  f('dnet', 'string', '', 'enrich', 'label of a special destination range (private, loopback, link-local, ...)'),
  f('sname', 'string', '', 'enrich', 'DNS name the source address was resolved from'),
  f('dname', 'string', '', 'enrich', 'DNS name the client resolved before talking to the destination'),
] as const;

type Def = (typeof FIELDS)[number];
type JsType<T extends FieldType> = T extends 'string' | 'addr' ? string : number;

/**
 * One flow record. Derived from FIELDS, so a field added to the catalogue is
 * a field of the type: required fields are always set, the rest may be absent
 * or null.
 */
export type FlowRecord = {
  -readonly [D in Def as D extends Req ? D['name'] : never]: D['name'] extends 'rtype' ? RecordType : JsType<D['type']>;
} & {
  -readonly [D in Def as D extends Req ? never : D['name']]?: JsType<D['type']> | null;
};

export type RecordType = 'status' | 'final';
export type FieldName = Def['name'];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((d) => [d.name, d as FieldDef]));

export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((d) => d.name);

export const COUNTER_FIELDS: readonly FieldName[] = FIELDS.filter((d: FieldDef) => d.counter).map((d) => d.name);
