import { isIP } from 'node:net';

/** IANA protocol numbers of the protocol names a flow record carries. */
const IANA: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  eigrp: 88,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
};

/** The IANA number of a protocol name, or undefined when the record is not IP or the name is unknown. */
export function ianaNumber(proto: string): number | undefined {
  const n = IANA[proto.toLowerCase()];
  if (n !== undefined) return n;
  return /^\d{1,3}$/.test(proto) && Number(proto) < 256 ? Number(proto) : undefined;
}

/** 4 or 6 for an IP address text, 0 for anything else (a MAC on a non-IP flow). */
export function ipVersion(addr: string | null | undefined): 0 | 4 | 6 {
  return addr ? (isIP(addr) as 0 | 4 | 6) : 0;
}

/** Whether the value is set: neither null nor undefined (nor an empty string). */
export function has<T>(v: T | null | undefined): v is T {
  return v !== null && v !== undefined && (v as unknown) !== '';
}

/** Epoch seconds (with microseconds) to whole epoch milliseconds. */
export function toMillis(sec: number): number {
  return Math.round(sec * 1000);
}

/** Epoch seconds to an RFC 3339 / ISO 8601 UTC string, keeping microseconds. */
export function toIso(sec: number): string {
  const whole = Math.floor(sec);
  const micros = Math.round((sec - whole) * 1e6);
  const carry = micros === 1_000_000 ? 1 : 0;
  const base = new Date((whole + carry) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(carry ? 0 : micros).padStart(6, '0')}Z`;
}

/** Whether the flow direction says the sensor knows which side started the flow. */
export function directionKnown(dir: string): boolean {
  return !dir.includes('?');
}
