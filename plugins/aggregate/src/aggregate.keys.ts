/**
 * Group keys, racluster's -m objects: any catalogue field by name, an address
 * field with a CIDR mask (`saddr/24`; `saddr/24/64` gives IPv4 and IPv6 their
 * own lengths, a single length applies to both as in racluster), a numeric
 * field cut into buckets of a width (`dport/1024` → "1024-2047") or into
 * named ranges (`dport[0-1023,1024-49151,49152-]` → "1024-49151"; a value in
 * no range keeps its own number). As in racluster, a port key implies the
 * protocol: `-m saddr/24 dport` groups by saddr/24, proto and dport.
 */
import { FIELD_BY_NAME, formatIpv4, formatIpv6, maskIpv4, maskIpv6, parseIpv4, parseIpv6 } from '@panoptes/flow';

type Row = Record<string, unknown>;
export type KeyValue = string | number | null;

export interface KeyPart {
  /** The spec as written (`saddr/24`). */
  readonly spec: string;
  /** The aggregate record field holding this part (`saddr`). */
  readonly field: string;
  /** The part's value for grouping: cheap, computed for every record. */
  readonly value: (r: Row) => KeyValue;
  /** The part's value as shown in the aggregate record, computed once per group. */
  readonly display: (r: Row) => KeyValue;
}

export class KeySpecError extends Error {}

const RANGE = /^(\d+)(?:-(\d*))?$/;

export function parseKeyPart(spec: string): KeyPart {
  const s = spec.trim();
  const ranges = /^([a-z]+)\[(.*)\]$/.exec(s);
  const m = ranges ? undefined : /^([a-z]+)(?:\/(\d+)(?:\/(\d+))?)?$/.exec(s);
  const field = ranges?.[1] ?? m?.[1];
  if (!field) throw new KeySpecError(`bad key "${spec}": expected a field name, field/len or field[lo-hi,...]`);
  const def = FIELD_BY_NAME.get(field);
  if (!def) throw new KeySpecError(`bad key "${spec}": unknown field ${field}`);
  const get = (r: Row): KeyValue => (r[field] ?? null) as KeyValue;
  if (ranges) {
    if (def.type !== 'int' && def.type !== 'float')
      throw new KeySpecError(`bad key "${spec}": ranges need a numeric field`);
    return rangePart(s, field, ranges[2]);
  }
  if (m![2] === undefined) return { spec: s, field, value: get, display: get };
  const a = Number(m![2]);
  if (def.type === 'addr') {
    const b = m![3] === undefined ? a : Number(m![3]);
    if (a > 32 || b > 128) throw new KeySpecError(`bad key "${spec}": mask must be at most 32 (IPv4) and 128 (IPv6)`);
    return maskPart(s, field, a, b);
  }
  if ((def.type === 'int' || def.type === 'float') && m![3] === undefined) {
    if (a < 1) throw new KeySpecError(`bad key "${spec}": bucket width must be at least 1`);
    const value = (r: Row): KeyValue => {
      const v = r[field];
      return typeof v === 'number' ? Math.floor(v / a) * a : null;
    };
    const display = (r: Row): KeyValue => {
      const lo = value(r);
      return lo === null ? null : `${lo}-${(lo as number) + a - 1}`;
    };
    return { spec: s, field, value, display };
  }
  throw new KeySpecError(`bad key "${spec}": a /length applies to addresses and numeric fields only`);
}

function maskPart(spec: string, field: string, v4len: number, v6len: number): KeyPart {
  const shift = 32 - v4len;
  const value = (r: Row): KeyValue => {
    const s = r[field];
    if (typeof s !== 'string') return null;
    const v4 = parseIpv4(s);
    // The network's top bits alone: a small integer (a V8 small int up to /30), cheaper to hash than the masked address.
    if (v4 >= 0) return shift === 32 ? 0 : v4 >>> shift;
    const v6 = s.indexOf(':') >= 0 ? parseIpv6(s) : undefined;
    return v6 ? formatIpv6(maskIpv6(v6, v6len)) : s;
  };
  const display = (r: Row): KeyValue => {
    const k = value(r);
    if (typeof k === 'number') return `${formatIpv4(shift === 32 ? 0 : maskIpv4(k * 2 ** shift, v4len))}/${v4len}`;
    const s = r[field];
    return typeof s === 'string' && k !== s ? `${k}/${v6len}` : k;
  };
  return { spec, field, value, display };
}

function rangePart(spec: string, field: string, list: string): KeyPart {
  const bounds: [number, number, string][] = [];
  for (const item of list.split(',')) {
    const m = RANGE.exec(item.trim());
    if (!m) throw new KeySpecError(`bad key "${spec}": bad range "${item}" (expected lo-hi, lo- or a number)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === '' ? Infinity : Number(m[2]);
    if (hi < lo) throw new KeySpecError(`bad key "${spec}": empty range "${item}"`);
    bounds.push([lo, hi, item.trim()]);
  }
  const value = (r: Row): KeyValue => {
    const v = r[field];
    if (typeof v !== 'number') return null;
    for (const [lo, hi, label] of bounds) if (v >= lo && v <= hi) return label;
    return v;
  };
  return { spec, field, value, display: value };
}

/** Parses a key list, adding `proto` after the first port key when the list has none (racluster's rule). */
export function parseKeys(specs: readonly string[]): KeyPart[] {
  if (specs.length === 0) throw new KeySpecError('at least one key is needed');
  const parts = specs.map(parseKeyPart);
  const fields = new Set<string>();
  for (const p of parts) {
    if (fields.has(p.field)) throw new KeySpecError(`key field ${p.field} given twice`);
    fields.add(p.field);
  }
  const port = parts.findIndex((p) => p.field === 'sport' || p.field === 'dport');
  if (port >= 0 && !fields.has('proto')) parts.splice(port, 0, parseKeyPart('proto'));
  return parts;
}

/** Splits a CLI key list on commas outside brackets: `saddr/24,dport[0-1023,1024-]`. */
export function splitKeyList(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if ((c === ',' || c === ' ') && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** One function computing the whole group key of a record as a string. */
export function compileGroupKey(parts: readonly KeyPart[]): (r: Row) => string {
  if (parts.length === 1) {
    const a = parts[0].value;
    return (r) => '' + a(r);
  }
  if (parts.length === 2) {
    const [a, b] = parts.map((p) => p.value);
    return (r) => a(r) + '|' + b(r);
  }
  if (parts.length === 3) {
    const [a, b, c] = parts.map((p) => p.value);
    return (r) => a(r) + '|' + b(r) + '|' + c(r);
  }
  const fns = parts.map((p) => p.value);
  return (r) => {
    let k = '' + fns[0](r);
    for (let i = 1; i < fns.length; i++) k += '|' + fns[i](r);
    return k;
  };
}
